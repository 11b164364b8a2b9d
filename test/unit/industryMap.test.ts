import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { SEGMENT_ROLE } from '../../src/ingest/vocabulary.js';
import { SEEDS_DIR } from '../../src/seed/load.js';
import { checkMapping, type IndustryMappingRow } from '../../src/seed/pack/industryMap.js';
import { MAPPING_FILE, SW_INDUSTRY_FILE } from '../../src/seed/pack/listedCompanies.js';

/** The reviewed 申万 → segment table as shipped, checked against the 申万 list and the seed segments. */
const publicDir = path.join(SEEDS_DIR, 'public');
const table = JSON.parse(readFileSync(path.join(publicDir, MAPPING_FILE), 'utf8')) as unknown[];
const swIndustries = new Map(
  readFileSync(path.join(publicDir, SW_INDUSTRY_FILE), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { code: string; name: string })
    .map(({ code, name }) => [code, name] as const),
);
const segmentIds = new Set(
  ['biomedicine', 'ic', 'led', 'military-civil', 'nev'].flatMap((file) =>
    (
      JSON.parse(readFileSync(path.join(SEEDS_DIR, 'segments', `${file}.json`), 'utf8')) as { id: string }[]
    ).map((segment) => segment.id),
  ),
);

describe('industry → segment mapping table', () => {
  it('is valid: every segment exists, every 申万 code is in the 申万 list under its name, roles valid, no industry twice', () => {
    const { rows, problems } = checkMapping(table, swIndustries, segmentIds);
    expect(problems).toEqual([]);
    expect(rows).toHaveLength(table.length);
    const keys = new Set<string>();
    for (const row of rows) {
      if (row.scheme === 'SW2021') expect(swIndustries.get(row.code!), row.name).toBe(row.name);
      for (const { segmentId, role } of row.segments) {
        expect(segmentIds.has(segmentId), segmentId).toBe(true);
        expect(SEGMENT_ROLE.values).toContain(role);
      }
      expect(row.note.length, row.name).toBeGreaterThan(10);
      const key = `${row.scheme}|${row.code ?? row.name}`;
      expect(keys.has(key), key).toBe(false);
      keys.add(key);
    }
  });

  it('maps 化学制剂, 中药Ⅲ, 锂电池 and 半导体设备 to the segments they are', () => {
    const { rows } = checkMapping(table, swIndustries, segmentIds);
    const segmentsOf = (name: string) =>
      rows
        .find((row: IndustryMappingRow) => row.name === name)
        ?.segments.map((s) => `${s.segmentId}:${s.role}`);
    expect(segmentsOf('化学制剂')).toEqual(['bio-chemical-formulations:CORE']);
    expect(segmentsOf('中药Ⅲ')).toEqual(['bio-modern-tcm:CORE']);
    expect(segmentsOf('锂电池')).toEqual(['nev-battery-cells:CORE']);
    expect(segmentsOf('半导体设备')).toEqual(['ic-equipment:CORE']);
  });

  it('refuses an unknown segment, an unknown or misnamed code, a bad role and a repeated industry, naming the row', () => {
    const row = (overrides: Record<string, unknown>) => ({
      scheme: 'SW2021',
      code: '370102',
      name: '化学制剂',
      segments: [{ segmentId: 'bio-chemical-formulations', role: 'CORE' }],
      confirmedBy: ['化学制药'],
      note: 'a test row',
      ...overrides,
    });
    const { rows, problems } = checkMapping(
      [
        row({}),
        row({ segments: [{ segmentId: 'no-such-segment', role: 'CORE' }], code: '370101', name: '原料药' }),
        row({ code: '999999' }),
        row({ code: '370303', name: '化学制剂' }),
        row({ code: '370201', name: '中药Ⅲ', segments: [{ segmentId: 'bio-modern-tcm', role: 'MAKER' }] }),
        row({}),
      ],
      swIndustries,
      segmentIds,
    );
    expect(rows).toHaveLength(1);
    expect(problems.map((problem) => [problem.row, problem.field])).toEqual([
      [1, 'segments[0]'],
      [2, 'code'],
      [3, 'name'],
      [4, 'segments.0.role'],
      [5, 'code'],
    ]);
    expect(problems[0]?.reason).toContain("no segment with id 'no-such-segment'");
    expect(problems[4]?.reason).toBe('duplicate of row 0');
  });
});
