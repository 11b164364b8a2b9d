import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashKey, type Caller } from '../../src/auth.js';
import { describeImportProblem, importSources } from '../../src/import/importer.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph, type TestGraph } from '../support/graphBuilder.js';
import { createTestGraphQL, type OperationResult, type TestGraphQL } from '../support/graphql.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * Firm contact details are for authenticated callers only: an anonymous caller gets UNAUTHENTICATED on
 * `Enterprise.contact` — wherever an enterprise appears — with the rest of the answer intact and no contact value
 * anywhere in the response; a viewer and an editor read them.
 */

const VIEWER: Caller = { name: 'contact-viewer', role: 'viewer' };
const EDITOR: Caller = { name: 'contact-editor', role: 'editor' };
const VIEWER_KEY = 'viewer-key-for-contact-tests';
const JWT_SECRET = 'a-contact-test-secret-long-enough-for-hs256';

const prefix = uniquePrefix('contact');

/** Firm a has every contact field, b a website and a phone only, c none. */
const CONTACT_A = {
  website: `https://${prefix}-a.example.com`,
  phone: '0311-55509001',
  email: `invest@${prefix}-a.example.com`,
  address: `${prefix} 示例路1号（示例地址）`,
  person: `${prefix} 示例联系人`,
};
const CONTACT_B = { website: `https://${prefix}-b.example.com`, phone: '+86 22 5550 9002' };
const ALL_VALUES = [...Object.values(CONTACT_A), ...Object.values(CONTACT_B)];

const CONTACT_FIELDS = 'contact { website phone email address person }';

type Errors = OperationResult<unknown>['errors'];

/** Every error is UNAUTHENTICATED, with a message saying what to send; returns their paths. */
function contactRefusals(errors: Errors): (string | number)[][] {
  expect(errors, 'anonymous callers are refused').toBeDefined();
  for (const error of errors ?? []) {
    expect(error.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect(error.message).toBe(
      'Reading contact details needs an API key or token with the viewer role (Authorization: Bearer <credential>)',
    );
  }
  return (errors ?? []).map((error) => [...(error.path ?? [])]);
}

function expectNoContactValue(response: unknown): void {
  const text = JSON.stringify(response);
  for (const value of ALL_VALUES) expect(text, 'no contact value leaks').not.toContain(value);
  expect(text).not.toContain(`${prefix}-a.example.com`);
  expect(text).not.toContain(`${prefix}-b.example.com`);
}

describe('firm contact details', () => {
  let database: TestDatabase;
  let graphql: TestGraphQL;
  let graph: TestGraph;

  beforeAll(async () => {
    database = await openTestDatabase();
    graphql = await createTestGraphQL(database.executor, database.config);
    // a (in the city, upstream) supplies b; b and c are outside, in the midstream segment the city lacks.
    graph = await createTestGraph(database.executor, prefix, {
      regions: [
        { id: 'city', lat: 38.0, lon: 114.5 },
        { id: 'far', lat: 39.1, lon: 117.2 },
      ],
      chain: 'chain',
      segments: [
        { id: 'up', stage: 'UPSTREAM', feeds: ['mid'] },
        { id: 'mid', stage: 'MIDSTREAM' },
      ],
      firms: [
        { id: 'a', region: 'city', segments: ['up'], supplies: ['b'] },
        { id: 'b', region: 'far', segments: ['mid'] },
        { id: 'c', region: 'far', segments: ['mid'] },
      ],
    });
    // The contacts come in the way a team's would: through the importer, with Chinese headers.
    const result = await importSources(
      database.executor,
      [
        {
          name: 'contacts.csv',
          format: 'csv',
          kind: 'enterprises',
          content: [
            '企业编号,企业名称,所在地区,企业规模,官网,联系电话,邮箱,地址,联系人,来源',
            `${graph.id('a')},${prefix} a,${graph.id('city')},小型,${CONTACT_A.website},${CONTACT_A.phone},${CONTACT_A.email},${CONTACT_A.address},${CONTACT_A.person},ILLUSTRATIVE`,
            `${graph.id('b')},${prefix} b,${graph.id('far')},小型,${CONTACT_B.website},${CONTACT_B.phone},,,,ILLUSTRATIVE`,
          ].join('\n'),
        },
      ],
      { acceptValid: false },
    );
    expect(result.problems.map(describeImportProblem)).toEqual([]);
    expect(result.summaries[0]).toMatchObject({ kind: 'enterprises', rows: 2, updated: 2, rejected: 0 });
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await graphql.stop();
    await database.close();
  });

  const ONE = `query One($id: ID!) {
    enterprise(id: $id) { id name region { id } flags { highTech } ${CONTACT_FIELDS} }
  }`;

  it('refuses an anonymous caller on the contact field only: the rest of the answer comes back', async () => {
    for (const firm of ['a', 'b', 'c']) {
      const result = await graphql.run<{ enterprise: Record<string, unknown> }>(ONE, { id: graph.id(firm) });
      // Refused whether or not a contact is recorded (c has none), so nobody learns which firms have one.
      expect(contactRefusals(result.errors)).toEqual([['enterprise', 'contact']]);
      expect(result.data?.enterprise).toEqual({
        id: graph.id(firm),
        name: `${prefix} ${firm}`,
        region: { id: graph.id(firm === 'a' ? 'city' : 'far') },
        flags: { highTech: false },
        contact: null,
      });
      expectNoContactValue(result);
    }
  });

  it.each([
    ['a viewer', VIEWER],
    ['an editor', EDITOR],
  ])('gives %s the contact details, null fields where nothing is recorded', async (_who, caller) => {
    const contactOf = async (firm: string) =>
      (
        await graphql.data<{ enterprise: { contact: unknown } }>(
          ONE,
          { id: graph.id(firm) },
          {
            caller,
          },
        )
      ).enterprise.contact;
    expect(await contactOf('a')).toEqual(CONTACT_A);
    expect(await contactOf('b')).toEqual({ ...CONTACT_B, email: null, address: null, person: null });
    expect(await contactOf('c')).toBeNull();
  });

  it('reads aliases of the field independently', async () => {
    const query = `query ($id: ID!) { enterprise(id: $id) { w: contact { website } e: contact { email person } } }`;
    const data = await graphql.data<{ enterprise: unknown }>(
      query,
      { id: graph.id('a') },
      { caller: VIEWER },
    );
    expect(data.enterprise).toEqual({
      w: { website: CONTACT_A.website },
      e: { email: CONTACT_A.email, person: CONTACT_A.person },
    });
    const anonymous = await graphql.run(query, { id: graph.id('a') });
    expect(contactRefusals(anonymous.errors)).toEqual([
      ['enterprise', 'w'],
      ['enterprise', 'e'],
    ]);
    expect(anonymous.data).toEqual({ enterprise: { w: null, e: null } });
  });

  const LIST = `query List($chainId: ID!) {
    enterprises(filter: { chainId: $chainId }, orderBy: { field: ID }) {
      totalCount
      nodes { id contact { email website } }
      edges { node { id c: contact { phone } } }
    }
  }`;

  it('treats every enterprise of a list the same way', async () => {
    const variables = { chainId: graph.id('chain') };
    const anonymous = await graphql.run<{
      enterprises: { totalCount: number; nodes: { id: string; contact: unknown }[]; edges: unknown[] };
    }>(LIST, variables);
    expect(contactRefusals(anonymous.errors).sort()).toEqual(
      [0, 1, 2]
        .flatMap((index) => [
          ['enterprises', 'nodes', index, 'contact'],
          ['enterprises', 'edges', index, 'node', 'c'],
        ])
        .sort(),
    );
    expect(anonymous.data?.enterprises.totalCount).toBe(3);
    expect(anonymous.data?.enterprises.nodes).toEqual(
      ['a', 'b', 'c'].map((firm) => ({ id: graph.id(firm), contact: null })),
    );
    expect(anonymous.data?.enterprises.edges).toEqual(
      ['a', 'b', 'c'].map((firm) => ({ node: { id: graph.id(firm), c: null } })),
    );
    expectNoContactValue(anonymous);

    const viewer = await graphql.data<{
      enterprises: { nodes: { contact: unknown }[]; edges: { node: { c: unknown } }[] };
    }>(LIST, variables, { caller: VIEWER });
    expect(viewer.enterprises.nodes.map((node) => node.contact)).toEqual([
      { email: CONTACT_A.email, website: CONTACT_A.website },
      { email: null, website: CONTACT_B.website },
      null,
    ]);
    expect(viewer.enterprises.edges.map((edge) => edge.node.c)).toEqual([
      { phone: CONTACT_A.phone },
      { phone: CONTACT_B.phone },
      null,
    ]);
  });

  it('guards every road an enterprise takes into a response: relations, reach, segment lists, analytics', async () => {
    const query = `query Roads($a: ID!, $mid: ID!, $chainId: ID!, $city: ID!) {
      enterprise(id: $a) {
        id
        customers { enterprise { id contact { email } } }
        downstream(depth: 1, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { enterprises { enterprise { id contact { email } } } }
      }
      segment(id: $mid) { enterprises { enterprise { id contact { email } } } }
      targetFirms(chainId: $chainId, regionId: $city, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) {
        recommendations { enterprise { id contact { email } } }
      }
    }`;
    const variables = {
      a: graph.id('a'),
      mid: graph.id('mid'),
      chainId: graph.id('chain'),
      city: graph.id('city'),
    };
    interface Roads {
      enterprise: {
        customers: { enterprise: { id: string; contact: unknown } }[];
        downstream: { enterprises: { enterprise: { id: string; contact: unknown } }[] };
      };
      segment: { enterprises: { enterprise: { id: string; contact: unknown } }[] };
      targetFirms: { recommendations: { enterprise: { id: string; contact: unknown } }[] };
    }
    const reached = (data: Roads) => [
      ...data.enterprise.customers.map((link) => link.enterprise),
      ...data.enterprise.downstream.enterprises.map((reach) => reach.enterprise),
      ...data.segment.enterprises.map((link) => link.enterprise),
      ...data.targetFirms.recommendations.map((recommendation) => recommendation.enterprise),
    ];

    const anonymous = await graphql.run<Roads>(query, variables);
    const found = reached(anonymous.data!);
    // b by each road, c as a firm of the segment and as a target.
    expect(found.map((enterprise) => graph.local(enterprise.id)).sort()).toEqual([
      'b',
      'b',
      'b',
      'b',
      'c',
      'c',
    ]);
    expect(found.every((enterprise) => enterprise.contact === null)).toBe(true);
    const paths = contactRefusals(anonymous.errors);
    expect(paths).toHaveLength(found.length);
    expect(paths.every((path) => path.at(-1) === 'contact')).toBe(true);
    expect(new Set(paths.map((path) => path[0]))).toEqual(new Set(['enterprise', 'segment', 'targetFirms']));
    expectNoContactValue(anonymous);

    const viewer = await graphql.data<Roads>(query, variables, { caller: VIEWER });
    for (const enterprise of reached(viewer)) {
      expect(enterprise.contact, enterprise.id).toEqual(
        graph.local(enterprise.id) === 'b' ? { email: null } : null,
      );
    }
  });

  describe('over HTTP', () => {
    let server: TestServer;

    beforeAll(async () => {
      server = await serveTestApp(database.executor, {
        API_KEYS: `contact-viewer:viewer:${hashKey(VIEWER_KEY)}`,
        JWT_SECRET,
      });
    });
    afterAll(async () => {
      await server.close();
    });

    const post = (authorization?: string) =>
      postGraphQL<{ enterprise: { name: string; contact: unknown } }>(
        server.url,
        { query: ONE, variables: { id: graph.id('a') } },
        authorization === undefined ? {} : { authorization },
      );

    it('answers an anonymous caller 200 with the data and an UNAUTHENTICATED error, and credentials with the values', async () => {
      // A partial answer is still an answer: GraphQL over HTTP wants 2xx whenever data is present.
      const anonymous = await post();
      expect(anonymous.status).toBe(200);
      expect(anonymous.body.data?.enterprise).toMatchObject({ name: `${prefix} a`, contact: null });
      expect(anonymous.body.errors?.map((error) => error.extensions.code)).toEqual(['UNAUTHENTICATED']);
      expectNoContactValue(anonymous.text);

      const withKey = await post(`Bearer ${VIEWER_KEY}`);
      expect([withKey.status, withKey.body.errors]).toEqual([200, undefined]);
      expect(withKey.body.data?.enterprise.contact).toEqual(CONTACT_A);

      const jwt = await new SignJWT({ roles: ['viewer'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('promoter@example.org')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(JWT_SECRET));
      const withToken = await post(`Bearer ${jwt}`);
      expect([withToken.status, withToken.body.errors]).toEqual([200, undefined]);
      expect(withToken.body.data?.enterprise.contact).toEqual(CONTACT_A);
    });
  });
});
