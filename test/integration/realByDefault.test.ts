import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * Real data by default (issue 15): on the shipped seed data, an analytics answer asked without `sources` holds no
 * ILLUSTRATIVE node, and says so in its basis; asked with ILLUSTRATIVE, the demo firms do appear (so the check can
 * fail). Every node of every answer is asked for with its provenance, and the answers are walked whole.
 */

const NODE = 'id provenance { source }';
const GAP = `segment { ${NODE} } status localEnterprises(first: 50) { ${NODE} }`;
const BASIS = 'basis { sources completeness illustrativeShare }';

/** Every analytics field, each with every node it returns; `$sources` is left out or given. */
const QUERIES: Readonly<Record<string, string>> = {
  chainGaps: `query ($sources: [ProvenanceSource!]) {
    ic: chainGaps(chainId: "ic", regionId: "shijiazhuang", sources: $sources) { chain { ${NODE} } region { ${NODE} } gaps { ${GAP} } ${BASIS} }
    led: chainGaps(chainId: "led", regionId: "shijiazhuang", sources: $sources) { gaps { ${GAP} } ${BASIS} }
    nev: chainGaps(chainId: "nev", regionId: "shijiazhuang", sources: $sources) { gaps { ${GAP} } ${BASIS} }
    bio: chainGaps(chainId: "biomedicine", regionId: "shijiazhuang", sources: $sources) { gaps { ${GAP} } ${BASIS} }
    mil: chainGaps(chainId: "military-civil", regionId: "shijiazhuang", sources: $sources) { gaps { ${GAP} } ${BASIS} }
  }`,
  compareRegions: `query ($sources: [ProvenanceSource!]) {
    compareRegions(chainId: "led", regionIds: ["shijiazhuang", "tianjin"], sources: $sources) {
      chain { ${NODE} }
      regions { region { ${NODE} } basis { completeness illustrativeShare } }
      segments { segment { ${NODE} } byRegion { region { ${NODE} } status } }
      comparable
      ${BASIS}
    }
  }`,
  targetFirms: `query ($sources: [ProvenanceSource!]) {
    led: targetFirms(chainId: "led", regionId: "shijiazhuang", first: 10, sources: $sources) {
      region { ${NODE} }
      gaps { ${GAP} }
      recommendations {
        enterprise { ${NODE} }
        fills { segment { ${NODE} } status }
        incentives { ${NODE} }
        evidence { nodes { kind id } }
      }
      ${BASIS}
    }
  }`,
  impactOfLosing: `query ($sources: [ProvenanceSource!]) {
    firm: impactOfLosing(enterpriseId: "ent-zhongci", regionId: "shijiazhuang", sources: $sources) {
      region { ${NODE} } enterprise { ${NODE} }
      segmentsAffected { segment { ${NODE} } before after }
      firmsLosingLocalSupply { enterprise { ${NODE} } lostSuppliers { ${NODE} } }
      ${BASIS}
    }
    segment: impactOfLosing(segmentId: "led-packaging", regionId: "shijiazhuang", sources: $sources) {
      segment { ${NODE} }
      segmentsAffected { segment { ${NODE} } before after }
      firmsLosingLocalSupply { enterprise { ${NODE} } lostSuppliers { ${NODE} } }
      ${BASIS}
    }
  }`,
  chainResilience: `query ($sources: [ProvenanceSource!]) {
    chainResilience(chainId: "led", regionId: "shijiazhuang", sources: $sources, first: 50) {
      singlePointsOfFailure {
        enterprise { ${NODE} }
        segmentsBroken { segment { ${NODE} } }
        buyersStranded { enterprise { ${NODE} } segments { ${NODE} } }
      }
      ${BASIS}
    }
  }`,
  segmentReach: `query ($sources: [ProvenanceSource!]) {
    segment(id: "led-packaging") {
      upstream(depth: 3, regionId: "shijiazhuang", sources: $sources) {
        segments { segment { ${NODE} } path { ${NODE} } }
        enterprises(first: 100) { enterprise { ${NODE} } segment { ${NODE} } }
      }
      downstream(depth: 3, regionId: "shijiazhuang", sources: $sources) {
        segments { segment { ${NODE} } path { ${NODE} } }
        enterprises(first: 100) { enterprise { ${NODE} } segment { ${NODE} } }
      }
    }
  }`,
  enterpriseReach: `query ($sources: [ProvenanceSource!]) {
    enterprise(id: "ent-led-gaoxin-smd-demo") {
      upstream(depth: 3, regionId: "shijiazhuang", sources: $sources) {
        segments { segment { ${NODE} } path { ${NODE} } }
        enterprises(first: 100) { enterprise { ${NODE} } provenance { source } path { ${NODE} } }
      }
      downstream(depth: 3, regionId: "shijiazhuang", sources: $sources) {
        segments { segment { ${NODE} } path { ${NODE} } }
        enterprises(first: 100) { enterprise { ${NODE} } provenance { source } path { ${NODE} } }
      }
    }
  }`,
};

/**
 * The ids of every ILLUSTRATIVE node (or edge provenance) anywhere in an answer. The demo firm whose reach is
 * asked for is the question's subject, not part of the answer: its own id is skipped (a path starts or ends at it).
 */
function illustrative(
  value: unknown,
  skip: ReadonlySet<string>,
  found: Set<string> = new Set(),
): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) illustrative(item, skip, found);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const provenance = record['provenance'] as { source?: string } | undefined;
    const id = typeof record['id'] === 'string' ? record['id'] : '(an edge)';
    if (provenance?.source === 'ILLUSTRATIVE' && !skip.has(id)) found.add(id);
    for (const [key, child] of Object.entries(record))
      if (key !== 'provenance') illustrative(child, skip, found);
  }
  return found;
}

/** Every `basis` object anywhere in an answer. */
function bases(value: unknown, found: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(value)) for (const item of value) bases(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'basis' && child !== null && typeof child === 'object' && 'sources' in child)
        found.push(child);
      bases(child, found);
    }
  }
  return found;
}

const SUBJECT = new Set(['ent-led-gaoxin-smd-demo']);

describe('analytics answer with real data by default (PLAN and PUBLIC)', () => {
  let database: TestDatabase;
  let server: TestServer;

  const ask = async (query: string, sources?: string[]) => {
    const { body } = await postGraphQL(server.url, { query, variables: sources ? { sources } : {} });
    expect(body.errors).toBeUndefined();
    return body.data;
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(database.executor);
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  for (const [field, query] of Object.entries(QUERIES)) {
    it(`${field}: no ILLUSTRATIVE node without sources; the demo data appears when asked for`, async () => {
      const real = await ask(query);
      expect([...illustrative(real, SUBJECT)], field).toEqual([]);
      for (const basis of bases(real)) {
        expect(basis, field).toMatchObject({ sources: ['PLAN', 'PUBLIC'], illustrativeShare: 0 });
        // Nothing shipped is a census.
        expect(basis['completeness'], field).not.toBe('CENSUS');
      }

      const demo = await ask(query, ['PLAN', 'PUBLIC', 'ILLUSTRATIVE']);
      const demoBases = bases(demo);
      const shown = illustrative(demo, SUBJECT).size;
      const share = Math.max(0, ...demoBases.map((basis) => Number(basis['illustrativeShare'])));
      // Either demo nodes are in the answer, or (an answer of frame nodes only, like compareRegions) its counts rest
      // partly on them.
      expect(shown + share, `${field}: illustrative data shows when asked for`).toBeGreaterThan(0);
      for (const basis of demoBases)
        expect(basis['sources'], field).toEqual(['PLAN', 'PUBLIC', 'ILLUSTRATIVE']);
    });
  }

  it('the demo firms are there to find: the LED gap report with ILLUSTRATIVE lists some as local firms', async () => {
    const demo = (await ask(QUERIES['chainGaps']!, ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'])) as {
      led: { gaps: { localEnterprises: { id: string; provenance: { source: string } }[] }[] };
    };
    const firms = demo.led.gaps.flatMap((gap) => gap.localEnterprises);
    expect(firms.filter((firm) => firm.provenance.source === 'ILLUSTRATIVE').length).toBeGreaterThan(0);
  });
});
