import { z } from 'zod';

import {
  baseRecord,
  chainRecord,
  enterpriseRecord,
  id,
  industryRecord,
  measureRecord,
  platformRecord,
  policyRecord,
  programmeFieldRecord,
  programmeRecord,
  projectRecord,
  provenanceSchema,
  regionRecord,
  segmentLinkRecord,
  segmentRecord,
  supplyRecord,
  targetRecord,
  termSchema,
  text,
} from '../ingest/records.js';

/**
 * The shapes of the seed files, as documented in seeds/README.md: the record model of src/ingest/records.ts, nested
 * the way a person writes the plan down (an enterprise with its segments and customers, a programme with its fields
 * and projects, a policy with its measures). Unknown fields are errors (typos surface). A nested record without its
 * own provenance takes its parent's; flatten.ts turns these into records.
 */

// The plan names every region, chain and segment in both languages.
export const regionSchema = regionRecord.extend({ nameEn: text });
export const industrySchema = industryRecord;
export const chainSchema = chainRecord.extend({ nameEn: text });
export const segmentSchema = segmentRecord.extend({ nameEn: text });

export const enterpriseSchema = enterpriseRecord.extend({
  // A seed file states every flag (a replace write would otherwise leave a firm without them).
  flags: z.strictObject({
    highTech: z.boolean(),
    leading: z.boolean(),
    listed: z.boolean(),
    specialised: z.boolean(),
  }),
  segments: z
    .array(
      segmentLinkRecord
        .omit({ enterpriseId: true })
        .extend({ mainProducts: z.array(text).default([]), provenance: provenanceSchema.optional() }),
    )
    .default([]),
  supplies: z
    .array(
      supplyRecord.omit({ supplierId: true, customerId: true }).extend({
        enterpriseId: id,
        products: z.array(text).default([]),
        provenance: provenanceSchema.optional(),
      }),
    )
    .default([]),
});

export const platformSchema = platformRecord.omit({ segmentIds: true, industryIds: true }).extend({
  supportsSegmentIds: z.array(id).default([]),
  supportsIndustryIds: z.array(id).default([]),
});

export const baseSchema = baseRecord;

export const programmeSchema = programmeRecord.extend({
  fields: z
    .array(
      programmeFieldRecord.omit({ programmeId: true }).extend({ provenance: provenanceSchema.optional() }),
    )
    .default([]),
  projects: z
    .array(projectRecord.omit({ programmeId: true }).extend({ provenance: provenanceSchema.optional() }))
    .default([]),
});

export const policySchema = policyRecord.extend({
  titleEn: text,
  measures: z.array(
    measureRecord.omit({ policyId: true }).extend({
      titleEn: text,
      // The plan gives every term in both languages.
      terms: z.array(termSchema.extend({ textEn: text })),
      appliesTo: measureRecord.shape.appliesTo.default({
        industryIds: [],
        chainIds: [],
        segmentIds: [],
        programmeIds: [],
      }),
      provenance: provenanceSchema.optional(),
    }),
  ),
});

export const targetSchema = targetRecord;

export type RegionSeed = z.infer<typeof regionSchema>;
export type IndustrySeed = z.infer<typeof industrySchema>;
export type ChainSeed = z.infer<typeof chainSchema>;
export type SegmentSeed = z.infer<typeof segmentSchema>;
export type EnterpriseSeed = z.infer<typeof enterpriseSchema>;
export type PlatformSeed = z.infer<typeof platformSchema>;
export type BaseSeed = z.infer<typeof baseSchema>;
export type ProgrammeSeed = z.infer<typeof programmeSchema>;
export type PolicySeed = z.infer<typeof policySchema>;
export type TargetSeed = z.infer<typeof targetSchema>;
