import { createHash } from 'node:crypto';
import http from 'node:http';
import zlib from 'node:zlib';

import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * The smaller HTTP, Apollo and access items of issue 11 (case 7), each over the real app: no schema hints in
 * production, client errors (not INTERNAL_SERVER_ERROR) for a subscription and an APQ hash mismatch, bounded JWT
 * lifetimes, no anonymous fallback for a non-Bearer Authorization header, and a framed-off, compressed explorer.
 */

const SECRET = 'a-test-secret-for-the-http-hardening-tests';
const STAGE_VARIABLE = 'query ($s: Stage) { chains { segments(stage: $s) { id } } }';
const THRESHOLDS_VARIABLE =
  'query ($t: GapThresholds) { chainGaps(chainId: "ic", regionId: "shijiazhuang", thresholds: $t) { total { segments } } }';

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** An HS256 token with the viewer role; `iat` and `exp` in seconds since the epoch (`iat` null: none). */
function token(exp: number, iat: number | null = nowSeconds(), secret = SECRET): Promise<string> {
  const jwt = new SignJWT({ roles: ['viewer'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('hardening@example.org')
    .setExpirationTime(exp);
  if (iat !== null) jwt.setIssuedAt(iat);
  return jwt.sign(new TextEncoder().encode(secret));
}

interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The body exactly as it came over the wire (still compressed, if it was). */
  readonly raw: Buffer;
}

/** A GET with node:http, which (unlike fetch) leaves the body compressed, so its size on the wire can be measured. */
function rawGet(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            raw: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('HTTP hardening', () => {
  let database: TestDatabase;
  let development: TestServer;
  let production: TestServer;
  const others: TestServer[] = [];

  beforeAll(async () => {
    database = await openTestDatabase();
    development = await serveTestApp(database.executor, { JWT_SECRET: SECRET });
    production = await serveTestApp(database.executor, { NODE_ENV: 'production', JWT_SECRET: SECRET });
  });
  afterAll(async () => {
    for (const server of [...others, production, development]) await server?.close();
    await database?.close();
  });

  async function serve(overrides: NodeJS.ProcessEnv): Promise<string> {
    const server = await serveTestApp(database.executor, overrides);
    others.push(server);
    return server.url;
  }

  describe('schema hints in production', () => {
    it('are cut from variable-coercion errors (an enum value, an input field) and from validation errors', async () => {
      const enumValue = await postGraphQL(production.url, {
        query: STAGE_VARIABLE,
        variables: { s: 'UPSTREA' },
      });
      expect(enumValue.status).toBe(400);
      expect(enumValue.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect(enumValue.body.errors?.[0]?.message).toMatch(/"UPSTREA" does not exist in "Stage" enum\.?$/);
      expect(enumValue.text).not.toMatch(/did you mean|UPSTREAM/i);

      const inputField = await postGraphQL(production.url, {
        query: THRESHOLDS_VARIABLE,
        variables: { t: { minEnterprize: 2 } },
      });
      expect(inputField.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect(inputField.body.errors?.[0]?.message).toMatch(/"minEnterprize" is not defined by type/);
      expect(inputField.text).not.toMatch(/did you mean|minEnterprises/i);

      const literal = await postGraphQL(production.url, {
        query: '{ chains { segments(stage: UPSTREA) { id } } }',
      });
      expect(literal.body.errors?.[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(literal.text).not.toMatch(/did you mean|UPSTREAM/i);
    });

    it('are kept where introspection is on (development, or production with INTROSPECTION_ENABLED)', async () => {
      const introspecting = await serve({ NODE_ENV: 'production', INTROSPECTION_ENABLED: 'true' });
      for (const url of [development.url, introspecting]) {
        const enumValue = await postGraphQL(url, { query: STAGE_VARIABLE, variables: { s: 'UPSTREA' } });
        expect(enumValue.body.errors?.[0]?.message).toMatch(/Did you mean the enum value "UPSTREAM"\?$/);
        const inputField = await postGraphQL(url, {
          query: THRESHOLDS_VARIABLE,
          variables: { t: { minEnterprize: 2 } },
        });
        expect(inputField.body.errors?.[0]?.message).toMatch(/Did you mean "minEnterprises"\?$/);
      }
    });
  });

  it('refuses a subscription as the client’s mistake, saying subscriptions are not supported', async () => {
    for (const url of [development.url, production.url]) {
      const response = await postGraphQL(url, { query: 'subscription Watch { chains { id } }' });
      expect(response.status).toBe(400);
      expect(response.body.data).toBeUndefined();
      expect(response.body.errors).toHaveLength(1);
      expect(response.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect(response.body.errors?.[0]?.message).toBe(
        'Subscriptions are not supported by this service; send a query or mutation operation',
      );
    }
    // In a batch, only the subscription is refused.
    const batch = await postGraphQL(development.url, [
      { query: '{ __typename }' },
      { query: 'subscription { chains { id } }' },
    ]);
    const [first, second] = JSON.parse(batch.text) as {
      data?: unknown;
      errors?: { extensions: { code: string } }[];
    }[];
    expect(first?.data).toEqual({ __typename: 'Query' });
    expect(second?.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  describe('automatic persisted queries', () => {
    const query = '{ __typename }';
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

    it('answer a hash that does not match its query with BAD_REQUEST naming the field', async () => {
      for (const url of [development.url, production.url]) {
        const mismatch = await postGraphQL(url, {
          query,
          extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ chains { id } }') } },
        });
        expect(mismatch.status).toBe(400);
        expect(mismatch.body.errors).toEqual([
          {
            message:
              'extensions.persistedQuery.sha256Hash does not match the SHA-256 hash of the query sent with it',
            extensions: { code: 'BAD_REQUEST' },
          },
        ]);
      }
      const version = await postGraphQL(development.url, {
        query,
        extensions: { persistedQuery: { version: 2, sha256Hash: sha256(query) } },
      });
      expect([version.status, version.body.errors?.[0]?.extensions.code]).toEqual([400, 'BAD_REQUEST']);
      expect(version.body.errors?.[0]?.message).toMatch(/version must be 1/);
    });

    it('still register and answer a matching hash, and say PERSISTED_QUERY_NOT_FOUND for an unknown one', async () => {
      const unique = `{ __typename chains { id } }`;
      const unknown = await postGraphQL(development.url, {
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256(unique) } },
      });
      expect(unknown.body.errors?.[0]?.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      const registered = await postGraphQL(development.url, {
        query: unique,
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256(unique) } },
      });
      expect(registered.body.errors).toBeUndefined();
      const byHash = await postGraphQL(development.url, {
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256(unique) } },
      });
      expect(byHash.body).toEqual(registered.body);
    });
  });

  describe('JWT lifetimes', () => {
    const READ = { query: '{ __typename }' };
    const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });

    it('refuse a token that expires in year 9999, and one whose exp lies more than the maximum after its iat', async () => {
      const year9999 = await postGraphQL(
        development.url,
        READ,
        bearer(await token(Date.UTC(9999, 11, 31) / 1000)),
      );
      expect(year9999.status).toBe(401);
      expect(year9999.body.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
      expect(year9999.body.errors?.[0]?.message).toBe(
        "The token's lifetime is longer than the accepted maximum of 86400 s (it expires at 9999-12-31T00:00:00.000Z); ask for a shorter-lived token",
      );
      // Without an iat: measured from now.
      const noIat = await postGraphQL(
        development.url,
        READ,
        bearer(await token(nowSeconds() + 25 * 3600, null)),
      );
      expect([noIat.status, noIat.body.errors?.[0]?.extensions.code]).toEqual([401, 'UNAUTHENTICATED']);
      // Expires within the hour, but was issued for 30 days.
      const longIssued = await postGraphQL(
        development.url,
        READ,
        bearer(await token(nowSeconds() + 3600, nowSeconds() - 30 * 86_400)),
      );
      expect([longIssued.status, longIssued.body.errors?.[0]?.message]).toEqual([
        401,
        expect.stringMatching(/lifetime is longer than the accepted maximum of 86400 s/) as unknown,
      ]);
      // A hostile exp beyond what a date can hold is refused too, without a date in the message.
      const absurd = await postGraphQL(development.url, READ, bearer(await token(1e300)));
      expect([absurd.status, absurd.body.errors?.[0]?.extensions.code]).toEqual([401, 'UNAUTHENTICATED']);
    });

    it('accept a token within the maximum, which JWT_MAX_LIFETIME_S sets', async () => {
      const hourLong = await token(nowSeconds() + 3600);
      const accepted = await postGraphQL(development.url, READ, bearer(hourLong));
      expect([accepted.status, accepted.body.data]).toEqual([200, { __typename: 'Query' }]);
      const strict = await serve({ JWT_SECRET: SECRET, JWT_MAX_LIFETIME_S: '600' });
      const refused = await postGraphQL(strict, READ, bearer(hourLong));
      expect([refused.status, refused.body.errors?.[0]?.message]).toEqual([
        401,
        expect.stringMatching(/accepted maximum of 600 s/) as unknown,
      ]);
      expect((await postGraphQL(strict, READ, bearer(await token(nowSeconds() + 300)))).status).toBe(200);
      expect(() => loadConfig({ JWT_MAX_LIFETIME_S: '0' })).toThrow(
        'JWT_MAX_LIFETIME_S="0": expected a whole number from 60 to 31536000',
      );
    });
  });

  it('refuses an Authorization header that is not Bearer with 401 naming the expected scheme', async () => {
    for (const authorization of [
      'Basic dXNlcjpwYXNzd29yZA==',
      'Token some-api-key',
      'some-api-key',
      'Bearer',
    ]) {
      const response = await postGraphQL(development.url, { query: '{ __typename }' }, { authorization });
      expect(response.status, authorization).toBe(401);
      expect(response.body.data).toBeUndefined();
      expect(response.body.errors).toEqual([
        {
          message:
            "The Authorization header must be 'Bearer <credential>'; other schemes (Basic, Token, ...) and bare values are not accepted",
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ]);
      expect(response.text).not.toContain('dXNlcjpwYXNzd29yZA');
    }
    // A 401 names the scheme to use in WWW-Authenticate too, as HTTP asks.
    const challenged = await fetch(`${development.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic dXNlcjpwYXNzd29yZA==' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect([challenged.status, challenged.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
    // The scheme name is case-insensitive (RFC 9110), and no header at all stays anonymous.
    const lowercase = await postGraphQL(
      development.url,
      { query: '{ __typename }' },
      { authorization: `bearer ${await token(nowSeconds() + 60)}` },
    );
    expect(lowercase.status).toBe(200);
    expect((await postGraphQL(development.url, { query: '{ __typename }' })).status).toBe(200);
  });

  describe('the explorer page', () => {
    const html = { accept: 'text/html' };

    it('is sent with a CSP allowing only this origin and its own inline scripts, and frame protection', async () => {
      const page = await rawGet(`${development.url}/graphql`, html);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      const policy = String(page.headers['content-security-policy']);
      const directives = new Map<string, string[]>();
      for (const directive of policy.split(';')) {
        const [name = '', ...values] = directive.trim().split(/\s+/);
        directives.set(name, values);
      }
      expect(directives.get('default-src')).toEqual(["'self'"]);
      expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
      expect(directives.get('connect-src')).toEqual(["'self'"]);
      expect(directives.get('object-src')).toEqual(["'none'"]);
      // Scripts: this origin and exactly the page's inline scripts, by hash; never 'unsafe-inline' or eval.
      const text = page.raw.toString('utf8');
      const inline = [...text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
        ([, script]) =>
          `'sha256-${createHash('sha256')
            .update(script ?? '')
            .digest('base64')}'`,
      );
      expect(inline.length).toBeGreaterThan(0);
      expect(directives.get('script-src')).toEqual(["'self'", ...inline]);
      expect(policy).not.toMatch(/unsafe-eval|https?:|\*/);
    });

    it('is sent compressed as the client accepts (brotli or gzip), to the same page and much smaller', async () => {
      const plain = await rawGet(`${development.url}/`, html);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers['vary']).toMatch(/accept-encoding/i);
      const brotli = await rawGet(`${development.url}/`, { ...html, 'accept-encoding': 'gzip, deflate, br' });
      const gzip = await rawGet(`${development.url}/`, { ...html, 'accept-encoding': 'gzip' });
      expect(brotli.headers['content-encoding']).toBe('br');
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(zlib.brotliDecompressSync(brotli.raw).equals(plain.raw)).toBe(true);
      expect(zlib.gunzipSync(gzip.raw).equals(plain.raw)).toBe(true);
      for (const compressed of [brotli, gzip]) {
        expect(Number(compressed.headers['content-length'])).toBe(compressed.raw.length);
        expect(compressed.raw.length).toBeLessThan(plain.raw.length / 3);
        expect(compressed.headers['x-frame-options']).toBe('DENY');
      }
      console.info(
        `explorer page: ${plain.raw.length} bytes plain, ${brotli.raw.length} brotli, ${gzip.raw.length} gzip`,
      );
      // GraphQL answers are not compressed: they are small, and the CPU is better spent answering under load.
      const graphql = await rawGet(
        `${development.url}/graphql?query=${encodeURIComponent('{ __typename }')}`,
        {
          'accept-encoding': 'gzip, br',
          'apollo-require-preflight': 'true',
        },
      );
      expect(graphql.status).toBe(200);
      expect(graphql.headers['content-encoding']).toBeUndefined();
    });

    it('shares its frame and nosniff headers with the chain map', async () => {
      const map = await rawGet(`${development.url}/map/`, html);
      expect(map.headers['x-frame-options']).toBe('DENY');
      expect(map.headers['x-content-type-options']).toBe('nosniff');
      expect(map.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    });
  });
});
