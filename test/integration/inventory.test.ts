import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cypher } from '../../src/data/cypher.js';
import { assertLabel } from '../../src/data/model.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

interface Inventory {
  entities: { label: string; name: string; section: string }[];
  targets: { value: number; valueMax: number | null; period: string }[];
}

const inventory = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, '../fixtures/plan-inventory.json'), 'utf8'),
) as Inventory;
const INVENTORY_MD = path.resolve(import.meta.dirname, '../../../shared/plan/inventory.md');

/** Walks the plan's inventory: every entity and target it lists must be in the graph with its PLAN section. */
describe('the plan inventory in the graph', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it.runIf(existsSync(INVENTORY_MD))('checks its checklist against the inventory itself', () => {
    const markdown = readFileSync(INVENTORY_MD, 'utf8');
    for (const entity of inventory.entities) expect(markdown, entity.name).toContain(entity.name);
  });

  it.each(
    inventory.entities.map(
      (entity) => [`${entity.label} ${entity.name} (${entity.section})`, entity] as const,
    ),
  )('has %s', async (_title, entity) => {
    const rows = await database.executor.read(
      'inventory',
      cypher(
        `MATCH (n:${assertLabel(entity.label)}) WHERE n.name CONTAINS $name AND n.source = 'PLAN' AND n.section = $section
           RETURN count(n) AS n`,
        { name: entity.name, section: entity.section },
      ),
    );
    expect(
      rows[0]?.['n'],
      `${entity.label} named like ${entity.name} with PLAN section ${entity.section}`,
    ).toBeGreaterThanOrEqual(1);
  });

  it('has every target of the inventory table, and no other PLAN target', async () => {
    const rows = await database.executor.read(
      'inventory',
      cypher(
        `MATCH (t:Target { source: 'PLAN' }) WHERE t.section IS NOT NULL RETURN t.value AS value, t.valueMax AS valueMax, t.period AS period`,
      ),
    );
    const key = (target: { value: unknown; valueMax: unknown; period: unknown }) =>
      [target.value, target.valueMax ?? '', target.period].map((part) => JSON.stringify(part)).join('|');
    const inGraph = rows
      .map((row) => key({ value: row['value'], valueMax: row['valueMax'], period: row['period'] }))
      .sort();
    const expected = inventory.targets.map(key).sort();
    expect(inGraph).toEqual(expected);
    expect(inGraph).toHaveLength(29);
  });
});
