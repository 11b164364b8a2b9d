import type { Provenance, Records } from '../ingest/records.js';
import type { SeedData } from './validate.js';

/** The records nested in each parent, each given the parent's provenance when it has none of its own. */
function nested<P extends { provenance: Provenance }, C extends { provenance?: Provenance | undefined }, R>(
  parents: readonly P[],
  childrenOf: (parent: P) => readonly C[],
  toRecord: (child: C, parent: P) => R,
): (R & { provenance: Provenance })[] {
  return parents.flatMap((parent) =>
    childrenOf(parent).map((child) => ({
      ...toRecord(child, parent),
      provenance: child.provenance ?? parent.provenance,
    })),
  );
}

/**
 * The records of the seed files: the nested shapes taken apart into the record model. A nested record (a segment
 * an enterprise operates in, a customer, a programme's field or project, a policy's measure) without its own
 * provenance takes its parent's; a platform's supportsSegmentIds and supportsIndustryIds are its segmentIds and
 * industryIds.
 */
export function seedRecords(data: SeedData): Records {
  const values = <T>(located: readonly { value: T }[]) => located.map((record) => record.value);
  const enterprises = values(data.enterprises);
  const programmes = values(data.programmes);
  const policies = values(data.policies);
  return {
    regions: values(data.regions),
    industries: values(data.industries),
    chains: values(data.chains),
    segments: values(data.segments),
    enterprises: enterprises.map(({ segments: _segments, supplies: _supplies, ...enterprise }) => enterprise),
    segmentLinks: nested(
      enterprises,
      (enterprise) => enterprise.segments,
      (link, enterprise) => ({ ...link, enterpriseId: enterprise.id }),
    ),
    supplies: nested(
      enterprises,
      (enterprise) => enterprise.supplies,
      ({ enterpriseId, ...supply }, enterprise) => ({
        ...supply,
        supplierId: enterprise.id,
        customerId: enterpriseId,
      }),
    ),
    platforms: values(data.platforms).map(({ supportsSegmentIds, supportsIndustryIds, ...platform }) => ({
      ...platform,
      segmentIds: supportsSegmentIds,
      industryIds: supportsIndustryIds,
    })),
    bases: values(data.bases),
    programmes: programmes.map(({ fields: _fields, projects: _projects, ...programme }) => programme),
    programmeFields: nested(
      programmes,
      (programme) => programme.fields,
      (field, programme) => ({ ...field, programmeId: programme.id }),
    ),
    projects: nested(
      programmes,
      (programme) => programme.projects,
      (project, programme) => ({ ...project, programmeId: programme.id }),
    ),
    policies: policies.map(({ measures: _measures, ...policy }) => policy),
    measures: nested(
      policies,
      (policy) => policy.measures,
      (measure, policy) => ({ ...measure, policyId: policy.id }),
    ),
    targets: values(data.targets),
  };
}
