import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashKey } from '../../src/auth.js';
import { cypher } from '../../src/data/cypher.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type GraphQLResponseBody, type TestServer } from '../support/http.js';

/**
 * Issue 11, cases 1 and 2, over HTTP on the seed graph: one response key at two different paths (`nodes.s` and
 * `edges.node.s`; two aliases of `localEnterprises`; `enterprise` and `lostSuppliers`) gets its own field and
 * arguments at each path, and contact details never reach an anonymous caller through such a collision — in test
 * mode and with NODE_ENV=production.
 */

const VIEWER_KEY = 'viewer-key-for-alias-path-tests';
const VIEWER = { authorization: `Bearer ${VIEWER_KEY}` };
const SEED_CHAINS = ['biomedicine', 'ic', 'led', 'military-civil', 'nev'];

/** Region fields aliased as the contact fields, so a contact record and a region look alike to the client. */
const REGION_AS_CONTACT =
  'region { phone: nameEn email: nameEn website: nameEn address: nameEn person: nameEn }';

type Data = Record<string, unknown>;

describe('one projection per selection path (issue 11, cases 1 and 2)', () => {
  let database: TestDatabase;
  const servers: Record<'test' | 'production', TestServer | null> = { test: null, production: null };
  /** Every contact value recorded in the seed graph, read straight from Neo4j. */
  let contactValues: string[] = [];

  beforeAll(async () => {
    database = await openTestDatabase();
    const keys = { API_KEYS: `alias-viewer:viewer:${hashKey(VIEWER_KEY)}` };
    // These tests are about which projection each path gets, not about price: a few of their selections (every local
    // firm of every gap with its suppliers) price above the default MAX_QUERY_COST, which prices unpaged nested lists
    // at MAX_PAGE_SIZE each.
    const settings = { ...keys, MAX_QUERY_COST: '10000000' };
    servers.test = await serveTestApp(database.executor, settings);
    servers.production = await serveTestApp(database.executor, { ...settings, NODE_ENV: 'production' });
    const rows = await database.executor.read(
      'contacts',
      cypher(
        `MATCH (e:Enterprise) WHERE coalesce(e.contactWebsite, e.contactPhone, e.contactEmail, e.contactAddress, e.contactPerson) IS NOT NULL
         RETURN [v IN [e.contactWebsite, e.contactPhone, e.contactEmail, e.contactAddress, e.contactPerson] WHERE v IS NOT NULL] AS values`,
      ),
    );
    contactValues = rows.flatMap((row) => row['values'] as string[]);
  });
  afterAll(async () => {
    await servers.test?.close();
    await servers.production?.close();
    await database.close();
  });

  async function post(
    query: string,
    variables: Data = {},
    headers: Record<string, string> = {},
    mode: 'test' | 'production' = 'test',
  ): Promise<GraphQLResponseBody<Data>> {
    const response = await postGraphQL<Data>(servers[mode]!.url, { query, variables }, headers);
    return response.body;
  }

  async function data(
    query: string,
    variables: Data = {},
    headers: Record<string, string> = {},
  ): Promise<Data> {
    const body = await post(query, variables, headers);
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return body.data!;
  }

  function expectNoContactValue(body: unknown): void {
    expect(contactValues.length, 'the seed records contact details').toBeGreaterThan(0);
    const text = JSON.stringify(body);
    for (const value of contactValues)
      expect(text, 'no contact value reaches the caller').not.toContain(value);
  }

  it('answers edges.node.s with its own arguments, not those of nodes.s (the exact query of the issue)', async () => {
    const big = await data(`{
      enterprises(first: 100, orderBy: { field: ID }) {
        nodes { id s: suppliers(sources: [PLAN]) { enterprise { id } } }
        edges { node { id s: suppliers { enterprise { id } } } }
      }
    }`);
    const reference = (sources: string) =>
      data(
        `{ enterprises(first: 100, orderBy: { field: ID }) { nodes { id s: suppliers${sources} { enterprise { id } } } } }`,
      );
    const planOnly = (await reference('(sources: [PLAN])')) as { enterprises: { nodes: Data[] } };
    const all = (await reference('')) as { enterprises: { nodes: Data[] } };
    const connection = big['enterprises'] as { nodes: Data[]; edges: { node: Data }[] };
    expect(connection.nodes).toEqual(planOnly.enterprises.nodes);
    expect(connection.edges.map((edge) => edge.node)).toEqual(all.enterprises.nodes);
    // The two paths really ask for different things on the seed graph, so a merged projection shows.
    const differing = all.enterprises.nodes.filter(
      (node, index) => JSON.stringify(node) !== JSON.stringify(planOnly.enterprises.nodes[index]),
    );
    expect(differing.length).toBeGreaterThan(0);
  });

  it('gives two aliases of chainGaps localEnterprises their own arguments', async () => {
    let differing = 0;
    for (const chainId of SEED_CHAINS) {
      const variables = { chainId, regionId: 'shijiazhuang' };
      const big = (await data(
        `query ($chainId: ID!, $regionId: ID!) { chainGaps(chainId: $chainId, regionId: $regionId) { gaps {
          segment { id }
          a: localEnterprises { id s: suppliers(sources: [PLAN]) { enterprise { id } } }
          b: localEnterprises { id s: suppliers { enterprise { id } } products: name }
        } } }`,
        variables,
      )) as { chainGaps: { gaps: { a: Data[]; b: Data[] }[] } };
      const reference = (await data(
        `query ($chainId: ID!, $regionId: ID!) { chainGaps(chainId: $chainId, regionId: $regionId) { gaps {
          plan: localEnterprises { id s: suppliers(sources: [PLAN]) { enterprise { id } } }
        } } }`,
        variables,
      )) as { chainGaps: { gaps: { plan: Data[] }[] } };
      const referenceAll = (await data(
        `query ($chainId: ID!, $regionId: ID!) { chainGaps(chainId: $chainId, regionId: $regionId) { gaps {
          localEnterprises { id s: suppliers { enterprise { id } } products: name }
        } } }`,
        variables,
      )) as { chainGaps: { gaps: { localEnterprises: Data[] }[] } };
      big.chainGaps.gaps.forEach((gap, index) => {
        expect(gap.a).toEqual(reference.chainGaps.gaps[index]!.plan);
        expect(gap.b).toEqual(referenceAll.chainGaps.gaps[index]!.localEnterprises);
        if (JSON.stringify(gap.a.map((firm) => firm['s'])) !== JSON.stringify(gap.b.map((firm) => firm['s'])))
          differing += 1;
      });
    }
    expect(differing, 'some gap has local firms with non-PLAN suppliers').toBeGreaterThan(0);
  });

  it('gives impactOfLosing enterprise and lostSuppliers their own selections under one key', async () => {
    const big = (await data(`{ impactOfLosing(enterpriseId: "ent-zhongci", regionId: "shijiazhuang") {
      firmsLosingLocalSupply { enterprise { id x: name } lostSuppliers { id x: nameEn } }
    } }`)) as { impactOfLosing: { firmsLosingLocalSupply: { enterprise: Data; lostSuppliers: Data[] }[] } };
    const names = (await data(`{ impactOfLosing(enterpriseId: "ent-zhongci", regionId: "shijiazhuang") {
      firmsLosingLocalSupply { enterprise { id name } lostSuppliers { id nameEn } }
    } }`)) as {
      impactOfLosing: {
        firmsLosingLocalSupply: { enterprise: { id: string; name: string }; lostSuppliers: Data[] }[];
      };
    };
    const losses = big.impactOfLosing.firmsLosingLocalSupply;
    expect(losses.length, 'losing 中瓷电子 cuts some local supply').toBeGreaterThan(0);
    losses.forEach((loss, index) => {
      const expected = names.impactOfLosing.firmsLosingLocalSupply[index]!;
      expect(loss.enterprise).toEqual({ id: expected.enterprise.id, x: expected.enterprise.name });
      expect(loss.lostSuppliers).toEqual(
        expected.lostSuppliers.map((supplier) => ({ id: supplier['id'], x: supplier['nameEn'] })),
      );
      expect(loss.lostSuppliers[0]!['x']).not.toBe(expected.enterprise.name);
    });
  });

  for (const mode of ['test', 'production'] as const) {
    describe(`contact details for an anonymous caller (NODE_ENV=${mode})`, () => {
      it('are refused at nodes.x and edges.node.x is the region it asked for (the exact query of the issue)', async () => {
        const query = `{ enterprises(first: 100, orderBy: { field: ID }) {
          nodes { id x: contact { website } }
          edges { node { id x: ${REGION_AS_CONTACT} } }
        } }`;
        const body = await post(query, {}, {}, mode);
        expectNoContactValue(body);
        const connection = body.data!['enterprises'] as { nodes: Data[]; edges: { node: Data }[] };
        expect(connection.nodes.every((node) => node['x'] === null)).toBe(true);
        const errors = body.errors ?? [];
        expect(errors.length).toBe(connection.nodes.length);
        for (const error of errors) {
          expect(error.extensions.code).toBe('UNAUTHENTICATED');
          expect(error.path?.[1]).toBe('nodes');
        }
        const regions = await data(`{ enterprises(first: 100, orderBy: { field: ID }) {
          nodes { id x: ${REGION_AS_CONTACT} }
        } }`);
        expect(connection.edges.map((edge) => edge.node)).toEqual(
          (regions['enterprises'] as { nodes: Data[] }).nodes,
        );
        // A viewer gets the contacts at nodes.x, and still the region at edges.node.x.
        const viewer = await post(query, {}, VIEWER, mode);
        expect(viewer.errors).toBeUndefined();
        const viewed = viewer.data!['enterprises'] as { nodes: Data[]; edges: { node: Data }[] };
        expect(viewed.edges).toEqual(connection.edges);
        expect(viewed.nodes.some((node) => node['x'] !== null)).toBe(true);
      });

      it('never reach it through chainGaps localEnterprises aliases', async () => {
        let viewerContacts = 0;
        for (const chainId of SEED_CHAINS) {
          // Only the demo firms have contact details (none is invented for a real firm): ask for them too.
          const query = `{ chainGaps(chainId: "${chainId}", regionId: "shijiazhuang", sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { gaps {
            a: localEnterprises { id x: contact { website phone email address person } }
            b: localEnterprises { id x: ${REGION_AS_CONTACT} }
          } } }`;
          const body = await post(query, {}, {}, mode);
          expectNoContactValue(body);
          for (const error of body.errors ?? []) expect(error.extensions.code).toBe('UNAUTHENTICATED');
          const gaps = (body.data!['chainGaps'] as { gaps: { a: Data[]; b: Data[] }[] }).gaps;
          for (const gap of gaps) {
            expect(gap.a.every((firm) => firm['x'] === null)).toBe(true);
            for (const firm of gap.b)
              expect(Object.keys(firm['x'] as Data).sort()).toEqual([
                'address',
                'email',
                'person',
                'phone',
                'website',
              ]);
          }
          const viewer = await post(query, {}, VIEWER, mode);
          const viewed = (viewer.data!['chainGaps'] as { gaps: { a: Data[]; b: Data[] }[] }).gaps;
          expect(viewed.map((gap) => gap.b)).toEqual(gaps.map((gap) => gap.b));
          viewerContacts += viewed.flatMap((gap) => gap.a).filter((firm) => firm['x'] !== null).length;
        }
        expect(viewerContacts, 'some local firm of the seed has a contact').toBeGreaterThan(0);
      });

      it('never reach it through platforms hostEnterprise in nodes and edges.node', async () => {
        const query = `{ platforms(first: 100) {
          nodes { id hostEnterprise { id x: contact { website phone email address person } } }
          edges { node { id hostEnterprise { id x: ${REGION_AS_CONTACT} } } }
        } }`;
        const body = await post(query, {}, {}, mode);
        expectNoContactValue(body);
        for (const error of body.errors ?? []) expect(error.extensions.code).toBe('UNAUTHENTICATED');
        const viewer = await post(query, {}, VIEWER, mode);
        const hosts = (viewer.data!['platforms'] as { nodes: { hostEnterprise: Data | null }[] }).nodes
          .map((node) => node.hostEnterprise)
          .filter((host) => host !== null && host['x'] !== null);
        expect(hosts.length, 'some platform on the page is hosted by a firm with a contact').toBeGreaterThan(
          0,
        );
        expect((viewer.data!['platforms'] as Data)['edges']).toEqual(
          (body.data!['platforms'] as Data)['edges'],
        );
      });
    });
  }
});
