import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { STRUCTURE_REFRESH_OPERATION } from '../../src/analytics/reports.js';
import { cypher } from '../../src/data/cypher.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph, type TestGraph } from '../support/graphBuilder.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * The chains' cached structure (src/analytics/structureCache.ts) is read again in the background once half its time
 * to live has passed, so that no request finds it expired and pays for the read. What shows it: a segment added by
 * another tool (no structure version moves) appears in an answer that took one statement, and no request on the way
 * took more. Without the background read the segment would stay hidden until the entry expired, and the request
 * that then read the structure cold would take two (the facts with the structure, then the nodes).
 */
const TTL_MS = 6_000;

describe('the cached structure is read again before it expires', () => {
  let database: TestDatabase;
  let server: TestServer;
  let graph: TestGraph;
  /** The operations of the statements sent since the last request started, background reads left out. */
  let statements: string[] = [];
  const prefix = uniquePrefix('structure-refresh');

  beforeAll(async () => {
    database = await openTestDatabase();
    const observed = database.executor.forRequest('structure-refresh', (event) => {
      if (event.operation !== STRUCTURE_REFRESH_OPERATION) statements.push(event.operation);
    });
    server = await serveTestApp(observed, { ANALYTICS_STRUCTURE_TTL_MS: String(TTL_MS) });
    graph = await createTestGraph(database.executor, prefix, {
      regions: [{ id: 'city' }],
      chain: 'chain',
      segments: [
        { id: 'up', stage: 'UPSTREAM', feeds: ['down'] },
        { id: 'down', stage: 'DOWNSTREAM' },
      ],
      firms: [
        { id: 'U1', region: 'city', segments: ['up'], supplies: ['D1'] },
        { id: 'D1', region: 'city', segments: ['down'] },
      ],
    });
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await server.close();
    await database.close();
  });

  const GAPS = `query ($chainId: ID!, $regionId: ID!) {
    chainGaps(chainId: $chainId, regionId: $regionId) { gaps { segment { id } status } }
  }`;
  const gaps = async () => {
    statements = [];
    const response = await postGraphQL<{ chainGaps: { gaps: { segment: { id: string } }[] } }>(server.url, {
      query: GAPS,
      variables: { chainId: graph.id('chain'), regionId: graph.id('city') },
    });
    expect(response.body.errors).toBeUndefined();
    return {
      segments: response.body.data!.chainGaps.gaps.map((gap) => graph.local(gap.segment.id)).sort(),
      statements: statements.length,
    };
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('shows a segment another tool added before the entry expires, and no request reads it cold', async () => {
    expect((await gaps()).segments).toEqual(['down', 'up']);
    expect(await gaps()).toEqual({ segments: ['down', 'up'], statements: 1 });
    // Another tool adds a segment to the chain: no upsert of this service, so no structure version moves.
    await database.executor.write(
      'test-outside-write',
      cypher(
        `MATCH (up:ChainSegment { id: $up })-[link:IN_CHAIN]->(chain:IndustrialChain)
         CREATE (extra:ChainSegment) SET extra = up { .*, id: $extra, name: 'extra' }
         CREATE (extra)-[copy:IN_CHAIN]->(chain) SET copy = properties(link)`,
        { up: graph.id('up'), extra: graph.id('extra') },
      ),
    );
    const written = Date.now();
    // The entry hides it while young; once it is half the time to live old, the next answer starts reading it again.
    const answers = [await gaps()];
    while (!answers.at(-1)!.segments.includes('extra') && Date.now() - written < 2 * TTL_MS) {
      await sleep(100);
      answers.push(await gaps());
    }
    expect(answers[0]!.segments).toEqual(['down', 'up']);
    expect(answers.at(-1)!.segments).toEqual(['down', 'extra', 'up']);
    expect(answers.map((answer) => answer.statements)).toEqual(answers.map(() => 1));
  });
});
