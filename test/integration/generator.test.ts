import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cypher } from '../../src/data/cypher.js';
import { CONTACT_FIELDS } from '../../src/data/contact.js';
import { generatedContact, generateGraph, random, zipfSampler } from '../../src/generate/generator.js';
import { contactProblem } from '../../src/ingest/contact.js';
import { deleteByPrefix, openTestDatabase, type TestDatabase } from '../support/database.js';

describe('the province-sized generator', () => {
  let database: TestDatabase;
  // A seed no other test uses; everything generated carries the prefix gen-<seed>.
  const seed = 90_000 + Math.floor(Math.random() * 9_000);

  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, `gen-${seed}-`);
    await database.close();
  });

  it('is deterministic: the same seed gives the same graph, so a second run changes nothing', async () => {
    const first = await generateGraph(database.executor, { seed, enterprises: 1500, districtsPerCity: 2 });
    expect(first.created).toBeGreaterThan(1500 * 4);
    const second = await generateGraph(database.executor, { seed, enterprises: 1500, districtsPerCity: 2 });
    expect(second).toMatchObject({ created: 0, relationships: first.relationships });
    expect(second.unchanged).toBe(first.created);
  });

  it('marks everything it makes as illustrative, and skews degrees like a real economy (a few hubs, a long tail)', async () => {
    const [row] = await database.executor.read(
      'check',
      cypher(
        `MATCH (e:Enterprise) WHERE e.id STARTS WITH $prefix
         WITH collect(e) AS firms
         RETURN size(firms) AS firms,
                size([f IN firms WHERE f.source <> 'ILLUSTRATIVE' OR NOT f.name CONTAINS '示例' OR NOT f.nameEn ENDS WITH '(illustrative)']) AS unmarked,
                [f IN firms | COUNT { (f)<-[:SUPPLIES]-() }] AS inDegrees`,
        { prefix: `gen-${seed}-e-` },
      ),
    );
    expect(row?.['firms']).toBe(1500);
    expect(row?.['unmarked']).toBe(0);
    const degrees = (row?.['inDegrees'] as number[]).sort((a, b) => b - a);
    const mean = degrees.reduce((sum, degree) => sum + degree, 0) / degrees.length;
    expect(degrees[0]!).toBeGreaterThan(10 * mean);
    expect(degrees.filter((degree) => degree === 0).length).toBeGreaterThan(degrees.length / 4);
  });

  it('gives every firm an illustrative contact: example.com addresses, 555 phone numbers, the same on every run', async () => {
    const rows = await database.executor.read(
      'check',
      cypher(
        `MATCH (e:Enterprise) WHERE e.id STARTS WITH $prefix
         RETURN e.id AS id, e.contactWebsite AS website, e.contactPhone AS phone, e.contactEmail AS email,
                e.contactAddress AS address, e.contactPerson AS person`,
        { prefix: `gen-${seed}-e-` },
      ),
    );
    expect(rows).toHaveLength(1500);
    for (const row of rows) {
      const index = Number(String(row['id']).split('-').at(-1));
      const { id: _id, ...contact } = row;
      expect(contact, String(row['id'])).toEqual(generatedContact(seed, index));
    }
    for (const index of [0, 7, 99_999, 123_456]) {
      const contact = generatedContact(seed, index);
      expect(new URL(contact.website!).hostname).toMatch(/\.example\.com$/);
      expect(contact.email).toMatch(/@[a-z0-9.-]+\.example\.com$/);
      expect(contact.phone).toMatch(/^0311-555\d{5}$/);
      expect(contact.address).toContain('示例');
      // Valid by the same rules as imported and seeded contacts.
      for (const field of CONTACT_FIELDS) expect(contactProblem(field, contact[field]!), field).toBeNull();
    }
    expect(generatedContact(seed, 42)).toEqual(generatedContact(seed, 42));
  });

  it('samples a Zipf law: the head far more often than the tail', () => {
    const next = random(7);
    const sample = zipfSampler(100, 1, next);
    const counts = new Array<number>(100).fill(0);
    for (let draw = 0; draw < 20_000; draw += 1) counts[sample()]! += 1;
    expect(counts[0]!).toBeGreaterThan(10 * counts[50]!);
    expect(random(7)()).toBe(random(7)());
  });
});
