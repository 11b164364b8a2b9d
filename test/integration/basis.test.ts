import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { describeImportProblem, importSources } from '../../src/import/importer.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph, type TestGraph, linearSegments } from '../support/graphBuilder.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * The data basis of analytics answers (issue 15), on a hand-worked graph, over HTTP:
 *
 *   s1 (UPSTREAM) ──> s2 (MIDSTREAM) ──> s3 (DOWNSTREAM)
 *
 * prov ⊃ city ⊃ district; other apart. Firms: F1 (leading), F2 in s2 in the district; F3 (ILLUSTRATIVE) in s2 and
 * F4 (ILLUSTRATIVE) in s3 in the city; O1 in s1 in other. Platform P1 supports s2 in the city.
 *
 * Real data (the default): the city has s1: 0 firms, s2: 2 (F1, F2), s3: 0. s1 reaches 2 of the 2 other segments
 * (criticality 1), s3 none (0). A segment with no recorded firm is MISSING only under CENSUS (severity 1: s1 scores
 * 100, s3 50); otherwise UNKNOWN (severity 0.8: s1 80, s3 40). With minEnterprises 2, s2 is COVERED.
 * presenceRatio = 1/3, coveredRatio = 1/3 (thresholds minEnterprises 2) or 0 (default: s2 is WEAK with 2 < 3).
 * With ILLUSTRATIVE as well: s2 3 firms (COVERED), s3 1 firm (DEPENDENT) — 4 counted, 2 of them illustrative:
 * illustrativeShare 0.5.
 */
describe('data basis: completeness, UNKNOWN vs MISSING, presence vs covered, illustrative share', () => {
  let database: TestDatabase;
  let server: TestServer;
  let graph: TestGraph;
  const prefix = uniquePrefix('basis');

  const ask = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const { body } = await postGraphQL<T>(server.url, { query, variables });
    expect(body.errors).toBeUndefined();
    return body.data!;
  };

  /** Declares completeness through the regions import table (CSV, Chinese headers and labels allowed). */
  const declare = async (rows: [local: string, parent: string, completeness: string][]) => {
    const content = [
      'id,name,level,parentId,数据完整性,source,section',
      ...rows.map(
        ([local, parent, completeness]) =>
          `${graph.id(local)},${prefix} ${local},DISTRICT,${parent === '' ? '' : graph.id(parent)},${completeness},PLAN,test`,
      ),
    ].join('\n');
    const result = await importSources(
      database.executor,
      [{ name: 'regions.csv', content, format: 'csv', kind: 'regions' }],
      { acceptValid: false },
    );
    expect(result.problems.map(describeImportProblem)).toEqual([]);
    expect(result.written).toBe(true);
  };

  interface Gap {
    segment: { id: string };
    status: string;
    score: number;
    reasons: { code: string; text: string; textZh: string }[];
  }
  interface Summary {
    segments: number;
    missing: number;
    unknown: number;
    covered: number;
    presenceRatio: number;
    coveredRatio: number;
    coverageRatio: number;
  }
  interface Basis {
    sources: string[];
    completeness: string;
    illustrativeShare: number;
  }
  const GAPS = `query ($chainId: ID!, $regionId: ID!, $sources: [ProvenanceSource!], $thresholds: GapThresholds) {
    chainGaps(chainId: $chainId, regionId: $regionId, sources: $sources, thresholds: $thresholds) {
      gaps { segment { id } status score reasons { code text textZh } }
      total { segments missing unknown covered presenceRatio coveredRatio coverageRatio }
      basis { sources completeness illustrativeShare asOf current pendingChanges }
      region { completeness declaredCompleteness }
    }
  }`;
  const gaps = async (regionId: string, extra: Record<string, unknown> = {}) =>
    (
      await ask<{
        chainGaps: {
          gaps: Gap[];
          total: Summary;
          basis: Basis;
          region: { completeness: string; declaredCompleteness: string | null };
        };
      }>(GAPS, { chainId: graph.id('chain'), regionId: graph.id(regionId), ...extra })
    ).chainGaps;
  const byLocal = (list: readonly Gap[]) =>
    Object.fromEntries(list.map((gap) => [graph.local(gap.segment.id), gap]));

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(database.executor);
    graph = await createTestGraph(database.executor, prefix, {
      regions: [
        { id: 'prov' },
        { id: 'city', parent: 'prov' },
        { id: 'district', parent: 'city' },
        { id: 'other' },
      ],
      chain: 'chain',
      segments: linearSegments('s1', 's2', 's3'),
      firms: [
        { id: 'F1', region: 'district', segments: ['s2'], leading: true },
        { id: 'F2', region: 'district', segments: ['s2'] },
        { id: 'F3', region: 'city', segments: ['s2'], source: 'ILLUSTRATIVE' },
        { id: 'F4', region: 'city', segments: ['s3'], source: 'ILLUSTRATIVE' },
        { id: 'O1', region: 'other', segments: ['s1'], sizeBand: 'LARGE' },
      ],
      platforms: [{ id: 'P1', region: 'city', supports: ['s2'] }],
    });
  });
  afterAll(async () => {
    await server.close();
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  it('with nothing declared, a segment with no recorded firm is UNKNOWN (PARTIAL), not MISSING', async () => {
    const report = await gaps('city');
    expect(report.region).toEqual({ completeness: 'PARTIAL', declaredCompleteness: null });
    expect(report.basis).toMatchObject({
      sources: ['PLAN', 'PUBLIC'],
      completeness: 'PARTIAL',
      illustrativeShare: 0,
    });
    const gap = byLocal(report.gaps);
    expect([gap['s1']!.status, gap['s1']!.score]).toEqual(['UNKNOWN', 80]);
    expect([gap['s3']!.status, gap['s3']!.score]).toEqual(['UNKNOWN', 40]);
    expect(gap['s2']!.status).toBe('WEAK');
    const reason = gap['s1']!.reasons[0]!;
    expect(reason.code).toBe('NO_RECORDED_ENTERPRISE');
    expect(reason.text).toContain('no recorded enterprise');
    expect(reason.text).toContain('not proof of absence');
    expect(reason.text).toContain('partial');
    expect(reason.textZh).toContain('不能据此认定断链');
    expect(report.total).toMatchObject({ segments: 3, missing: 0, unknown: 2, covered: 0 });
    // Worst first: the unverified absences (80, 40) rank above the WEAK segment with recorded firms.
    expect(report.gaps.map((entry) => graph.local(entry.segment.id))).toEqual(['s1', 's3', 's2']);
  });

  it('presenceRatio counts segments with a firm, coveredRatio only COVERED ones; coverageRatio is presence', async () => {
    const weak = await gaps('city');
    expect(weak.total).toMatchObject({ presenceRatio: 0.3333, coveredRatio: 0, coverageRatio: 0.3333 });
    const covered = await gaps('city', { thresholds: { minEnterprises: 2 } });
    expect(byLocal(covered.gaps)['s2']!.status).toBe('COVERED');
    expect(covered.total).toMatchObject({ presenceRatio: 0.3333, coveredRatio: 0.3333, covered: 1 });
    const withDemo = await gaps('city', { sources: ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'] });
    // s2 and s3 now have firms (s3 only the illustrative F4): 2 of 3 present; s2 (3 firms, a leader, a platform) is
    // COVERED, s3 (one firm) DEPENDENT.
    expect(withDemo.total).toMatchObject({ presenceRatio: 0.6667, coveredRatio: 0.3333, covered: 1 });
  });

  it('illustrativeShare is the share of counted firms that are illustrative (2 of 4), 0 under the default', async () => {
    const withDemo = await gaps('city', { sources: ['ILLUSTRATIVE', 'PLAN', 'PUBLIC'] });
    expect(withDemo.basis).toMatchObject({
      sources: ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'],
      illustrativeShare: 0.5,
    });
    expect((await gaps('city')).basis.illustrativeShare).toBe(0);
  });

  it('LISTED_ONLY keeps UNKNOWN and says the data holds listed companies only', async () => {
    await declare([['city', 'prov', '仅上市公司']]);
    const report = await gaps('city');
    expect(report.region).toEqual({ completeness: 'LISTED_ONLY', declaredCompleteness: 'LISTED_ONLY' });
    expect(report.basis.completeness).toBe('LISTED_ONLY');
    const gap = byLocal(report.gaps)['s1']!;
    expect(gap.status).toBe('UNKNOWN');
    expect(gap.reasons[0]!.text).toContain('listed companies only');
  });

  it('CENSUS makes the same segments MISSING (断链), and a district without a declaration inherits it', async () => {
    await declare([['city', 'prov', '全量']]);
    const report = await gaps('city');
    expect(report.basis.completeness).toBe('CENSUS');
    const gap = byLocal(report.gaps);
    expect([gap['s1']!.status, gap['s1']!.score, gap['s1']!.reasons[0]!.code]).toEqual([
      'MISSING',
      100,
      'NO_LOCAL_ENTERPRISE',
    ]);
    expect([gap['s3']!.status, gap['s3']!.score]).toEqual(['MISSING', 50]);
    expect(report.total).toMatchObject({ missing: 2, unknown: 0 });

    const district = await gaps('district');
    expect(district.region).toEqual({ completeness: 'CENSUS', declaredCompleteness: null });
    expect(district.basis.completeness).toBe('CENSUS');
    expect(byLocal(district.gaps)['s1']!.status).toBe('MISSING');
  });

  it('the nearest declaration wins: a PARTIAL city under a CENSUS province gives its district PARTIAL', async () => {
    await declare([
      ['prov', '', 'CENSUS'],
      ['city', 'prov', 'partial'],
    ]);
    const district = await gaps('district');
    expect(district.region).toEqual({ completeness: 'PARTIAL', declaredCompleteness: null });
    expect(byLocal(district.gaps)['s1']!.status).toBe('UNKNOWN');
    const province = await gaps('prov');
    expect(province.basis.completeness).toBe('CENSUS');
    expect(byLocal(province.gaps)['s1']!.status).toBe('MISSING');
  });

  it('targetFirms treats UNKNOWN as a gap and carries the basis', async () => {
    const { targetFirms } = await ask<{
      targetFirms: {
        gaps: { segment: { id: string }; status: string }[];
        recommendations: { enterprise: { id: string } }[];
        basis: Basis;
      };
    }>(
      `query ($chainId: ID!, $regionId: ID!) {
        targetFirms(chainId: $chainId, regionId: $regionId) {
          gaps { segment { id } status }
          recommendations { enterprise { id } }
          basis { sources completeness illustrativeShare }
        }
      }`,
      { chainId: graph.id('chain'), regionId: graph.id('city') },
    );
    expect(targetFirms.gaps.find((gap) => graph.local(gap.segment.id) === 's1')?.status).toBe('UNKNOWN');
    expect(targetFirms.recommendations.map((entry) => graph.local(entry.enterprise.id))).toEqual(['O1']);
    expect(targetFirms.basis).toEqual({
      sources: ['PLAN', 'PUBLIC'],
      completeness: 'PARTIAL',
      illustrativeShare: 0,
    });
  });

  it('compareRegions is comparable only when the regions share a single-rule basis, and says why not', async () => {
    const COMPARE = `query ($chainId: ID!, $regionIds: [ID!]!, $sources: [ProvenanceSource!]) {
      compareRegions(chainId: $chainId, regionIds: $regionIds, sources: $sources) {
        comparable comparabilityNote
        regions { region { id } basis { completeness illustrativeShare } }
        basis { completeness sources illustrativeShare }
      }
    }`;
    type Comparison = {
      compareRegions: {
        comparable: boolean;
        comparabilityNote: string | null;
        regions: { region: { id: string }; basis: { completeness: string; illustrativeShare: number } }[];
        basis: Basis;
      };
    };
    const compare = async (regions: string[], sources?: string[]) =>
      (
        await ask<Comparison>(COMPARE, {
          chainId: graph.id('chain'),
          regionIds: regions.map((region) => graph.id(region)),
          ...(sources ? { sources } : {}),
        })
      ).compareRegions;

    // prov is CENSUS; other declares nothing (PARTIAL).
    const differing = await compare(['prov', 'other']);
    expect(differing.comparable).toBe(false);
    expect(differing.comparabilityNote).toContain('differ in completeness');
    expect(differing.comparabilityNote).toContain(`CENSUS: ${graph.id('prov')}`);
    expect(differing.comparabilityNote).toContain(`PARTIAL: ${graph.id('other')}`);
    expect(differing.regions.map((entry) => entry.basis.completeness)).toEqual(['CENSUS', 'PARTIAL']);
    expect(differing.basis.completeness).toBe('PARTIAL');

    // Both PARTIAL: partial lists are not like for like.
    const partial = await compare(['city', 'other']);
    expect(partial.comparable).toBe(false);
    expect(partial.comparabilityNote).toContain('all PARTIAL');

    // Both CENSUS: comparable, no note.
    await declare([['other', '', 'CENSUS']]);
    const alike = await compare(['prov', 'other']);
    expect([alike.comparable, alike.comparabilityNote]).toEqual([true, null]);

    // Demo firms counted in one of them only (prov holds F3, F4; other none).
    const demo = await compare(['prov', 'other'], ['PLAN', 'PUBLIC', 'ILLUSTRATIVE']);
    expect(demo.comparable).toBe(false);
    expect(demo.comparabilityNote).toContain('illustrative');
    expect(demo.regions.map((entry) => entry.basis.illustrativeShare)).toEqual([0.5, 0]);
  });
});
