import { generateKeyPairSync } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('gives documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ host: '127.0.0.1', port: 4000 });
    expect(config.neo4j.uri).toBeUndefined();
    expect(config.neo4j.database).toBe('neo4j');
    expect(config.localNeo4j.dataDir).toBe('.data/neo4j');
    expect(config.explorerEnabled).toBe(true);
    expect(config.introspectionEnabled).toBe(true);
  });

  it('turns the explorer and introspection off in production unless asked for', () => {
    expect(loadConfig({ NODE_ENV: 'production' })).toMatchObject({
      explorerEnabled: false,
      introspectionEnabled: false,
    });
    expect(loadConfig({ NODE_ENV: 'production', EXPLORER_ENABLED: 'true' }).explorerEnabled).toBe(true);
  });

  it('accepts every Neo4j URI scheme the driver supports', () => {
    for (const uri of [
      'bolt://db:7687',
      'bolt+s://db',
      'neo4j://cluster:7687',
      'neo4j+s://x.databases.neo4j.io',
    ]) {
      expect(loadConfig({ NEO4J_URI: uri }).neo4j.uri).toBe(uri);
    }
  });

  it('rejects a non-numeric PORT with a one-line message naming it', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((value) => value.trim() !== '' && !/^\s*-?\d+\s*$/.test(value)),
        (port) => {
          try {
            loadConfig({ PORT: port });
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            expect((error as Error).message).toMatch(/^Invalid configuration: PORT=/);
            expect((error as Error).message).toContain('whole number');
            expect((error as Error).message).not.toContain('\n');
            return;
          }
          throw new Error(`PORT=${JSON.stringify(port)} was accepted`);
        },
      ),
    );
  });

  it('rejects out-of-range ports and malformed or non-Neo4j URIs, naming each variable', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT="70000"/);
    expect(() => loadConfig({ NEO4J_URI: 'http://localhost:7474' })).toThrow(
      /NEO4J_URI="http:\/\/localhost:7474": expected a URI/,
    );
    expect(() => loadConfig({ NEO4J_URI: 'not a uri' })).toThrow(/NEO4J_URI/);
    expect(() => loadConfig({ PORT: 'x', MAX_TRAVERSAL_DEPTH: '99' })).toThrow(
      /PORT=.*; MAX_TRAVERSAL_DEPTH=/,
    );
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', NEO4J_URI: '' }).http.port).toBe(4000);
  });

  it('configures JWTs from a secret or a public key, never both, and never prints a secret', () => {
    expect(loadConfig({}).access.jwt).toBeUndefined();
    expect(loadConfig({ JWT_SECRET: 's'.repeat(32) }).access.jwt).toMatchObject({
      algorithms: ['HS256'],
      rolesClaim: 'roles',
    });
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(loadConfig({ JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n') }).access.jwt?.algorithms).toEqual([
      'RS256',
      'ES256',
    ]);
    expect(() => loadConfig({ JWT_SECRET: 'too-short-secret' })).toThrow(
      'Invalid configuration: JWT_SECRET=(hidden): expected at least 32 characters',
    );
    expect(() => loadConfig({ JWT_SECRET: 'too-short-secret' })).not.toThrow(/too-short-secret/);
    expect(() => loadConfig({ JWT_PUBLIC_KEY: 'not a key' })).toThrow(
      /JWT_PUBLIC_KEY="not a key": expected a PEM/,
    );
    expect(() => loadConfig({ JWT_SECRET: 's'.repeat(32), JWT_PUBLIC_KEY: pem })).toThrow(
      'JWT_SECRET and JWT_PUBLIC_KEY are both set; set one of them',
    );
  });

  it('reads the query limits, batch size and body limit, rejecting nonsense', () => {
    expect(loadConfig({}).limits).toMatchObject({
      query: { maxDepth: 10, maxCost: 100_000, maxAliases: 15, maxDirectives: 20, maxTokens: 2_000 },
      maxBatchSize: 10,
      maxBodyBytes: 2_000_000,
    });
    expect(() => loadConfig({ MAX_BATCH_SIZE: '0' })).toThrow(
      /MAX_BATCH_SIZE="0": expected a whole number from 1 to 100/,
    );
  });
});
