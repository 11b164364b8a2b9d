import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cypher } from '../../src/data/cypher.js';
import { loadSeeds, SEEDS_DIR } from '../../src/seed/load.js';
import { readSeedDirectory, SeedValidationError } from '../../src/seed/validate.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

/** A fingerprint of the whole graph: every node and relationship with its properties. */
async function snapshot(database: TestDatabase): Promise<string> {
  const [row] = await database.executor.read(
    'snapshot',
    cypher(`CALL { MATCH (n) RETURN collect(labels(n)[0] + ':' + n.id + ':' + toString(size(keys(n)))) AS nodes }
            CALL { MATCH (a)-[r]->(b) RETURN collect(a.id + '-' + type(r) + '->' + b.id + ':' + r.source) AS relationships }
            RETURN nodes, relationships`),
  );
  const sorted = (value: unknown) => [...(value as string[])].sort();
  return JSON.stringify({ nodes: sorted(row?.['nodes']), relationships: sorted(row?.['relationships']) });
}

describe('seed loading', () => {
  let database: TestDatabase;
  let workDir: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    workDir = await mkdtemp(path.join(os.tmpdir(), 'chain-kg-seeds-'));
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
    await database.close();
  });

  it('is idempotent: a second load changes nothing and reports every row unchanged', async () => {
    await loadSeeds(database.executor); // the global setup loaded it once already
    const before = await snapshot(database);
    const reports = await loadSeeds(database.executor);
    expect(await snapshot(database)).toBe(before);
    expect(reports.length).toBeGreaterThan(20);
    for (const report of reports) {
      expect(report.counts, report.kind).toEqual({ created: 0, updated: 0, unchanged: report.total });
    }
  });

  /** Copies the seeds, lets the test break them, and returns the directory. */
  async function brokenCopy(name: string, edit: (directory: string) => Promise<void>): Promise<string> {
    const directory = path.join(workDir, name);
    await cp(SEEDS_DIR, directory, { recursive: true });
    // A new, valid record, so we can check that nothing at all was written when another record is bad.
    const regionsFile = path.join(directory, 'regions.json');
    const regions = JSON.parse(await readFile(regionsFile, 'utf8')) as unknown[];
    regions.push({
      id: `canary-${name}`,
      name: '金丝雀区',
      nameEn: 'Canary',
      level: 'DISTRICT',
      parentId: 'shijiazhuang',
      provenance: { source: 'ILLUSTRATIVE' },
    });
    await writeFile(regionsFile, JSON.stringify(regions));
    await edit(directory);
    return directory;
  }

  async function editJson(file: string, change: (records: Record<string, unknown>[]) => void): Promise<void> {
    const records = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>[];
    change(records);
    await writeFile(file, JSON.stringify(records));
  }

  async function expectRejected(directory: string, canary: string, expected: RegExp[]): Promise<void> {
    const error = await loadSeeds(database.executor, directory).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SeedValidationError);
    for (const pattern of expected) expect((error as Error).message).toMatch(pattern);
    const rows = await database.executor.read(
      'check',
      cypher('MATCH (r:Region { id: $id }) RETURN count(r) AS n', { id: canary }),
    );
    expect(rows[0]?.['n'], 'nothing is written when any record is bad').toBe(0);
  }

  it('rejects a bad enum value naming file, record and field, and writes nothing', async () => {
    const directory = await brokenCopy('enum', (dir) =>
      editJson(path.join(dir, 'enterprises', 'ic.json'), (records) => {
        records[3]!['sizeBand'] = 'HUGE';
      }),
    );
    await expectRejected(directory, 'canary-enum', [
      /enterprises\/ic\.json, record 3 \(ent-[a-z0-9-]+\), field 'sizeBand': 'HUGE' is not one of LARGE, MEDIUM, SMALL, MICRO/,
    ]);
  });

  it('rejects an unknown reference, a duplicate id and a PLAN fact without its section', async () => {
    const directory = await brokenCopy('references', async (dir) => {
      await editJson(path.join(dir, 'segments', 'nev.json'), (records) => {
        records[0]!['feeds'] = ['nev-no-such-segment'];
      });
      await editJson(path.join(dir, 'chains.json'), (records) => {
        records[1]!['id'] = records[0]!['id'];
        records[2]!['provenance'] = { source: 'PLAN' };
      });
    });
    await expectRejected(directory, 'canary-references', [
      /segments\/nev\.json, record 0 \(nev-[a-z0-9-]+\), field 'feeds\[0\]': no ChainSegment with id 'nev-no-such-segment'/,
      /chains\.json, record 1 \([a-z-]+\), field 'id': duplicate of chains\.json record 0/,
      /chains\.json, record 2 \([a-z-]+\), field 'provenance\.section': a PLAN fact needs the plan section it comes from/,
    ]);
  });

  it('rejects bad contact details naming the field, and an empty contact', async () => {
    const directory = await brokenCopy('contact', (dir) =>
      editJson(path.join(dir, 'enterprises', 'ic.json'), (records) => {
        records[3]!['contact'] = {
          website: 'www.example.com',
          phone: 'ask reception',
          email: 'info-at-example.com',
        };
        records[4]!['contact'] = {};
        records[5]!['contact'] = { fax: '0311-55500000' };
      }),
    );
    await expectRejected(directory, 'canary-contact', [
      /enterprises\/ic\.json, record 3 \(ent-[a-z0-9-]+\), field 'contact\.website': 'www\.example\.com' is not a website address: expected an http:\/\/ or https:\/\/ URL/,
      /enterprises\/ic\.json, record 3 \(ent-[a-z0-9-]+\), field 'contact\.phone': 'ask reception' is not a phone number/,
      /enterprises\/ic\.json, record 3 \(ent-[a-z0-9-]+\), field 'contact\.email': 'info-at-example\.com' is not an email address/,
      /enterprises\/ic\.json, record 4 \(ent-[a-z0-9-]+\), field 'contact': give at least one of website, phone, email, address, person/,
      /enterprises\/ic\.json, record 5 \(ent-[a-z0-9-]+\), field 'contact'.*fax/,
    ]);
  });

  it('ships contact details only for illustrative firms, under example.com with 555 numbers', async () => {
    const data = await readSeedDirectory(SEEDS_DIR);
    const withContact = data.enterprises.filter((record) => record.value.contact !== undefined);
    expect(withContact.length).toBeGreaterThan(0);
    for (const { value: firm } of withContact) {
      expect(firm.provenance.source, `${firm.id}: no invented contact for a real firm`).toBe('ILLUSTRATIVE');
      expect(firm.name, firm.id).toContain('示例');
      const { website, email, phone } = firm.contact!;
      if (website !== undefined) expect(new URL(website).hostname, firm.id).toMatch(/(^|\.)example\.com$/);
      if (email !== undefined) expect(email, firm.id).toMatch(/@([a-z0-9-]+\.)*example\.com$/);
      if (phone !== undefined) expect(phone, firm.id).toMatch(/^0\d{2,3}-5550\d{4}$/);
    }
  });

  it('rejects a file that is not valid JSON, naming it', async () => {
    const directory = await brokenCopy('json', (dir) =>
      writeFile(path.join(dir, 'targets.json'), '[{"id": "x",'),
    );
    await expectRejected(directory, 'canary-json', [/targets\.json: not valid JSON/]);
  });

  it('rejects unknown fields, so typos surface', async () => {
    const directory = await brokenCopy('typo', (dir) =>
      editJson(path.join(dir, 'industries.json'), (records) => {
        records[0]!['specialActoin'] = true;
      }),
    );
    await expectRejected(directory, 'canary-typo', [/industries\.json, record 0 \([a-z-]+\).*specialActoin/]);
  });
});
