import { z } from 'zod';

import { CONTACT_FIELDS, type ContactField } from '../data/contact.js';
import { FIRM_CONDITION_KINDS } from '../data/model.js';
import { contactProblem } from './contact.js';
import { creditCodeProblem } from './creditCode.js';
import {
  BASE_KIND,
  BASE_STATUS,
  COMPARATOR,
  CONDITION_KIND,
  DATA_COMPLETENESS,
  EVIDENCE_KIND,
  FIELD_KIND,
  idProblem,
  INDUSTRY_SCHEME,
  INDUSTRY_TIER,
  LINK_BASIS,
  MARKET,
  notOneOf,
  OWNERSHIP,
  PLATFORM_KIND,
  PLATFORM_LEVEL,
  REGION_LEVEL,
  SEGMENT_KIND,
  SEGMENT_ROLE,
  SIZE_BAND,
  SOURCE,
  STAGE,
  TARGET_METRIC,
  TARGET_PERIOD,
  valueOf,
  type Vocabulary,
} from './vocabulary.js';

/**
 * The record model: one schema per kind of fact the graph holds, flat, each with its provenance. Every writer ends in
 * these records: the seed files (nested; src/seed/ flattens them), the import tables (src/import/), the generator
 * and the test graph builder. toBatches() (batches.ts) maps them to node and relationship batches; references.ts
 * checks what they point to. The checks of single values (ids, credit codes, contact details, the PLAN section) are
 * here and nowhere else, so a value is accepted or refused with the same words whichever way it comes in.
 */

/** A check of a value's shape as a zod refinement: the check's own words become the issue's message. */
const checked = <T extends z.ZodType<string>>(schema: T, problemOf: (value: string) => string | null) =>
  schema.superRefine((value, context) => {
    const problem = problemOf(value);
    if (problem !== null) context.addIssue({ code: 'custom', message: problem });
  });

export const id = checked(z.string(), idProblem);

/**
 * A value of an enumeration, taken as an import's cell is (the value in any case, or one of its Chinese labels), and
 * refused with the same words (notOneOf): a seed file and a table accept and refuse the same values alike.
 */
export const oneOf = <T extends string>(vocabulary: Vocabulary<T>) =>
  z.preprocess(
    (raw) => (typeof raw === 'string' ? (valueOf(vocabulary, raw) ?? raw) : raw),
    z.enum(vocabulary.values, {
      error: (issue) =>
        issue.input === undefined
          ? undefined
          : notOneOf(vocabulary, typeof issue.input === 'string' ? issue.input : JSON.stringify(issue.input)),
    }),
  );

export const text = z.string().trim().min(1, { message: 'must not be empty' });
const optionalText = text.optional();
const ids = z.array(id);

/**
 * The provenance rule: a PLAN fact names the section of the plan it comes from, in the same words for a seed's
 * provenance.section and a table's section column.
 */
export const PLAN_NEEDS_SECTION = 'a PLAN fact needs the plan section it comes from';
/** Nothing supplies itself. */
export const SELF_SUPPLY = 'an enterprise cannot supply itself';

export const provenanceSchema = z
  .strictObject({
    source: oneOf(SOURCE),
    section: optionalText,
    note: optionalText,
  })
  .refine((value) => value.source !== 'PLAN' || value.section !== undefined, {
    message: PLAN_NEEDS_SECTION,
    path: ['section'],
  });
export type Provenance = z.infer<typeof provenanceSchema>;

/** A unified social credit code, with its check character (GB 32100-2015). */
export const creditCode = checked(text, creditCodeProblem);

/** One contact field: non-empty text of the field's shape (an http(s) URL, a phone number, an email address …). */
const contactValue = (field: ContactField) =>
  checked(text, (value) => (value === '' ? null : contactProblem(field, value))).optional();

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

/** A stock code with its exchange suffix. */
export const stockCode = z
  .string()
  .regex(/^\d{6}\.(SH|SZ|BJ)$/, { message: 'must be six digits and .SH, .SZ or .BJ, e.g. 600812.SH' });

/** A calendar date, YYYY-MM-DD. */
export const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date YYYY-MM-DD' });

/* Regions, chains and segments may lack an English name (test graphs have none); the seed files give one. */
export const regionRecord = z.strictObject({
  id,
  name: text,
  nameEn: optionalText,
  level: oneOf(REGION_LEVEL),
  /** The GB/T 2260 administrative division code (130100 for 石家庄市); unique. */
  code: z
    .string()
    .regex(/^\d{6}$/, { message: 'must be a six-digit GB/T 2260 code' })
    .optional(),
  parentId: id.optional(),
  coordinates: z
    .strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) })
    .optional(),
  /** How complete its firm data is; absent: as its nearest ancestor that declares it, else PARTIAL. */
  completeness: oneOf(DATA_COMPLETENESS).optional(),
  provenance: provenanceSchema,
});

export const industryRecord = z.strictObject({
  id,
  name: text,
  nameEn: text,
  tier: oneOf(INDUSTRY_TIER),
  specialAction: z.boolean().optional(),
  provenance: provenanceSchema,
});

export const chainRecord = z.strictObject({
  id,
  name: text,
  nameEn: optionalText,
  description: optionalText,
  /** Other words people use for the chain (新能源车, 电动车): search finds the chain by them. */
  synonyms: z.array(text).optional(),
  industryIds: ids,
  provenance: provenanceSchema,
});

/** A link to another record: a bare id inherits the record's provenance, an object may carry its own. */
const feedSchema = z.union([id, z.strictObject({ segmentId: id, provenance: provenanceSchema.optional() })]);

export const segmentRecord = z.strictObject({
  id,
  chainId: id,
  name: text,
  nameEn: optionalText,
  stage: oneOf(STAGE),
  /** SERVICE segments do not pass supply dependence on (src/analytics/feasibility.ts); absent = PRODUCT. */
  kind: oneOf(SEGMENT_KIND).optional(),
  parentId: id.optional(),
  description: optionalText,
  /** Other words people use for the segment (锂电池, 新能源车): search finds the segment by them. */
  synonyms: z.array(text).optional(),
  feeds: z.array(feedSchema).default([]),
  provenance: provenanceSchema,
});

const flag = z.boolean();

/**
 * An enterprise. A flag left out is not known: a new firm starts with it false and a merge keeps what is stored
 * (the seed files give all four).
 */
export const enterpriseRecord = z.strictObject({
  id,
  name: text,
  nameEn: optionalText,
  regionId: id,
  sizeBand: oneOf(SIZE_BAND),
  flags: z.strictObject({
    highTech: flag.optional(),
    leading: flag.optional(),
    listed: flag.optional(),
    specialised: flag.optional(),
  }),
  creditCode: creditCode.optional(),
  /** The stock code with its exchange suffix (600812.SH, 002603.SZ, 830964.BJ); unique. */
  stockCode: stockCode.optional(),
  /** The short name (简称) a listed company trades under, e.g. 华北制药. */
  shortName: optionalText,
  /** Names the company was registered or listed under before (新诺威 for 石药创新制药); search finds them. */
  formerNames: z.array(text).optional(),
  /** Other names people use for it (中电科13所 …); search finds them. */
  aliases: z.array(text).optional(),
  /** Listed companies: who controls it, the board and the listing date, as the exchanges publish them. */
  ownership: oneOf(OWNERSHIP).optional(),
  controller: optionalText,
  market: oneOf(MARKET).optional(),
  listedOn: isoDate.optional(),
  /**
   * In the Fortune Global 500 (世界500强), as a cited source says; left out, not known (never assumed false): the
   * measures for Fortune Global 500 investors are then offered only conditionally.
   */
  fortuneGlobal500: flag.optional(),
  /** The company's industry in a published classification (申万 2021 level 3, or Tushare's for later listings). */
  industryClass: z
    .strictObject({ scheme: oneOf(INDUSTRY_SCHEME), code: optionalText, name: text })
    .optional(),
  /**
   * Operating revenue (营业收入) and gross industrial output value (工业总产值), in million CNY, of the year
   * `figuresYear`. Optional: give them only from a cited source (an annual report, a statistics yearbook). Revenue,
   * when every listed firm has it, is what the location quotient weighs firms by (src/analytics/scale.ts).
   */
  revenueCnyMillion: z.number().finite().min(0).max(100_000_000).optional(),
  outputCnyMillion: z.number().finite().min(0).max(100_000_000).optional(),
  /** The financial year the revenue and output figures are for. */
  figuresYear: z.number().int().min(1980).max(2100).optional(),
  /** The group company that controls it (SUBSIDIARY_OF), with the source that says so. */
  parent: z.strictObject({ enterpriseId: id, provenance: provenanceSchema }).optional(),
  description: optionalText,
  /** Who to call; only authenticated API callers can read it. Never invent one for a real (PLAN/PUBLIC) firm. */
  contact: contactSchema.optional(),
  provenance: provenanceSchema,
});

/** An enterprise operating in a chain segment (OPERATES_IN), with its role and main products. */
export const segmentLinkRecord = z.strictObject({
  enterpriseId: id,
  segmentId: id,
  role: oneOf(SEGMENT_ROLE),
  mainProducts: z.array(text).optional(),
  /** What the link rests on; left out, STATED. */
  basis: oneOf(LINK_BASIS).optional(),
  provenance: provenanceSchema,
});

/** A supplier selling to a customer (SUPPLIES). */
export const supplyRecord = z.strictObject({
  supplierId: id,
  customerId: id,
  products: z.array(text).optional(),
  /** The document that shows the supply; a PUBLIC link needs one (references.ts). */
  evidence: z
    .strictObject({
      kind: oneOf(EVIDENCE_KIND),
      title: text,
      year: z.number().int().min(1980).max(2100),
      url: optionalText,
    })
    .optional(),
  provenance: provenanceSchema,
});

export const platformRecord = z.strictObject({
  id,
  name: text,
  nameEn: optionalText,
  kind: oneOf(PLATFORM_KIND),
  level: oneOf(PLATFORM_LEVEL),
  regionId: id,
  hostEnterpriseId: id.optional(),
  hostOrganisation: optionalText,
  /** The segments and industries it supports (the seed files call them supportsSegmentIds, supportsIndustryIds). */
  segmentIds: ids.default([]),
  industryIds: ids.default([]),
  provenance: provenanceSchema,
});

export const baseRecord = z.strictObject({
  id,
  name: text,
  nameEn: text,
  kind: oneOf(BASE_KIND),
  status: oneOf(BASE_STATUS),
  regionId: id.optional(),
  focusIndustryIds: ids.default([]),
  provenance: provenanceSchema,
});

const quantitySchema = z.strictObject({
  value: z.number(),
  valueMax: z.number().optional(),
  unit: text,
  period: text,
  description: text,
});

export const programmeRecord = z.strictObject({
  id,
  number: z.number().int().positive(),
  name: text,
  nameEn: text,
  description: optionalText,
  quantities: z.array(quantitySchema).default([]),
  chainIds: ids.default([]),
  industryIds: ids.default([]),
  provenance: provenanceSchema,
});

/** A field of a programme (科技专项, 标准 …). */
export const programmeFieldRecord = z.strictObject({
  id,
  programmeId: id,
  name: text,
  nameEn: text,
  kind: oneOf(FIELD_KIND),
  provenance: provenanceSchema,
});

/** A project under a programme, with the enterprises that undertake it and the segments it is in. */
export const projectRecord = z.strictObject({
  id,
  programmeId: id,
  name: text,
  nameEn: text,
  enterpriseIds: ids.default([]),
  segmentIds: ids.default([]),
  provenance: provenanceSchema,
});

export const policyRecord = z.strictObject({
  id,
  title: text,
  titleEn: optionalText,
  issuer: text,
  period: text,
  /** The region the policy governs; its targets are counted there. */
  regionId: id.optional(),
  provenance: provenanceSchema,
});

/** One term of a measure. Its English text is there only when a source gives one; it is never made up. */
export const termSchema = z.strictObject({
  text,
  textEn: optionalText,
  value: z.number().optional(),
  unit: optionalText,
});

/**
 * Bounds on a measure's conditions, so that the API can price them (src/graphql/cost.ts): the plan's richest
 * measure, 四(六), needs four clauses of at most three conditions.
 */
export const MAX_MEASURE_CLAUSES = 5;
export const MAX_CLAUSE_CONDITIONS = 4;
export const MAX_CLAUSE_TERMS = 6;
export const MAX_CONDITION_IDS = 10;

/**
 * One condition of a measure: what it asks of a firm (IN_SCOPE, SEGMENT, REGION, OWNERSHIP, LISTED,
 * FORTUNE_GLOBAL_500, SIZE_BAND) or of its project (FOREIGN_CAPITAL_AT_LEAST, PROJECT). Each kind takes its own
 * parameter and no other; `text` / `textEn` word it (required for PROJECT, which nothing else describes).
 */
export const measureConditionSchema = z
  .strictObject({
    kind: oneOf(CONDITION_KIND),
    segmentIds: ids.min(1).max(MAX_CONDITION_IDS).optional(),
    regionIds: ids.min(1).max(MAX_CONDITION_IDS).optional(),
    ownership: z.array(oneOf(OWNERSHIP)).min(1).optional(),
    sizeBands: z.array(oneOf(SIZE_BAND)).min(1).optional(),
    usdMillion: z.number().positive().optional(),
    text: optionalText,
    textEn: optionalText,
  })
  .superRefine((condition, context) => {
    const needs: Partial<Record<string, string>> = {
      SEGMENT: 'segmentIds',
      REGION: 'regionIds',
      OWNERSHIP: 'ownership',
      SIZE_BAND: 'sizeBands',
      FOREIGN_CAPITAL_AT_LEAST: 'usdMillion',
      PROJECT: 'text',
    };
    const wanted = needs[condition.kind];
    for (const parameter of ['segmentIds', 'regionIds', 'ownership', 'sizeBands', 'usdMillion'] as const) {
      const given = condition[parameter] !== undefined;
      if (parameter === wanted && !given)
        context.addIssue({
          code: 'custom',
          path: [parameter],
          message: `a ${condition.kind} condition needs ${parameter}`,
        });
      if (parameter !== wanted && given)
        context.addIssue({
          code: 'custom',
          path: [parameter],
          message: `a ${condition.kind} condition takes no ${parameter}`,
        });
    }
    if (wanted === 'text' && condition.text === undefined)
      context.addIssue({
        code: 'custom',
        path: ['text'],
        message: 'a PROJECT condition needs text saying what the project must be',
      });
  });

/**
 * One way to qualify for a measure: all of its conditions, as the plan words them in the given terms (1-based term
 * numbers of the measure). At least one condition is on the firm: a clause that asked only about a future project
 * would offer the measure to every firm on a maybe.
 */
export const eligibilityClauseSchema = z
  .strictObject({
    terms: z.array(z.number().int().positive()).max(MAX_CLAUSE_TERMS).default([]),
    conditions: z.array(measureConditionSchema).min(1).max(MAX_CLAUSE_CONDITIONS),
  })
  .refine((clause) => clause.conditions.some((condition) => FIRM_CONDITION_KINDS.has(condition.kind)), {
    message:
      'a clause needs at least one condition on the firm (IN_SCOPE, SEGMENT, REGION, OWNERSHIP, LISTED, FORTUNE_GLOBAL_500 or SIZE_BAND)',
    path: ['conditions'],
  });

export type MeasureCondition = z.infer<typeof measureConditionSchema>;
export type EligibilityClause = z.infer<typeof eligibilityClauseSchema>;

export const measureRecord = z.strictObject({
  id,
  policyId: id,
  number: z.number().int().positive(),
  title: text,
  titleEn: optionalText,
  /** Left out (a table without a terms column): a merge keeps the stored terms. */
  terms: z.array(termSchema).optional(),
  appliesTo: z.strictObject({
    industryIds: ids.default([]),
    chainIds: ids.default([]),
    segmentIds: ids.default([]),
    programmeIds: ids.default([]),
  }),
  /**
   * Whether the measure can be offered to a firm at all (false: an internal one, such as a leading group or
   * supervision). Left out: a new measure is offerable, a merge keeps what is stored.
   */
  offerable: z.boolean().optional(),
  /**
   * Who it is for: any one of these clauses. Left out: a merge keeps what is stored; a new measure has none, which
   * means every firm in its scope qualifies (it records no further condition).
   */
  eligibility: z.array(eligibilityClauseSchema).max(MAX_MEASURE_CLAUSES).optional(),
  provenance: provenanceSchema,
});

export const targetRecord = z
  .strictObject({
    id,
    name: text,
    nameEn: text,
    value: z.number(),
    valueMax: z.number().optional(),
    unit: text,
    comparator: oneOf(COMPARATOR),
    period: oneOf(TARGET_PERIOD),
    metric: oneOf(TARGET_METRIC).optional(),
    programmeId: id.optional(),
    policyId: id.optional(),
    provenance: provenanceSchema,
  })
  .refine((target) => target.comparator !== 'RANGE' || (target.valueMax ?? -Infinity) >= target.value, {
    message: 'a RANGE target needs valueMax ≥ value',
    path: ['valueMax'],
  });

export type RegionRecord = z.infer<typeof regionRecord>;
export type IndustryRecord = z.infer<typeof industryRecord>;
export type ChainRecord = z.infer<typeof chainRecord>;
export type SegmentRecord = z.infer<typeof segmentRecord>;
export type EnterpriseRecord = z.infer<typeof enterpriseRecord>;
export type SegmentLinkRecord = z.infer<typeof segmentLinkRecord>;
export type SupplyRecord = z.infer<typeof supplyRecord>;
export type PlatformRecord = z.infer<typeof platformRecord>;
export type BaseRecord = z.infer<typeof baseRecord>;
export type ProgrammeRecord = z.infer<typeof programmeRecord>;
export type ProgrammeFieldRecord = z.infer<typeof programmeFieldRecord>;
export type ProjectRecord = z.infer<typeof projectRecord>;
export type PolicyRecord = z.infer<typeof policyRecord>;
export type MeasureRecord = z.infer<typeof measureRecord>;
export type TargetRecord = z.infer<typeof targetRecord>;

/** Every kind of record, by name: what a load is made of. */
export interface Records {
  readonly regions: readonly RegionRecord[];
  readonly industries: readonly IndustryRecord[];
  readonly chains: readonly ChainRecord[];
  readonly segments: readonly SegmentRecord[];
  readonly enterprises: readonly EnterpriseRecord[];
  readonly segmentLinks: readonly SegmentLinkRecord[];
  readonly supplies: readonly SupplyRecord[];
  readonly platforms: readonly PlatformRecord[];
  readonly bases: readonly BaseRecord[];
  readonly programmes: readonly ProgrammeRecord[];
  readonly programmeFields: readonly ProgrammeFieldRecord[];
  readonly projects: readonly ProjectRecord[];
  readonly policies: readonly PolicyRecord[];
  readonly measures: readonly MeasureRecord[];
  readonly targets: readonly TargetRecord[];
}
