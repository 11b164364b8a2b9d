import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readRankedCandidates } from '../../src/analytics/candidates.js';
import { readSegmentScopes } from '../../src/analytics/facts.js';
import { withDefaultWeights } from '../../src/analytics/targets.js';
import { upsertAll } from '../../src/data/upsert.js';
import { toBatches } from '../../src/ingest/batches.js';
import type { EnterpriseRecord, MeasureRecord } from '../../src/ingest/records.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { testGraphRecords, type TestGraphSpec, linearSegments } from '../support/graphBuilder.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * Issue 15, incentives that apply: a hand-worked graph whose three segments are all missing in `home`, five outside
 * firms with known profiles, and seven measures, one per rule. The expected measures of each firm are worked out by
 * hand below from the rule in src/analytics/incentives.ts.
 */

const prefix = uniquePrefix('incentives');
const id = (local: string) => `${prefix}-${local}`;

const spec: TestGraphSpec = {
  regions: [
    { id: 'home', lat: 38, lon: 114.5 },
    { id: 'north', lat: 39.9, lon: 116.4 },
    { id: 'north-child', parent: 'north' },
    { id: 'far', lat: 31.2, lon: 121.5 },
  ],
  chain: 'chain',
  segments: linearSegments(),
  firms: [
    { id: 'fa', region: 'north-child', segments: ['up'], sizeBand: 'LARGE' },
    { id: 'fb', region: 'far', segments: ['mid'], sizeBand: 'MEDIUM' },
    { id: 'fc', region: 'north', segments: ['down'], sizeBand: 'SMALL' },
    { id: 'fd', region: 'far', segments: [{ id: 'up', role: 'SUPPLIER' }], sizeBand: 'MICRO' },
    { id: 'fe', region: 'far', segments: [{ id: 'mid', role: 'SUPPLIER' }], sizeBand: 'MEDIUM' },
  ],
};

/** The profile facts of each firm (the builder writes none of them). */
const PROFILES: Record<string, Partial<EnterpriseRecord>> = {
  fa: {
    ownership: 'FOREIGN',
    controller: 'Overseas Group (test)',
    fortuneGlobal500: true,
    market: 'MAIN_BOARD',
    flags: { listed: true },
  },
  fb: { ownership: 'PRIVATE', controller: 'A person (test)', market: 'CHINEXT', flags: { listed: true } },
  fc: {},
  fd: { ownership: 'FOREIGN' },
  fe: { ownership: 'LOCAL_SOE', market: 'STAR', flags: { listed: true } },
};

const project = { kind: 'PROJECT' as const, text: '若项目符合条件', textEn: 'if the project qualifies' };
const MEASURES: {
  local: string;
  offerable?: boolean;
  segment?: string;
  eligibility?: MeasureRecord['eligibility'];
}[] = [
  { local: 'm1-internal', offerable: false },
  { local: 'm2-open' },
  {
    local: 'm3-one-off',
    eligibility: [
      {
        terms: [1],
        conditions: [
          { kind: 'OWNERSHIP', ownership: ['FOREIGN'] },
          { kind: 'FOREIGN_CAPITAL_AT_LEAST', usdMillion: 50 },
        ],
      },
      {
        terms: [2],
        conditions: [{ kind: 'FORTUNE_GLOBAL_500' }, { kind: 'OWNERSHIP', ownership: ['FOREIGN'] }],
      },
    ],
  },
  { local: 'm4-listed', eligibility: [{ terms: [], conditions: [{ kind: 'LISTED' }] }] },
  {
    local: 'm5-region',
    eligibility: [{ terms: [1], conditions: [{ kind: 'REGION', regionIds: [id('north')] }, project] }],
  },
  { local: 'm6-segment', segment: 'down' },
  {
    local: 'm7-small',
    eligibility: [{ terms: [], conditions: [{ kind: 'SIZE_BAND', sizeBands: ['SMALL', 'MICRO'] }] }],
  },
];

/** Worked out by hand: each firm's measures, in the measures' order, with how it qualifies and through which terms. */
const EXPECTED: Record<string, [string, 'ELIGIBLE' | 'CONDITIONAL', number[]][]> = {
  // Foreign, Fortune Global 500 (the second clause of m3 holds entirely), listed, in the north.
  fa: [
    ['m2-open', 'ELIGIBLE', []],
    ['m3-one-off', 'ELIGIBLE', [2]],
    ['m4-listed', 'ELIGIBLE', []],
    ['m5-region', 'CONDITIONAL', [1]],
  ],
  fb: [
    ['m2-open', 'ELIGIBLE', []],
    ['m4-listed', 'ELIGIBLE', []],
  ],
  // Ownership not published: m3's clauses have no met condition on the firm, so m3 is absent, not conditional.
  fc: [
    ['m2-open', 'ELIGIBLE', []],
    ['m5-region', 'CONDITIONAL', [1]],
    ['m6-segment', 'ELIGIBLE', []],
    ['m7-small', 'ELIGIBLE', []],
  ],
  // Foreign, Fortune Global 500 not known: both clauses conditional, the first one is given.
  fd: [
    ['m2-open', 'ELIGIBLE', []],
    ['m3-one-off', 'CONDITIONAL', [1]],
    ['m7-small', 'ELIGIBLE', []],
  ],
  fe: [
    ['m2-open', 'ELIGIBLE', []],
    ['m4-listed', 'ELIGIBLE', []],
  ],
};

const QUERY = `query ($chainId: ID!, $regionId: ID!, $first: Int, $ownership: [Ownership!], $listedOnly: Boolean) {
  targetFirms(chainId: $chainId, regionId: $regionId, first: $first, ownership: $ownership, listedOnly: $listedOnly) {
    recommendations {
      score
      enterprise { id ownership controller market stockCode fortuneGlobal500 flags { listed } }
      incentives { id }
      eligibleIncentives {
        measure { id offerable }
        eligibility
        terms
        reasons { condition state text textZh }
        clauses { eligibility terms }
      }
    }
  }
}`;

interface Recommendation {
  score: number;
  enterprise: {
    id: string;
    ownership: string | null;
    controller: string | null;
    market: string | null;
    stockCode: string | null;
    fortuneGlobal500: boolean | null;
    flags: { listed: boolean };
  };
  incentives: { id: string }[];
  eligibleIncentives: {
    measure: { id: string; offerable: boolean };
    eligibility: string;
    terms: number[];
    reasons: { condition: string; state: string; text: string; textZh: string }[];
    clauses: { eligibility: string; terms: number[] }[];
  }[];
}

describe('targetFirms: incentives that apply and the firm profile (issue 15)', () => {
  let database: TestDatabase;
  let server: TestServer;

  const ask = async (variables: Record<string, unknown> = {}) => {
    const response = await postGraphQL<{ targetFirms: { recommendations: Recommendation[] } }>(server.url, {
      query: QUERY,
      variables: { chainId: id('chain'), regionId: id('home'), first: 10, ...variables },
    });
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.targetFirms.recommendations;
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    const records = testGraphRecords(prefix, spec);
    const enterprises = (records.enterprises ?? []).map((firm) => {
      const profile = PROFILES[firm.id.slice(prefix.length + 1)] ?? {};
      return { ...firm, ...profile, flags: { ...firm.flags, ...profile.flags } };
    });
    const measures: MeasureRecord[] = MEASURES.map((measure, index) => ({
      id: id(measure.local),
      policyId: id('policy'),
      number: index + 1,
      title: `${prefix} ${measure.local}`,
      terms: [],
      appliesTo: {
        industryIds: [],
        chainIds: measure.segment ? [] : [id('chain')],
        segmentIds: measure.segment ? [id(measure.segment)] : [],
        programmeIds: [],
      },
      ...(measure.offerable === undefined ? {} : { offerable: measure.offerable }),
      ...(measure.eligibility === undefined ? {} : { eligibility: measure.eligibility }),
      provenance: { source: 'ILLUSTRATIVE', note: 'test data' },
    }));
    const { nodes, relationships } = toBatches({
      ...records,
      enterprises,
      policies: [
        {
          id: id('policy'),
          title: `${prefix} policy`,
          issuer: 'test',
          period: 'test',
          provenance: { source: 'ILLUSTRATIVE', note: 'test data' },
        },
      ],
      measures,
    });
    await upsertAll(database.executor, 'test-graph', nodes, relationships);
    // Generous deadlines: the machine's cores are shared; no assertion here is about time.
    server = await serveTestApp(database.executor, {
      REQUEST_TIMEOUT_MS: '120000',
      NEO4J_TX_TIMEOUT_MS: '120000',
    });
  });
  afterAll(async () => {
    await server.close();
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  it('lists for each firm exactly the measures it qualifies for: eligible, conditional, never an internal one', async () => {
    const recommendations = await ask();
    expect(recommendations.map((r) => r.enterprise.id).sort()).toEqual(
      ['fa', 'fb', 'fc', 'fd', 'fe'].map(id),
    );
    for (const recommendation of recommendations) {
      const local = recommendation.enterprise.id.slice(prefix.length + 1);
      const expected = EXPECTED[local]!;
      expect(
        recommendation.eligibleIncentives.map((incentive) => [
          incentive.measure.id,
          incentive.eligibility,
          incentive.terms,
        ]),
        local,
      ).toEqual(expected.map(([measure, eligibility, terms]) => [id(measure), eligibility, terms]));
      // `incentives` lists the same measures, and never the internal one.
      expect(recommendation.incentives.map((measure) => measure.id)).toEqual(
        expected.map(([measure]) => id(measure)),
      );
      expect(recommendation.eligibleIncentives.every((incentive) => incentive.measure.offerable)).toBe(true);
    }
  });

  it('says why: each condition of the qualifying clause, met or still to be decided', async () => {
    const byFirm = new Map((await ask()).map((r) => [r.enterprise.id.slice(prefix.length + 1), r]));
    const reasons = (firm: string, measure: string) =>
      byFirm
        .get(firm)!
        .eligibleIncentives.find((incentive) => incentive.measure.id === id(measure))!
        .reasons.map((reason) => [reason.condition, reason.state]);
    expect(reasons('fa', 'm3-one-off')).toEqual([
      ['FORTUNE_GLOBAL_500', 'MET'],
      ['OWNERSHIP', 'MET'],
    ]);
    expect(reasons('fd', 'm3-one-off')).toEqual([
      ['OWNERSHIP', 'MET'],
      ['FOREIGN_CAPITAL_AT_LEAST', 'UNDECIDED'],
    ]);
    expect(reasons('fc', 'm5-region')).toEqual([
      ['REGION', 'MET'],
      ['PROJECT', 'UNDECIDED'],
    ]);
    expect(reasons('fa', 'm2-open')).toEqual([['IN_SCOPE', 'MET']]);
    // Every clause a firm qualifies through: fd (foreign, Fortune Global 500 not known) through both of m3's.
    const clauses = (firm: string, measure: string) =>
      byFirm.get(firm)!.eligibleIncentives.find((incentive) => incentive.measure.id === id(measure))!.clauses;
    expect(clauses('fd', 'm3-one-off')).toEqual([
      { eligibility: 'CONDITIONAL', terms: [1] },
      { eligibility: 'CONDITIONAL', terms: [2] },
    ]);
    expect(clauses('fa', 'm3-one-off')).toEqual([
      { eligibility: 'CONDITIONAL', terms: [1] },
      { eligibility: 'ELIGIBLE', terms: [2] },
    ]);
    const capital = byFirm
      .get('fd')!
      .eligibleIncentives.find((incentive) => incentive.measure.id === id('m3-one-off'))!.reasons[1]!;
    expect(capital.text).toContain('USD 50 million');
    expect(capital.textZh).toContain('5000万美元');
    const projectReason = byFirm
      .get('fc')!
      .eligibleIncentives.find((incentive) => incentive.measure.id === id('m5-region'))!.reasons[1]!;
    expect([projectReason.text, projectReason.textZh]).toEqual([
      'if the project qualifies',
      '若项目符合条件',
    ]);
  });

  it("shows the firm's profile: ownership, controller, listing, Fortune Global 500", async () => {
    const byId = new Map((await ask()).map((r) => [r.enterprise.id, r.enterprise]));
    expect(byId.get(id('fa'))).toEqual({
      id: id('fa'),
      ownership: 'FOREIGN',
      controller: 'Overseas Group (test)',
      market: 'MAIN_BOARD',
      stockCode: null,
      fortuneGlobal500: true,
      flags: { listed: true },
    });
    expect(byId.get(id('fc'))).toEqual({
      id: id('fc'),
      ownership: null,
      controller: null,
      market: null,
      stockCode: null,
      fortuneGlobal500: null,
      flags: { listed: false },
    });
  });

  it('filters candidates by ownership and listing within the ranking: the top N of the admitted firms', async () => {
    const all = await ask();
    const ownershipOf = new Map(all.map((r) => [r.enterprise.id, r.enterprise.ownership]));
    const listed = new Set(all.filter((r) => r.enterprise.flags.listed).map((r) => r.enterprise.id));
    const cases: { variables: Record<string, unknown>; admit: (firmId: string) => boolean }[] = [
      { variables: { listedOnly: true }, admit: (firmId) => listed.has(firmId) },
      {
        variables: { ownership: ['FOREIGN'] },
        admit: (firmId) => ownershipOf.get(firmId) === 'FOREIGN',
      },
      {
        variables: { ownership: ['PRIVATE', 'LOCAL_SOE'], listedOnly: true },
        admit: (firmId) =>
          listed.has(firmId) && ['PRIVATE', 'LOCAL_SOE'].includes(ownershipOf.get(firmId) ?? ''),
      },
    ];
    for (const { variables, admit } of cases) {
      const reference = all.filter((r) => admit(r.enterprise.id));
      expect(reference.length).toBeGreaterThan(0);
      for (const first of [1, 2, 10]) {
        const filtered = await ask({ ...variables, first });
        expect(
          filtered.map((r) => [r.enterprise.id, r.score]),
          JSON.stringify({ variables, first }),
        ).toEqual(reference.slice(0, first).map((r) => [r.enterprise.id, r.score]));
      }
    }
    // A firm whose ownership is not published is never admitted by an ownership filter.
    const everyType = await ask({
      ownership: [
        'CENTRAL_SOE',
        'LOCAL_SOE',
        'PRIVATE',
        'FOREIGN',
        'COLLECTIVE',
        'UNIVERSITY',
        'NO_CONTROLLER',
      ],
    });
    expect(everyType.map((r) => r.enterprise.id)).not.toContain(id('fc'));
  });

  it('applies the filter inside the walk when the walk reads one row per round', async () => {
    const all = await ask();
    const gaps = new Map(
      ['up', 'mid', 'down'].map((segment) => [
        id(segment),
        { segmentId: id(segment), name: segment, score: 100 },
      ]),
    );
    // Gap scores do not matter here: the reference is the same walk without the filter, on the same gaps.
    const scopeToGap = await readSegmentScopes(database.executor, [...gaps.keys()]);
    const walk = (listedOnly: boolean, firstPage: number) =>
      readRankedCandidates(database.executor, {
        regionId: id('home'),
        scopeToGap,
        gaps,
        weights: withDefaultWeights(undefined),
        first: 2,
        sources: ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'],
        priorityRegionIds: [],
        scanLimit: 1000,
        linkedLimits: { maxLocals: 1000, maxLinks: 1000 },
        firstPage,
        filter: { ownership: null, listedOnly },
      });
    const unfiltered = await readRankedCandidates(database.executor, {
      regionId: id('home'),
      scopeToGap,
      gaps,
      weights: withDefaultWeights(undefined),
      first: 10,
      sources: ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'],
      priorityRegionIds: [],
      scanLimit: 1000,
      linkedLimits: { maxLocals: 1000, maxLinks: 1000 },
    });
    const listed = new Set(all.filter((r) => r.enterprise.flags.listed).map((r) => r.enterprise.id));
    const reference = unfiltered.ranked
      .filter((r) => listed.has(r.candidate.id))
      .slice(0, 2)
      .map((r) => [r.candidate.id, r.score]);
    for (const firstPage of [1, 25]) {
      const { ranked, profiles } = await walk(true, firstPage);
      expect(ranked.map((r) => [r.candidate.id, r.score])).toEqual(reference);
      expect([...profiles.keys()]).toEqual(ranked.map((r) => r.candidate.id));
    }
  });

  it('shows a measure’s offerability and conditions on PolicyMeasure', async () => {
    const response = await postGraphQL<{
      policies: {
        id: string;
        measures: {
          id: string;
          offerable: boolean;
          eligibility: {
            terms: number[];
            conditions: { kind: string; ownership: string[] | null; usdMillion: number | null }[];
          }[];
        }[];
      }[];
    }>(server.url, {
      query: `{ policies { id measures { id offerable eligibility { terms conditions { kind ownership usdMillion } } } } }`,
    });
    expect(response.body.errors).toBeUndefined();
    const measures = response.body.data!.policies.find((policy) => policy.id === id('policy'))!.measures;
    expect(measures.map((measure) => [measure.id, measure.offerable])).toEqual(
      MEASURES.map((measure) => [id(measure.local), measure.offerable ?? true]),
    );
    expect(measures.find((measure) => measure.id === id('m3-one-off'))!.eligibility[0]).toEqual({
      terms: [1],
      conditions: [
        { kind: 'OWNERSHIP', ownership: ['FOREIGN'], usdMillion: null },
        { kind: 'FOREIGN_CAPITAL_AT_LEAST', ownership: null, usdMillion: 50 },
      ],
    });
  });

  it('refuses an empty ownership filter with BAD_USER_INPUT', async () => {
    const response = await postGraphQL(server.url, {
      query: QUERY,
      variables: { chainId: id('chain'), regionId: id('home'), ownership: [] },
    });
    expect(response.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(response.body.errors?.[0]?.message).toContain('ownership');
  });

  it('on the shipped plan: no internal measure, and 一事一议 only for foreign capital or Fortune Global 500', async () => {
    const response = await postGraphQL<{
      targetFirms: { recommendations: Recommendation[] };
    }>(server.url, {
      query: QUERY,
      variables: { chainId: 'ic', regionId: 'shijiazhuang', first: 10 },
    });
    expect(response.body.errors).toBeUndefined();
    const recommendations = response.body.data!.targetFirms.recommendations;
    expect(recommendations.length).toBeGreaterThan(0);
    for (const recommendation of recommendations) {
      const ids = recommendation.eligibleIncentives.map((incentive) => incentive.measure.id);
      expect(ids).not.toContain('measure-1-leadership-top-level-design');
      expect(ids).not.toContain('measure-7-target-assessment-supervision');
      const opening = recommendation.eligibleIncentives.find(
        (incentive) => incentive.measure.id === 'measure-6-opening-up',
      );
      // Terms 3 and 4 (一事一议) only for a foreign firm; others get term 2 (support for an introduced project).
      if (opening && recommendation.enterprise.ownership !== 'FOREIGN')
        expect(opening.clauses.map((clause) => clause.terms)).toEqual([[2]]);
    }
    // A foreign-controlled listed company is offered 一事一议 conditionally, on its project's foreign capital.
    const foreign = await postGraphQL<{ targetFirms: { recommendations: Recommendation[] } }>(server.url, {
      query: QUERY,
      variables: { chainId: 'ic', regionId: 'shijiazhuang', first: 3, ownership: ['FOREIGN'] },
    });
    expect(foreign.body.errors).toBeUndefined();
    const foreignFirms = foreign.body.data!.targetFirms.recommendations;
    expect(foreignFirms.length).toBeGreaterThan(0);
    for (const recommendation of foreignFirms) {
      expect(recommendation.enterprise.ownership).toBe('FOREIGN');
      const opening = recommendation.eligibleIncentives.find(
        (incentive) => incentive.measure.id === 'measure-6-opening-up',
      )!;
      expect(opening.clauses).toContainEqual({ eligibility: 'CONDITIONAL', terms: [3] });
    }
  });
});
