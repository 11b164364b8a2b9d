import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cypher } from '../../src/data/cypher.js';
import type {
  BiomedicinePolicyMeasuresQuery,
  LuquanLedMidstreamEnterprisesQuery,
  PlatformsSupportingIcDesignQuery,
  ShiyaoKeyProjectsQuery,
  TargetsVersusGraphQuery,
} from '../../src/graphql/generated/operations.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { createTestGraphQL, savedOperation, type TestGraphQL } from '../support/graphql.js';

/**
 * The questions of the plan, asked through the saved operations in queries/ against the seed graph. Each answer
 * is checked against an independently written Cypher query (the oracle) and costs exactly one round trip.
 */
describe('the plan questions, answered from the seed graph', () => {
  let database: TestDatabase;
  let graphql: TestGraphQL;

  beforeAll(async () => {
    database = await openTestDatabase();
    graphql = await createTestGraphQL(database.executor, database.config);
  });
  afterAll(async () => {
    await graphql.stop();
    await database.close();
  });

  const oracle = async (text: string, params: Record<string, unknown> = {}) =>
    database.executor.read('oracle', cypher(text, params));

  it('lists the enterprises in 鹿泉区 that operate in the LED chain midstream', async () => {
    const result = await graphql.run<LuquanLedMidstreamEnterprisesQuery>(
      savedOperation('luquan-led-midstream'),
    );
    expect(result.errors).toBeUndefined();
    expect(result.roundTrips).toBe(1);
    const expected = await oracle(
      `MATCH (e:Enterprise)-[:LOCATED_IN]->(:Region { id: 'sjz-luquan' })
       WHERE EXISTS { (e)-[:OPERATES_IN]->(s:ChainSegment { chainId: 'led', stage: 'MIDSTREAM' }) }
       RETURN e.id AS id ORDER BY e.name, e.id`,
    );
    const page = result.data!.enterprises;
    expect(page.nodes.map((node) => node.id)).toEqual(expected.map((row) => row['id']));
    expect(page.totalCount).toBe(expected.length);
    expect(page.totalCount).toBeGreaterThanOrEqual(2);
    for (const enterprise of page.nodes) {
      expect(enterprise.region.id).toBe('sjz-luquan');
      expect(
        enterprise.segments.some(
          (link) => link.segment.chain.id === 'led' && link.segment.stage === 'MIDSTREAM',
        ),
      ).toBe(true);
    }
  });

  it("puts the plan's 2020 target for high-tech enterprises next to what the graph counts", async () => {
    const result = await graphql.run<TargetsVersusGraphQuery>(savedOperation('targets-vs-graph'));
    expect(result.errors).toBeUndefined();
    expect(result.roundTrips).toBe(1);
    const highTech = result.data!.targets.find((target) => target.metric === 'HIGH_TECH_ENTERPRISES');
    expect(highTech).toMatchObject({
      value: 1300,
      period: 'BY_2020',
      provenance: { source: 'PLAN', section: '二' },
    });
    const [counted] = await oracle(
      `MATCH (e:Enterprise { highTech: true })-[:LOCATED_IN]->(:Region)-[:PART_OF*0..8]->(:Region { id: 'shijiazhuang' })
       WHERE e.source IN ['PLAN', 'PUBLIC'] RETURN count(e) AS n`,
    );
    expect(highTech!.current).toMatchObject({
      value: counted!['n'],
      ratio: Number(counted!['n']) / 1300,
      // The city's firm data is not a census, and a partial count below an AT_LEAST target decides nothing.
      met: null,
      region: { id: 'shijiazhuang' },
    });
    expect(highTech!.current!.basis).toContain('PLAN and PUBLIC');
    // Every countable target gets a figure; the others are not in this list at all.
    expect(result.data!.targets.every((target) => target.metric !== null && target.current !== null)).toBe(
      true,
    );
  });

  it('counts illustrative facts only when asked to', async () => {
    const all = await graphql.data<TargetsVersusGraphQuery>(savedOperation('targets-vs-graph'), {
      sources: ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'],
    });
    const [counted] = await oracle(
      `MATCH (e:Enterprise { highTech: true })-[:LOCATED_IN]->(:Region)-[:PART_OF*0..8]->(:Region { id: 'shijiazhuang' }) RETURN count(e) AS n`,
    );
    expect(all.targets.find((target) => target.metric === 'HIGH_TECH_ENTERPRISES')!.current!.value).toBe(
      counted!['n'],
    );
  });

  it('lists the platforms that support IC design, its narrower design segments included', async () => {
    const result = await graphql.run<PlatformsSupportingIcDesignQuery>(savedOperation('ic-design-platforms'));
    expect(result.errors).toBeUndefined();
    expect(result.roundTrips).toBe(1);
    const expected = await oracle(
      `MATCH (p:Platform)-[:SUPPORTS]->(:ChainSegment)-[:SUBSEGMENT_OF*0..6]->(:ChainSegment { id: 'ic-chip-design' })
       RETURN DISTINCT p.id AS id, p.name AS name ORDER BY name, id`,
    );
    expect(result.data!.platforms.nodes.map((platform) => platform.id)).toEqual(
      expected.map((row) => row['id']),
    );
    expect(expected.length).toBeGreaterThanOrEqual(3);
  });

  it('lists the policy measures that apply to biomedicine, with their terms', async () => {
    const result = await graphql.run<BiomedicinePolicyMeasuresQuery>(
      savedOperation('biomedicine-policy-measures'),
    );
    expect(result.errors).toBeUndefined();
    expect(result.roundTrips).toBe(1);
    const expected = await oracle(
      `MATCH (m:PolicyMeasure)-[:APPLIES_TO]->(:IndustrialChain { id: 'biomedicine' }) RETURN m.number AS n ORDER BY n`,
    );
    const measures = result.data!.chain!.policyMeasures;
    expect(measures.map((measure) => measure.number)).toEqual(expected.map((row) => row['n']));
    expect(measures.length).toBeGreaterThan(0);
    for (const measure of measures) {
      expect(measure.provenance).toMatchObject({ source: 'PLAN', section: expect.stringMatching(/^四\(/) });
      expect(measure.terms.length).toBeGreaterThan(0);
    }
  });

  it('lists the key projects 石药集团 undertakes and their segments', async () => {
    const result = await graphql.run<ShiyaoKeyProjectsQuery>(savedOperation('shiyao-projects'));
    expect(result.errors).toBeUndefined();
    expect(result.roundTrips).toBe(1);
    const enterprise = result.data!.enterprise!;
    expect(enterprise.name).toContain('石药');
    expect(enterprise.projects).toHaveLength(1);
    expect(enterprise.projects[0]).toMatchObject({
      name: expect.stringContaining('抗肿瘤系列新药'),
      programme: { number: 1 },
      provenance: { source: 'PLAN', section: '三(一)' },
      segments: [{ id: 'bio-innovative-drugs', stage: 'MIDSTREAM', chain: { id: 'biomedicine' } }],
    });
  });
});
