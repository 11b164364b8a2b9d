import type { Problem } from '../ingest/problem.js';
import type { Provenance, Records } from '../ingest/records.js';
import type { Located, LocatedRecords } from '../ingest/references.js';
import type { PackItem } from './pack/index.js';
import type { FromFile, SeedData } from './validate.js';

/** Seed field names where the record model's differ: (record field) → (seed field). */
type Renames = Readonly<Record<string, string>>;

/**
 * A record of a seed file, or one nested in it at `path` (segments[0]), placed so that a problem with one of its
 * fields names the file, the record's index and id, and the field as the file writes it.
 */
function locate<T>(
  parent: FromFile<{ id: string }>,
  record: T,
  problems: Problem[],
  path: string | null = null,
  renames: Renames = {},
): Located<T> {
  return {
    record,
    where: `${parent.file} record ${parent.index}${path === null ? '' : ` ${path}`}`,
    report: (field, reason) => {
      const head = /^[^.[]+/.exec(field)![0];
      const named = (renames[head] ?? head) + field.slice(head.length);
      problems.push({
        file: parent.file,
        line: null,
        record: { index: parent.index, id: parent.value.id },
        column: path === null ? named : `${path}.${named}`,
        reason,
      });
    },
  };
}

/** Records of the public data pack, placed so that a problem names the pack file and line. */
function fromPack<T>(items: readonly PackItem<T>[] | undefined, problems: Problem[]): Located<T>[] {
  return (items ?? []).map((item) => ({
    record: item.value,
    where: `${item.file}${item.line === null ? '' : ` line ${item.line}`}`,
    report: (field, reason) => problems.push({ file: item.file, line: item.line, column: field, reason }),
  }));
}

/** The records nested in each parent, each given the parent's provenance when it has none of its own. */
function nested<P extends { id: string; provenance: Provenance }, C, R>(
  parents: readonly FromFile<P>[],
  field: string,
  childrenOf: (parent: P) => readonly (C & { provenance?: Provenance | undefined })[],
  toRecord: (child: C, parent: P) => R,
  problems: Problem[],
  renames: Renames = {},
): Located<R & { provenance: Provenance }>[] {
  return parents.flatMap((parent) =>
    childrenOf(parent.value).map((child, index) =>
      locate(
        parent,
        { ...toRecord(child, parent.value), provenance: child.provenance ?? parent.value.provenance },
        problems,
        `${field}[${index}]`,
        renames,
      ),
    ),
  );
}

/**
 * The records of the seed files, each with its place: the nested shapes taken apart into the record model. A
 * nested record (a segment an enterprise operates in, a customer, a programme's field or project, a policy's
 * measure) without its own provenance takes its parent's; a platform's supportsSegmentIds and supportsIndustryIds
 * are its segmentIds and industryIds. Problems reported through a record go to `problems`.
 */
export function locatedSeedRecords(data: SeedData, problems: Problem[]): Required<LocatedRecords> {
  const top = <T extends { id: string }, R>(
    entries: readonly FromFile<T>[],
    toRecord: (value: T) => R,
    renames?: Renames,
  ) => entries.map((entry) => locate(entry, toRecord(entry.value), problems, null, renames));
  const same = <T>(value: T) => value;
  return {
    regions: [...top(data.regions, same), ...fromPack(data.pack?.regions, problems)],
    industries: top(data.industries, same),
    chains: top(data.chains, same),
    segments: top(data.segments, same),
    enterprises: [
      ...top(data.enterprises, ({ segments: _segments, supplies: _supplies, ...enterprise }) => enterprise),
      ...fromPack(data.pack?.enterprises, problems),
    ],
    segmentLinks: [
      ...nested(
        data.enterprises,
        'segments',
        (enterprise) => enterprise.segments,
        (link, enterprise) => ({ ...link, enterpriseId: enterprise.id }),
        problems,
      ),
      ...fromPack(data.pack?.segmentLinks, problems),
    ],
    supplies: nested(
      data.enterprises,
      'supplies',
      (enterprise) => enterprise.supplies,
      ({ enterpriseId, ...supply }, enterprise) => ({
        ...supply,
        supplierId: enterprise.id,
        customerId: enterpriseId,
      }),
      problems,
      { customerId: 'enterpriseId' },
    ),
    platforms: top(
      data.platforms,
      ({ supportsSegmentIds, supportsIndustryIds, ...platform }) => ({
        ...platform,
        segmentIds: supportsSegmentIds,
        industryIds: supportsIndustryIds,
      }),
      { segmentIds: 'supportsSegmentIds', industryIds: 'supportsIndustryIds' },
    ),
    bases: top(data.bases, same),
    programmes: top(data.programmes, ({ fields: _fields, projects: _projects, ...programme }) => programme),
    programmeFields: nested(
      data.programmes,
      'fields',
      (programme) => programme.fields,
      (field, programme) => ({ ...field, programmeId: programme.id }),
      problems,
    ),
    projects: nested(
      data.programmes,
      'projects',
      (programme) => programme.projects,
      (project, programme) => ({ ...project, programmeId: programme.id }),
      problems,
    ),
    policies: top(data.policies, ({ measures: _measures, ...policy }) => policy),
    measures: nested(
      data.policies,
      'measures',
      (policy) => policy.measures,
      (measure, policy) => ({ ...measure, policyId: policy.id }),
      problems,
    ),
    targets: top(data.targets, same),
  };
}

/** The records of the seed files (see locatedSeedRecords). */
export function seedRecords(data: SeedData): Records {
  const located = locatedSeedRecords(data, []);
  const records = <K extends keyof Records>(kind: K) =>
    located[kind].map(({ record }) => record) as Records[K];
  return {
    regions: records('regions'),
    industries: records('industries'),
    chains: records('chains'),
    segments: records('segments'),
    enterprises: records('enterprises'),
    segmentLinks: records('segmentLinks'),
    supplies: records('supplies'),
    platforms: records('platforms'),
    bases: records('bases'),
    programmes: records('programmes'),
    programmeFields: records('programmeFields'),
    projects: records('projects'),
    policies: records('policies'),
    measures: records('measures'),
    targets: records('targets'),
  };
}
