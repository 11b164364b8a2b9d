import { z } from 'zod';

import { CONTACT_FIELDS, type ContactField } from '../data/contact.js';
import { PROVENANCE_SOURCES } from '../data/model.js';
import { contactProblem } from '../import/contact.js';

/** The shapes of the seed files, as documented in seeds/README.md. Unknown fields are errors (typos surface). */

const id = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, {
  message: 'expected a lowercase kebab-case id such as ic-photoresist',
});
const text = z.string().trim().min(1, { message: 'must not be empty' });
const optionalText = text.optional();

export const provenanceSchema = z
  .strictObject({
    source: z.enum(PROVENANCE_SOURCES),
    section: optionalText,
    note: optionalText,
  })
  .refine((value) => value.source !== 'PLAN' || value.section !== undefined, {
    message: "a PLAN fact needs its plan 'section', for example 三(一)",
    path: ['section'],
  });
export type SeedProvenance = z.infer<typeof provenanceSchema>;

export const REGION_LEVELS = [
  'COUNTRY',
  'PROVINCE',
  'MUNICIPALITY',
  'CITY',
  'DISTRICT',
  'COUNTY',
  'NEW_AREA',
] as const;
export const INDUSTRY_TIERS = ['PILLAR', 'CULTIVATED', 'FUTURE', 'ATTRACTION_FIELD'] as const;
export const STAGES = ['UPSTREAM', 'MIDSTREAM', 'DOWNSTREAM'] as const;
export const SIZE_BANDS = ['LARGE', 'MEDIUM', 'SMALL', 'MICRO'] as const;
export const SEGMENT_ROLES = ['CORE', 'SUPPLIER', 'SERVICE'] as const;
export const PLATFORM_KINDS = [
  'ENGINEERING_RESEARCH_CENTER',
  'ENTERPRISE_TECH_CENTER',
  'KEY_LABORATORY',
  'DRUG_SAFETY_EVALUATION',
  'INDUSTRIAL_DESIGN_CENTER',
  'TECH_INNOVATION_CENTER',
  'ACADEMICIAN_WORKSTATION',
  'COLLABORATIVE_INNOVATION',
  'ACHIEVEMENT_TRANSFER',
  'TALENT_TEAM',
] as const;
export const PLATFORM_LEVELS = ['NATIONAL', 'PROVINCIAL', 'MUNICIPAL'] as const;
export const BASE_KINDS = [
  'PROVINCIAL_DEMONSTRATION_BASE',
  'NATIONAL_DEMONSTRATION_ZONE',
  'PLANNED_FIELD',
] as const;
export const BASE_STATUSES = ['EXISTING', 'PLANNED'] as const;
export const FIELD_KINDS = ['SCIENCE_SPECIAL', 'STANDARDS_FOCUS'] as const;
export const COMPARATORS = ['AT_LEAST', 'EXACTLY', 'RANGE'] as const;
export const TARGET_PERIODS = ['PER_YEAR', 'BY_2020', '2018_2020'] as const;
export const TARGET_METRICS = [
  'HIGH_TECH_ENTERPRISES',
  'LEADING_ENTERPRISES',
  'ACADEMICIAN_WORKSTATIONS',
  'PROVINCIAL_OR_HIGHER_PLATFORMS',
  'INDUSTRIAL_DESIGN_CENTERS',
  'COLLABORATIVE_INNOVATION_PLATFORMS',
  'ACHIEVEMENT_TRANSFER_PLATFORMS',
  'PROVINCIAL_DEMONSTRATION_BASES',
] as const;

/** A link to another record: a bare id inherits the record's provenance, an object may carry its own. */
const linkSchema = z.union([id, z.strictObject({ segmentId: id, provenance: provenanceSchema.optional() })]);

export const regionSchema = z.strictObject({
  id,
  name: text,
  nameEn: text,
  level: z.enum(REGION_LEVELS),
  parentId: id.optional(),
  coordinates: z
    .strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) })
    .optional(),
  provenance: provenanceSchema,
});

export const industrySchema = z.strictObject({
  id,
  name: text,
  nameEn: text,
  tier: z.enum(INDUSTRY_TIERS),
  specialAction: z.boolean().optional(),
  provenance: provenanceSchema,
});

export const chainSchema = z.strictObject({
  id,
  name: text,
  nameEn: text,
  description: optionalText,
  industryIds: z.array(id),
  provenance: provenanceSchema,
});

export const segmentSchema = z.strictObject({
  id,
  chainId: id,
  name: text,
  nameEn: text,
  stage: z.enum(STAGES),
  parentId: id.optional(),
  description: optionalText,
  feeds: z.array(linkSchema).default([]),
  provenance: provenanceSchema,
});

/** One contact field: non-empty text of the field's shape (an http(s) URL, a phone number, an email address …). */
const contactValue = (field: ContactField) =>
  text
    .superRefine((value, context) => {
      // An empty value is already reported as such.
      const problem = value === '' ? null : contactProblem(field, value);
      if (problem !== null) context.addIssue({ code: 'custom', message: problem });
    })
    .optional();

export const contactSchema = z
  .strictObject({
    website: contactValue('website'),
    phone: contactValue('phone'),
    email: contactValue('email'),
    address: contactValue('address'),
    person: contactValue('person'),
  })
  .refine((contact) => CONTACT_FIELDS.some((field) => contact[field] !== undefined), {
    message: `give at least one of ${CONTACT_FIELDS.join(', ')}, or leave contact out`,
  });

export const enterpriseSchema = z.strictObject({
  id,
  name: text,
  nameEn: optionalText,
  regionId: id,
  sizeBand: z.enum(SIZE_BANDS),
  flags: z.strictObject({
    highTech: z.boolean(),
    leading: z.boolean(),
    listed: z.boolean(),
    specialised: z.boolean(),
  }),
  creditCode: optionalText,
  description: optionalText,
  /** Who to call; only authenticated API callers can read it. Never invent one for a real (PLAN/PUBLIC) firm. */
  contact: contactSchema.optional(),
  segments: z
    .array(
      z.strictObject({
        segmentId: id,
        role: z.enum(SEGMENT_ROLES),
        mainProducts: z.array(text).default([]),
        provenance: provenanceSchema.optional(),
      }),
    )
    .default([]),
  supplies: z
    .array(
      z.strictObject({
        enterpriseId: id,
        products: z.array(text).default([]),
        provenance: provenanceSchema.optional(),
      }),
    )
    .default([]),
  provenance: provenanceSchema,
});

export const platformSchema = z.strictObject({
  id,
  name: text,
  nameEn: optionalText,
  kind: z.enum(PLATFORM_KINDS),
  level: z.enum(PLATFORM_LEVELS),
  regionId: id,
  hostEnterpriseId: id.optional(),
  hostOrganisation: optionalText,
  supportsSegmentIds: z.array(id).default([]),
  supportsIndustryIds: z.array(id).default([]),
  provenance: provenanceSchema,
});

export const baseSchema = z.strictObject({
  id,
  name: text,
  nameEn: text,
  kind: z.enum(BASE_KINDS),
  status: z.enum(BASE_STATUSES),
  regionId: id.optional(),
  focusIndustryIds: z.array(id).default([]),
  provenance: provenanceSchema,
});

const quantitySchema = z.strictObject({
  value: z.number(),
  valueMax: z.number().optional(),
  unit: text,
  period: text,
  description: text,
});

export const programmeSchema = z.strictObject({
  id,
  number: z.number().int().positive(),
  name: text,
  nameEn: text,
  description: optionalText,
  quantities: z.array(quantitySchema).default([]),
  fields: z
    .array(
      z.strictObject({
        id,
        name: text,
        nameEn: text,
        kind: z.enum(FIELD_KINDS),
        provenance: provenanceSchema.optional(),
      }),
    )
    .default([]),
  projects: z
    .array(
      z.strictObject({
        id,
        name: text,
        nameEn: text,
        enterpriseIds: z.array(id).default([]),
        segmentIds: z.array(id).default([]),
        provenance: provenanceSchema.optional(),
      }),
    )
    .default([]),
  chainIds: z.array(id).default([]),
  industryIds: z.array(id).default([]),
  provenance: provenanceSchema,
});

export const policySchema = z.strictObject({
  id,
  title: text,
  titleEn: text,
  issuer: text,
  period: text,
  /** The region the policy governs; its targets are counted there. */
  regionId: id.optional(),
  measures: z.array(
    z.strictObject({
      id,
      number: z.number().int().positive(),
      title: text,
      titleEn: text,
      terms: z.array(
        z.strictObject({ text, textEn: text, value: z.number().optional(), unit: optionalText }),
      ),
      appliesTo: z
        .strictObject({
          industryIds: z.array(id).default([]),
          chainIds: z.array(id).default([]),
          segmentIds: z.array(id).default([]),
          programmeIds: z.array(id).default([]),
        })
        .default({ industryIds: [], chainIds: [], segmentIds: [], programmeIds: [] }),
      provenance: provenanceSchema.optional(),
    }),
  ),
  provenance: provenanceSchema,
});

export const targetSchema = z
  .strictObject({
    id,
    name: text,
    nameEn: text,
    value: z.number(),
    valueMax: z.number().optional(),
    unit: text,
    comparator: z.enum(COMPARATORS),
    period: z.enum(TARGET_PERIODS),
    metric: z.enum(TARGET_METRICS).optional(),
    programmeId: id.optional(),
    policyId: id.optional(),
    provenance: provenanceSchema,
  })
  .refine((target) => target.comparator !== 'RANGE' || (target.valueMax ?? -Infinity) >= target.value, {
    message: 'a RANGE target needs valueMax ≥ value',
    path: ['valueMax'],
  });

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
