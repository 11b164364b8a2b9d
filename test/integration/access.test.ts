import { generateKeyPairSync } from 'node:crypto';

import { buildASTSchema, concatAST, isObjectType } from 'graphql';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashKey } from '../../src/auth.js';
import { cypher } from '../../src/data/cypher.js';
import { loadTypeDefs } from '../../src/graphql/typeDefs.js';
import { createLogger } from '../../src/logger.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type PostedResponse, type TestServer } from '../support/http.js';

/**
 * Who may do what, over real HTTP with real credentials: every mutation of the schema is tried by every kind of
 * caller, and a refused attempt must leave the database as it was.
 */

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const EDITOR_KEY = 'editor-key-for-access-tests';
const VIEWER_KEY = 'viewer-key-for-access-tests';
const API_KEYS = `ed:editor:${hashKey(EDITOR_KEY)},view:viewer:${hashKey(VIEWER_KEY)}`;

const prefix = uniquePrefix('access');

async function token(
  claims: Record<string, unknown>,
  options: { secret?: string; expiresIn?: string | number | null; subject?: string } = {},
): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(options.subject ?? 'someone@example.org')
    .setIssuedAt();
  // null: no expiry at all.
  if (options.expiresIn !== null) jwt.setExpirationTime(options.expiresIn ?? '5m');
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

interface MutationCase {
  /** The operation, with `$id` naming the thing it would write. */
  readonly operation: string;
  /** Whether the thing `id` names exists. */
  readonly wrote: (database: TestDatabase, id: string) => Promise<boolean>;
}

/** One sample per mutation of the schema; the test below fails when a mutation has none. */
const MUTATIONS: Readonly<Record<string, MutationCase>> = {
  importRecords: {
    operation: `mutation ($content: String!) {
      importRecords(kind: ENTERPRISES, format: CSV, content: $content, defaultSource: ILLUSTRATIVE) { written }
    }`,
    wrote: async (database, id) => {
      const rows = await database.executor.read(
        'test',
        cypher('MATCH (e:Enterprise { id: $id }) RETURN count(e) AS n', { id }),
      );
      return rows[0]?.['n'] === 1;
    },
  },
};

function variablesFor(mutation: string, id: string): Record<string, unknown> {
  // Each firm has a name of its own: one company is one record, so a second firm of the same name is refused.
  if (mutation === 'importRecords')
    return { content: `id,name,regionId,sizeBand\n${id},权限测试 ${id},sjz-luquan,SMALL` };
  throw new Error(`no variables for ${mutation}`);
}

describe('access control', () => {
  let database: TestDatabase;
  let server: TestServer;
  let baseUrl: string;
  let attempt = 0;

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(database.executor, { API_KEYS, JWT_SECRET: SECRET });
    baseUrl = server.url;
  });
  afterAll(async () => {
    await server.close();
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  function post(
    query: string,
    variables: Record<string, unknown>,
    authorization: string | undefined,
    url = baseUrl,
  ): Promise<PostedResponse> {
    return postGraphQL(url, { query, variables }, authorization === undefined ? {} : { authorization });
  }

  it('has a sample for every mutation in the schema', () => {
    const schema = buildASTSchema(concatAST(loadTypeDefs()));
    const mutation = schema.getMutationType();
    expect(mutation && isObjectType(mutation)).toBe(true);
    expect(Object.keys(mutation?.getFields() ?? {}).sort()).toEqual(Object.keys(MUTATIONS).sort());
  });

  type Credential = () => Promise<string | undefined>;
  const REFUSED: [string, Credential, number, string, RegExp][] = [
    [
      'anonymous',
      () => Promise.resolve(undefined),
      401,
      'UNAUTHENTICATED',
      /needs an API key or token with the editor role/,
    ],
    [
      'a viewer API key',
      () => Promise.resolve(`Bearer ${VIEWER_KEY}`),
      403,
      'FORBIDDEN',
      /needs the editor role; 'view' has viewer/,
    ],
    [
      'a viewer JWT',
      async () => `Bearer ${await token({ roles: ['viewer'] })}`,
      403,
      'FORBIDDEN',
      /'someone@example.org' has viewer/,
    ],
    [
      'an unknown API key',
      () => Promise.resolve('Bearer not-a-key-we-know'),
      401,
      'UNAUTHENTICATED',
      /API key is not valid/,
    ],
    [
      'a JWT signed with another secret',
      async () => `Bearer ${await token({ roles: ['editor'] }, { secret: 'x'.repeat(40) })}`,
      401,
      'UNAUTHENTICATED',
      /signature does not verify/,
    ],
    [
      'a garbled JWT',
      () => Promise.resolve('Bearer eyJhbGciOiJIUzI1NiJ9.eyJyb2xlcyI6WyJlZGl0b3IiXX0.AAAA'),
      401,
      'UNAUTHENTICATED',
      /not valid/,
    ],
    [
      'an unsigned JWT (alg none)',
      () =>
        Promise.resolve(
          `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"roles":["editor"]}').toString('base64url')}.`,
        ),
      401,
      'UNAUTHENTICATED',
      /algorithm is not accepted|not valid/,
    ],
    [
      'an expired editor JWT',
      async () =>
        `Bearer ${await token({ roles: ['editor'] }, { expiresIn: Math.floor(Date.now() / 1000) - 60 })}`,
      401,
      'UNAUTHENTICATED',
      /token has expired/,
    ],
    [
      'a JWT without a known role',
      async () => `Bearer ${await token({ roles: ['admin'] })}`,
      403,
      'FORBIDDEN',
      /grants none of the roles viewer, editor/,
    ],
    [
      'an editor JWT that never expires',
      async () => `Bearer ${await token({ roles: ['editor'] }, { expiresIn: null })}`,
      401,
      'UNAUTHENTICATED',
      /The token has no 'exp' claim/,
    ],
  ];

  for (const [mutation, sample] of Object.entries(MUTATIONS)) {
    describe(mutation, () => {
      for (const [who, credential, status, code, message] of REFUSED) {
        it(`is refused to ${who} with ${code}, and writes nothing`, async () => {
          const id = `${prefix}-${++attempt}`;
          const { status: got, body } = await post(
            sample.operation,
            variablesFor(mutation, id),
            await credential(),
          );
          expect(got).toBe(status);
          expect(body.errors?.[0]?.extensions.code).toBe(code);
          expect(body.errors?.[0]?.message).toMatch(message);
          expect(await sample.wrote(database, id)).toBe(false);
        });
      }

      const ALLOWED: [string, Credential][] = [
        ['an editor API key', () => Promise.resolve(`Bearer ${EDITOR_KEY}`)],
        ['an editor API key in x-api-key', () => Promise.resolve(undefined)],
        [
          'an editor JWT',
          async () => `Bearer ${await token({ roles: ['viewer', 'editor'] }, { expiresIn: '5m' })}`,
        ],
      ];
      for (const [who, credential] of ALLOWED) {
        it(`is carried out for ${who}`, async () => {
          const id = `${prefix}-${++attempt}`;
          const authorization = await credential();
          const { status, body } = await postGraphQL(
            baseUrl,
            { query: sample.operation, variables: variablesFor(mutation, id) },
            authorization === undefined ? { 'x-api-key': EDITOR_KEY } : { authorization },
          );
          expect(status).toBe(200);
          expect(body.errors).toBeUndefined();
          expect(await sample.wrote(database, id)).toBe(true);
        });
      }
    });
  }

  describe('reads', () => {
    const READ = '{ chains { id } }';

    it('are public by default, but a wrong or expired credential is refused rather than ignored', async () => {
      expect((await post(READ, {}, undefined)).status).toBe(200);
      const wrongKey = await post(READ, {}, 'Bearer nope');
      expect([wrongKey.status, wrongKey.body.errors?.[0]?.extensions.code]).toEqual([401, 'UNAUTHENTICATED']);
      const expired = await post(
        READ,
        {},
        `Bearer ${await token({ roles: ['viewer'] }, { expiresIn: Math.floor(Date.now() / 1000) - 60 })}`,
      );
      expect([expired.status, expired.body.errors?.[0]?.message]).toEqual([401, 'The token has expired']);
    });

    it('need a credential when READ_ACCESS=key', async () => {
      const keyed = await serveTestApp(database.executor, {
        API_KEYS,
        JWT_SECRET: SECRET,
        READ_ACCESS: 'key',
      });
      const url = keyed.url;
      try {
        const anonymous = await post(READ, {}, undefined, url);
        expect([anonymous.status, anonymous.body.errors?.[0]?.extensions.code]).toEqual([
          401,
          'UNAUTHENTICATED',
        ]);
        expect(anonymous.body.data).toBeUndefined();
        const viewer = await post(READ, {}, `Bearer ${VIEWER_KEY}`, url);
        expect(viewer.status).toBe(200);
        expect(viewer.body.data).toMatchObject({ chains: expect.any(Array) as unknown });
        const jwtViewer = await post(
          READ,
          {},
          `Bearer ${await token({ roles: 'viewer' }, { expiresIn: '1m' })}`,
          url,
        );
        expect(jwtViewer.status).toBe(200);
      } finally {
        await keyed.close();
      }
    });

    it('accept RS256 tokens under JWT_PUBLIC_KEY and refuse an HS256 token signed with that public key', async () => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const keyed = await serveTestApp(database.executor, {
        API_KEYS,
        JWT_PUBLIC_KEY: pem,
        READ_ACCESS: 'key',
      });
      const url = keyed.url;
      try {
        const rs256 = await new SignJWT({ roles: ['viewer'] })
          .setProtectedHeader({ alg: 'RS256' })
          .setExpirationTime('1m')
          .sign(privateKey);
        expect((await post(READ, {}, `Bearer ${rs256}`, url)).status).toBe(200);
        // The classic algorithm-confusion attack: HMAC with the (public) key text as the secret.
        const confused = await token({ roles: ['editor'] }, { secret: pem });
        const refused = await post(READ, {}, `Bearer ${confused}`, url);
        expect([refused.status, refused.body.errors?.[0]?.extensions.code]).toEqual([401, 'UNAUTHENTICATED']);
      } finally {
        await keyed.close();
      }
    });
  });

  it('never logs or echoes a presented key', async () => {
    const lines: string[] = [];
    const logger = createLogger('trace', {
      write: (line: string) => {
        lines.push(line);
      },
    });
    const logged = await serveTestApp(database.executor, { API_KEYS, JWT_SECRET: SECRET }, logger);
    const url = logged.url;
    try {
      const id = `${prefix}-logged`;
      await post(
        MUTATIONS['importRecords']?.operation ?? '',
        variablesFor('importRecords', id),
        `Bearer ${EDITOR_KEY}`,
        url,
      );
      const refused = await post('{ chains { id } }', {}, `Bearer ${VIEWER_KEY}x`, url);
      expect(JSON.stringify(refused.body)).not.toContain(VIEWER_KEY);
    } finally {
      await logged.close();
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(EDITOR_KEY);
    expect(lines.join('\n')).not.toContain(VIEWER_KEY);
  });
});
