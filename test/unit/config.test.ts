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
});
