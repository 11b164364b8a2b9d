import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cypher } from '../../src/data/cypher.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * TargetProgress.met for a RANGE target, over HTTP against the real graph: "2–3 high-tech firms" is met by 2 and 3
 * firms and not by 1 or 4 (both bounds inclusive, as the SDL says). The counts come from one graph of this file's
 * own, by choosing which provenances are counted: 1 ILLUSTRATIVE, 2 PLAN and 1 PUBLIC high-tech firm.
 */
describe('TargetProgress.met for a RANGE target', () => {
  const prefix = uniquePrefix('target-range');
  let database: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(database.executor);
    await database.executor.write(
      'test-setup',
      cypher(
        `CREATE (region:Region { id: $prefix + '-region', name: '测试区', nameEn: 'Test district', level: 'DISTRICT',
                                  completeness: 'CENSUS' })
         CREATE (:Region { id: $prefix + '-partial', name: '部分区', level: 'DISTRICT', completeness: 'PARTIAL' })
         CREATE (:Region { id: $prefix + '-child', name: '普查子区', level: 'DISTRICT' })-[:PART_OF]->(region)
         CREATE (policy:Policy { id: $prefix + '-policy', name: '测试规划', source: 'PLAN' })-[:FOR_REGION]->(region)
         CREATE (:Target { id: $prefix + '-target', name: '培育2-3家高新技术企业', nameEn: '2–3 high-tech firms',
                           value: 2, valueMax: 3, unit: '家', comparator: 'RANGE', period: 'BY_2020',
                           metric: 'HIGH_TECH_ENTERPRISES', source: 'PLAN', section: '二' })-[:SET_BY]->(policy)
         WITH region
         UNWIND $firms AS firm
         CREATE (:Enterprise { id: $prefix + '-' + firm.n, name: '测试企业' + firm.n, highTech: true,
                               source: firm.source })-[:LOCATED_IN]->(region)`,
        {
          prefix,
          firms: [
            { n: 1, source: 'ILLUSTRATIVE' },
            { n: 2, source: 'PLAN' },
            { n: 3, source: 'PLAN' },
            { n: 4, source: 'PUBLIC' },
          ],
        },
      ),
    );
    // Two more high-tech firms in the partial region, one in the census region's child.
    await database.executor.write(
      'test-setup',
      cypher(
        `UNWIND $firms AS firm
         MATCH (home:Region { id: firm.region })
         CREATE (:Enterprise { id: $prefix + '-' + firm.n, name: '测试企业' + firm.n, highTech: true,
                               source: 'PLAN' })-[:LOCATED_IN]->(home)`,
        {
          prefix,
          firms: [
            { n: 5, region: `${prefix}-partial` },
            { n: 6, region: `${prefix}-partial` },
            { n: 7, region: `${prefix}-child` },
          ],
        },
      ),
    );
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await server?.close();
    await database?.close();
  });

  it('is met by a count on either bound and by none outside them', async () => {
    const response = await postGraphQL<{
      targets: {
        id: string;
        comparator: string;
        value: number;
        valueMax: number | null;
        one: { value: number; met: boolean } | null;
        two: { value: number; met: boolean } | null;
        three: { value: number; met: boolean } | null;
        four: { value: number; met: boolean } | null;
      }[];
    }>(server.url, {
      query: `{
        targets(countable: true) {
          id comparator value valueMax
          one: current(sources: [ILLUSTRATIVE]) { value met }
          two: current(sources: [PUBLIC, ILLUSTRATIVE]) { value met }
          three: current(sources: [PLAN]) { value met }
          four: current(sources: [PLAN, PUBLIC]) { value met }
        }
      }`,
    });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const target = response.body.data!.targets.find((candidate) => candidate.id === `${prefix}-target`);
    expect(target).toEqual({
      id: `${prefix}-target`,
      comparator: 'RANGE',
      value: 2,
      valueMax: 3,
      one: { value: 1, met: false },
      two: { value: 2, met: true },
      three: { value: 3, met: true },
      // Above the range: the old resolver read a RANGE as "at least its lower bound" and said true here.
      four: { value: 4, met: false },
    });
  });

  it('answers met only where a partial count decides it, and inherits a census from the parent region', async () => {
    const response = await postGraphQL<{
      targets: {
        id: string;
        partial: { value: number; met: boolean | null; asOf: string; completeness: string } | null;
        child: { value: number; met: boolean | null; completeness: string } | null;
      }[];
    }>(server.url, {
      query: `query ($partial: ID!, $child: ID!) {
        targets(countable: true) {
          id
          partial: current(regionId: $partial, sources: [PLAN]) { value met asOf completeness }
          child: current(regionId: $child, sources: [PLAN]) { value met completeness }
        }
      }`,
      variables: { partial: `${prefix}-partial`, child: `${prefix}-child` },
    });
    expect(response.body.errors).toBeUndefined();
    const target = response.body.data!.targets.find((candidate) => candidate.id === `${prefix}-target`)!;
    // 1 of a 2–3 range in the census region's child is not met; 2 where the firm data is partial is unknown.
    expect(target.child).toEqual({ value: 1, met: false, completeness: 'CENSUS' });
    expect(target.partial).toMatchObject({ value: 2, met: null, completeness: 'PARTIAL' });
    expect(Date.parse(target.partial!.asOf)).toBeGreaterThan(Date.now() - 60_000);
  });
});
