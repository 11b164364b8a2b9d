import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { STRUCTURE_REFRESH_OPERATION } from '../../src/analytics/structureCache.js';
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

/**
 * The other structures a report keeps per process — targetFirms' region index and the homes' presence that weighs a
 * gap's relatedness — go the same way (AggregateRefresher.cachedStructure): once read, no request reads them again,
 * however long the entry is in use; the background does. Before, each expired at its time to live and the next
 * request read it (at a million firms 75–117 ms for the region index, 200–250 ms for the homes' presence).
 */
describe('the region index and the homes’ presence are read again before they expire', () => {
  let database: TestDatabase;
  let server: TestServer;
  let graph: TestGraph;
  /** The operations of the statements sent since the last request started, and those read in the background. */
  let statements: string[] = [];
  const background: string[] = [];
  const prefix = uniquePrefix('structure-ahead');

  beforeAll(async () => {
    database = await openTestDatabase();
    const observed = database.executor.forRequest('structure-ahead', (event) => {
      if (event.operation === STRUCTURE_REFRESH_OPERATION) background.push(event.operation);
      else statements.push(event.operation);
    });
    server = await serveTestApp(observed, { ANALYTICS_STRUCTURE_TTL_MS: String(TTL_MS) });
    graph = await createTestGraph(database.executor, prefix, {
      regions: [{ id: 'city' }, { id: 'far' }],
      chain: 'chain',
      segments: [
        { id: 'up', stage: 'UPSTREAM', feeds: ['down'] },
        { id: 'down', stage: 'DOWNSTREAM' },
      ],
      firms: [
        { id: 'D1', region: 'city', segments: ['down'] },
        { id: 'O1', region: 'far', segments: ['up'], supplies: ['D1'] },
      ],
    });
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await server.close();
    await database.close();
  });

  const REPORTS = `query ($chainId: ID!, $regionId: ID!) {
    chainGaps(chainId: $chainId, regionId: $regionId) { gaps { segment { id } relatedness priority } }
    targetFirms(chainId: $chainId, regionId: $regionId, first: 3) { recommendations { enterprise { id } } }
  }`;
  const ask = async () => {
    statements = [];
    const response = await postGraphQL<{
      targetFirms: { recommendations: { enterprise: { id: string } }[] };
    }>(server.url, { query: REPORTS, variables: { chainId: graph.id('chain'), regionId: graph.id('city') } });
    expect(response.body.errors).toBeUndefined();
    return {
      recommended: response.body.data!.targetFirms.recommendations.map((r) => graph.local(r.enterprise.id)),
      statements: [...statements],
    };
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('keeps them out of every request once read, past their time to live', async () => {
    const first = await ask();
    expect(first.recommended).toEqual(['O1']);
    expect(first.statements).toEqual(expect.arrayContaining(['region-index', 'home-presence']));
    const started = Date.now();
    const later: string[][] = [];
    while (Date.now() - started < TTL_MS * 1.4) {
      await sleep(150);
      const answer = await ask();
      expect(answer.recommended).toEqual(['O1']);
      later.push(answer.statements);
    }
    expect(
      later.flat().filter((operation) => operation === 'region-index' || operation === 'home-presence'),
    ).toEqual([]);
    expect(background.length).toBeGreaterThan(0);
  });
});
