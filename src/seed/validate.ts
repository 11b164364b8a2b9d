import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import type { z } from 'zod';

import { formatPath, ProblemsError, type Problem } from '../ingest/problem.js';
import { checkReferences } from '../ingest/references.js';
import { locatedSeedRecords } from './flatten.js';
import { buildPack, readPackFiles, type Pack } from './pack/index.js';

import {
  baseSchema,
  chainSchema,
  enterpriseSchema,
  industrySchema,
  platformSchema,
  policySchema,
  programmeSchema,
  regionSchema,
  segmentSchema,
  targetSchema,
  type BaseSeed,
  type ChainSeed,
  type EnterpriseSeed,
  type IndustrySeed,
  type PlatformSeed,
  type PolicySeed,
  type ProgrammeSeed,
  type RegionSeed,
  type SegmentSeed,
  type TargetSeed,
} from './schemas.js';

/** A seed file refused: nothing was written. Startup and `npm run seed` print its message. */
export class SeedValidationError extends ProblemsError {
  override readonly name = 'SeedValidationError';
  constructor(problems: readonly Problem[]) {
    super('The seed data', problems);
  }
}

/** A record of a seed file, with the file and its index there, so later checks can point at it. */
export interface FromFile<T> {
  readonly file: string;
  readonly index: number;
  readonly value: T;
}

export interface SeedData {
  readonly regions: FromFile<RegionSeed>[];
  readonly industries: FromFile<IndustrySeed>[];
  readonly chains: FromFile<ChainSeed>[];
  readonly segments: FromFile<SegmentSeed>[];
  readonly enterprises: FromFile<EnterpriseSeed>[];
  readonly platforms: FromFile<PlatformSeed>[];
  readonly bases: FromFile<BaseSeed>[];
  readonly programmes: FromFile<ProgrammeSeed>[];
  readonly policies: FromFile<PolicySeed>[];
  readonly targets: FromFile<TargetSeed>[];
  /** The public data pack (src/seed/pack/), when the directory has one and it was asked for. */
  readonly pack?: Pack | undefined;
}

/** Each kind's records come from `<kind>.json` and/or every `<kind>/*.json`, so a team can split big lists. */
const KINDS = {
  regions: regionSchema,
  industries: industrySchema,
  chains: chainSchema,
  segments: segmentSchema,
  enterprises: enterpriseSchema,
  platforms: platformSchema,
  bases: baseSchema,
  programmes: programmeSchema,
  policies: policySchema,
  targets: targetSchema,
} as const;

async function filesOfKind(directory: string, kind: string): Promise<string[]> {
  const files: string[] = [];
  try {
    await access(path.join(directory, `${kind}.json`));
    files.push(`${kind}.json`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    const nested = (await readdir(path.join(directory, kind)))
      .filter((file) => file.endsWith('.json'))
      .sort();
    files.push(...nested.map((file) => path.join(kind, file)));
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code !== 'ENOENT' &&
      (error as NodeJS.ErrnoException).code !== 'ENOTDIR'
    ) {
      throw error;
    }
  }
  return files;
}

async function readRecords<T>(
  directory: string,
  file: string,
  schema: z.ZodType<T>,
  problems: Problem[],
): Promise<FromFile<T>[]> {
  const content = await readFile(path.join(directory, file), 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (error) {
    problems.push({ file, line: null, column: null, reason: `not valid JSON: ${(error as Error).message}` });
    return [];
  }
  if (!Array.isArray(parsed)) {
    problems.push({ file, line: null, column: null, reason: 'expected a JSON array of records' });
    return [];
  }
  const records: FromFile<T>[] = [];
  parsed.forEach((raw: unknown, index) => {
    const result = schema.safeParse(raw);
    const recordId =
      typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string'
        ? (raw as { id: string }).id
        : null;
    if (result.success) {
      records.push({ file, index, value: result.data });
    } else {
      for (const issue of result.error.issues) {
        problems.push({
          file,
          line: null,
          record: { index, id: recordId },
          column: formatPath(issue.path),
          reason: issue.message,
        });
      }
    }
  });
  return records;
}

/**
 * Reads and validates every seed file in a directory, with the public data pack of its `public/` folder unless
 * `pack` is false. Throws SeedValidationError listing every problem.
 */
export async function readSeedDirectory(
  directory: string,
  { pack: withPack = true }: { readonly pack?: boolean } = {},
): Promise<SeedData> {
  const problems: Problem[] = [];
  const read = async <T>(kind: keyof typeof KINDS, schema: z.ZodType<T>): Promise<FromFile<T>[]> => {
    const files = await filesOfKind(directory, kind);
    const perFile = await Promise.all(files.map((file) => readRecords(directory, file, schema, problems)));
    return perFile.flat();
  };
  const curated: SeedData = {
    regions: await read('regions', KINDS.regions),
    industries: await read('industries', KINDS.industries),
    chains: await read('chains', KINDS.chains),
    segments: await read('segments', KINDS.segments),
    enterprises: await read('enterprises', KINDS.enterprises),
    platforms: await read('platforms', KINDS.platforms),
    bases: await read('bases', KINDS.bases),
    programmes: await read('programmes', KINDS.programmes),
    policies: await read('policies', KINDS.policies),
    targets: await read('targets', KINDS.targets),
  };
  const data = withPack ? await withPublicPack(directory, curated, problems) : curated;
  // The same checker as an import's, on the records the files hold; problems name the file, record and field.
  checkReferences(locatedSeedRecords(data, problems));
  if (problems.length > 0) throw new SeedValidationError(problems);
  return data;
}

/**
 * The seeds with the public data pack: its records, and each curated listed enterprise completed with the
 * listed-company fields it lacks (one node per company: the pack adds no second record for it).
 */
async function withPublicPack(directory: string, data: SeedData, problems: Problem[]): Promise<SeedData> {
  const files = await readPackFiles(directory);
  if (files === null) return data;
  const pack = buildPack(
    files,
    {
      regions: data.regions.map(({ value }) => value),
      enterprises: data.enterprises.map(({ value }) => value),
      segmentIds: new Set(data.segments.map(({ value }) => value.id)),
    },
    problems,
  );
  const enterprises = data.enterprises.map((entry) => {
    const added = pack.additions.get(entry.value.id);
    return added === undefined ? entry : { ...entry, value: { ...entry.value, ...added } };
  });
  return { ...data, enterprises, pack };
}
