import type { Records } from '../ingest/records.js';
import type { SeedData } from './validate.js';

/**
 * The records of the seed files: the nested shapes taken apart into the record model. A nested record (a segment
 * an enterprise operates in, a customer, a feed, a programme's field or project, a policy's measure) without its own
 * provenance takes its parent's.
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
    segmentLinks: enterprises.flatMap((enterprise) =>
      enterprise.segments.map((link) => ({
        ...link,
        enterpriseId: enterprise.id,
        provenance: link.provenance ?? enterprise.provenance,
      })),
    ),
    supplies: enterprises.flatMap((enterprise) =>
      enterprise.supplies.map(({ enterpriseId, ...supply }) => ({
        ...supply,
        supplierId: enterprise.id,
        customerId: enterpriseId,
        provenance: supply.provenance ?? enterprise.provenance,
      })),
    ),
    platforms: values(data.platforms).map(({ supportsSegmentIds, supportsIndustryIds, ...platform }) => ({
      ...platform,
      segmentIds: supportsSegmentIds,
      industryIds: supportsIndustryIds,
    })),
    bases: values(data.bases),
    programmes: programmes.map(({ fields: _fields, projects: _projects, ...programme }) => programme),
    programmeFields: programmes.flatMap((programme) =>
      programme.fields.map((field) => ({
        ...field,
        programmeId: programme.id,
        provenance: field.provenance ?? programme.provenance,
      })),
    ),
    projects: programmes.flatMap((programme) =>
      programme.projects.map((project) => ({
        ...project,
        programmeId: programme.id,
        provenance: project.provenance ?? programme.provenance,
      })),
    ),
    policies: policies.map(({ measures: _measures, ...policy }) => policy),
    measures: policies.flatMap((policy) =>
      policy.measures.map((measure) => ({
        ...measure,
        policyId: policy.id,
        provenance: measure.provenance ?? policy.provenance,
      })),
    ),
    targets: values(data.targets),
  };
}
