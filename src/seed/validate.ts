import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import type { z } from 'zod';

import { formatPath, ProblemsError, type Problem } from '../ingest/problem.js';
import { SELF_SUPPLY } from '../ingest/records.js';

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

/** A record together with where it came from, so later checks can point at it. */
export interface Located<T> {
  readonly file: string;
  readonly index: number;
  readonly value: T;
}

export interface SeedData {
  readonly regions: Located<RegionSeed>[];
  readonly industries: Located<IndustrySeed>[];
  readonly chains: Located<ChainSeed>[];
  readonly segments: Located<SegmentSeed>[];
  readonly enterprises: Located<EnterpriseSeed>[];
  readonly platforms: Located<PlatformSeed>[];
  readonly bases: Located<BaseSeed>[];
  readonly programmes: Located<ProgrammeSeed>[];
  readonly policies: Located<PolicySeed>[];
  readonly targets: Located<TargetSeed>[];
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
): Promise<Located<T>[]> {
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
  const records: Located<T>[] = [];
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

/** Reads and validates every seed file in a directory. Throws SeedValidationError listing every problem. */
export async function readSeedDirectory(directory: string): Promise<SeedData> {
  const problems: Problem[] = [];
  const read = async <T>(kind: keyof typeof KINDS, schema: z.ZodType<T>): Promise<Located<T>[]> => {
    const files = await filesOfKind(directory, kind);
    const perFile = await Promise.all(files.map((file) => readRecords(directory, file, schema, problems)));
    return perFile.flat();
  };
  const data: SeedData = {
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
  problems.push(...checkReferences(data));
  if (problems.length > 0) throw new SeedValidationError(problems);
  return data;
}

/** Cross-record checks: unique ids, every reference resolves, no self-links or duplicate links, no region cycles. */
export function checkReferences(data: SeedData): Problem[] {
  const problems: Problem[] = [];
  const owners = new Map<string, string>();
  const idsOf = {
    region: new Set(data.regions.map((r) => r.value.id)),
    industry: new Set(data.industries.map((r) => r.value.id)),
    chain: new Set(data.chains.map((r) => r.value.id)),
    segment: new Set(data.segments.map((r) => r.value.id)),
    enterprise: new Set(data.enterprises.map((r) => r.value.id)),
    programme: new Set(data.programmes.map((r) => r.value.id)),
    policy: new Set(data.policies.map((r) => r.value.id)),
  };
  const problem = (record: Located<{ id: string }>, field: string, message: string) =>
    problems.push({
      file: record.file,
      line: null,
      record: { index: record.index, id: record.value.id },
      column: field,
      reason: message,
    });
  const claim = (record: Located<{ id: string }>, id: string, field: string) => {
    const owner = owners.get(id);
    if (owner !== undefined) problem(record, field, `id '${id}' is already used by ${owner}`);
    else owners.set(id, `${record.file} record ${record.index}`);
  };
  const expect = (
    record: Located<{ id: string }>,
    kind: keyof typeof idsOf,
    id: string | undefined,
    field: string,
  ) => {
    if (id !== undefined && !idsOf[kind].has(id)) problem(record, field, `unknown ${kind} '${id}'`);
  };
  const expectAll = (
    record: Located<{ id: string }>,
    kind: keyof typeof idsOf,
    ids: readonly string[],
    field: string,
  ) => {
    const seen = new Set<string>();
    ids.forEach((id, index) => {
      expect(record, kind, id, `${field}[${index}]`);
      if (seen.has(id)) problem(record, `${field}[${index}]`, `'${id}' is listed twice`);
      seen.add(id);
    });
  };

  for (const record of data.regions) {
    claim(record, record.value.id, 'id');
    expect(record, 'region', record.value.parentId, 'parentId');
  }
  const parentOf = new Map(data.regions.map((r) => [r.value.id, r.value.parentId]));
  for (const record of data.regions) {
    const visited = new Set<string>();
    for (
      let current: string | undefined = record.value.id;
      current !== undefined;
      current = parentOf.get(current)
    ) {
      if (visited.has(current)) {
        problem(record, 'parentId', `the parent chain of '${record.value.id}' loops back to '${current}'`);
        break;
      }
      visited.add(current);
    }
  }
  for (const record of data.industries) claim(record, record.value.id, 'id');
  for (const record of data.chains) {
    claim(record, record.value.id, 'id');
    expectAll(record, 'industry', record.value.industryIds, 'industryIds');
  }
  for (const record of data.segments) {
    claim(record, record.value.id, 'id');
    expect(record, 'chain', record.value.chainId, 'chainId');
    expect(record, 'segment', record.value.parentId, 'parentId');
    if (record.value.parentId === record.value.id)
      problem(record, 'parentId', 'a segment cannot be its own parent');
    const targets = record.value.feeds.map((link) => (typeof link === 'string' ? link : link.segmentId));
    expectAll(record, 'segment', targets, 'feeds');
    targets.forEach((target, index) => {
      if (target === record.value.id) problem(record, `feeds[${index}]`, 'a segment cannot feed itself');
    });
  }
  for (const record of data.enterprises) {
    claim(record, record.value.id, 'id');
    expect(record, 'region', record.value.regionId, 'regionId');
    expectAll(
      record,
      'segment',
      record.value.segments.map((s) => s.segmentId),
      'segments',
    );
    const customers = record.value.supplies.map((s) => s.enterpriseId);
    expectAll(record, 'enterprise', customers, 'supplies');
    customers.forEach((customer, index) => {
      if (customer === record.value.id) problem(record, `supplies[${index}]`, SELF_SUPPLY);
    });
  }
  for (const record of data.platforms) {
    claim(record, record.value.id, 'id');
    expect(record, 'region', record.value.regionId, 'regionId');
    expect(record, 'enterprise', record.value.hostEnterpriseId, 'hostEnterpriseId');
    expectAll(record, 'segment', record.value.supportsSegmentIds, 'supportsSegmentIds');
    expectAll(record, 'industry', record.value.supportsIndustryIds, 'supportsIndustryIds');
  }
  for (const record of data.bases) {
    claim(record, record.value.id, 'id');
    expect(record, 'region', record.value.regionId, 'regionId');
    expectAll(record, 'industry', record.value.focusIndustryIds, 'focusIndustryIds');
  }
  for (const record of data.programmes) {
    claim(record, record.value.id, 'id');
    expectAll(record, 'chain', record.value.chainIds, 'chainIds');
    expectAll(record, 'industry', record.value.industryIds, 'industryIds');
    record.value.fields.forEach((field, index) => claim(record, field.id, `fields[${index}].id`));
    record.value.projects.forEach((project, index) => {
      claim(record, project.id, `projects[${index}].id`);
      expectAll(record, 'enterprise', project.enterpriseIds, `projects[${index}].enterpriseIds`);
      expectAll(record, 'segment', project.segmentIds, `projects[${index}].segmentIds`);
    });
  }
  for (const record of data.policies) {
    claim(record, record.value.id, 'id');
    expect(record, 'region', record.value.regionId, 'regionId');
    record.value.measures.forEach((measure, index) => {
      const at = `measures[${index}]`;
      claim(record, measure.id, `${at}.id`);
      expectAll(record, 'industry', measure.appliesTo.industryIds, `${at}.appliesTo.industryIds`);
      expectAll(record, 'chain', measure.appliesTo.chainIds, `${at}.appliesTo.chainIds`);
      expectAll(record, 'segment', measure.appliesTo.segmentIds, `${at}.appliesTo.segmentIds`);
      expectAll(record, 'programme', measure.appliesTo.programmeIds, `${at}.appliesTo.programmeIds`);
    });
  }
  for (const record of data.targets) {
    claim(record, record.value.id, 'id');
    expect(record, 'programme', record.value.programmeId, 'programmeId');
    expect(record, 'policy', record.value.policyId, 'policyId');
  }
  return problems;
}
