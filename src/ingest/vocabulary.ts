import {
  FIRM_CONDITION_KIND_VALUES,
  PROJECT_CONDITION_KIND_VALUES,
  PROVENANCE_SOURCES,
} from '../data/model.js';
import { clip } from '../errors.js';

/**
 * The words of the write model, defined once: the id pattern and every enumeration, each with the Chinese labels a
 * spreadsheet may use for it. The record schemas (records.ts), the table columns (columns.ts), the generator and
 * the test graph builder all take them from here.
 */

export const ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** What is wrong with an id, or null when it is one. */
export function idProblem(raw: string): string | null {
  return ID_PATTERN.test(raw)
    ? null
    : `'${clip(raw)}' is not an id (lowercase letters, digits and hyphens, e.g. ent-abc)`;
}

/** An enumeration: the API's values and the Chinese labels that stand for them in a table. */
export interface Vocabulary<T extends string> {
  readonly values: readonly [T, ...T[]];
  readonly labels: Readonly<Record<string, T>>;
}

function vocabulary<const T extends string>(
  values: readonly [T, ...T[]],
  labels: Readonly<Record<string, T>> = {},
): Vocabulary<T> {
  return { values, labels };
}

/** The value a cell names (the API's value in any case, spaces or hyphens for underscores, or a label), or null. */
export function valueOf<T extends string>(vocabulary: Vocabulary<T>, raw: string): T | null {
  const upper = raw.toUpperCase().replace(/[\s-]+/g, '_');
  return vocabulary.values.find((value) => value === upper) ?? vocabulary.labels[raw] ?? null;
}

/** Why a cell names no value of the enumeration, listing the values and labels it could have used. */
export function notOneOf(vocabulary: Vocabulary<string>, raw: string): string {
  const labels = Object.keys(vocabulary.labels);
  return `'${clip(raw)}' is not one of ${vocabulary.values.join(', ')}${labels.length > 0 ? ` (或 ${labels.join('、')})` : ''}`;
}

export const SOURCE = vocabulary(PROVENANCE_SOURCES, {
  规划: 'PLAN',
  公开: 'PUBLIC',
  示例: 'ILLUSTRATIVE',
});
export const REGION_LEVEL = vocabulary([
  'COUNTRY',
  'PROVINCE',
  'MUNICIPALITY',
  'CITY',
  'DISTRICT',
  'COUNTY',
  'NEW_AREA',
]);
/**
 * How complete a region's firm data is: CENSUS (a registry, every firm), LISTED_ONLY (the listed companies only, as
 * the public data pack), PARTIAL (some firms: a curated list, the firms picked as targets). Only under CENSUS does
 * "no recorded firm" mean "no firm" (see src/analytics/basis.ts).
 */
export const DATA_COMPLETENESS = vocabulary(['CENSUS', 'LISTED_ONLY', 'PARTIAL'], {
  全量: 'CENSUS',
  普查: 'CENSUS',
  全部企业: 'CENSUS',
  仅上市公司: 'LISTED_ONLY',
  上市公司: 'LISTED_ONLY',
  部分: 'PARTIAL',
  部分企业: 'PARTIAL',
});
export type DataCompleteness = (typeof DATA_COMPLETENESS.values)[number];
export const INDUSTRY_TIER = vocabulary(['PILLAR', 'CULTIVATED', 'FUTURE', 'ATTRACTION_FIELD']);
export const STAGE = vocabulary(['UPSTREAM', 'MIDSTREAM', 'DOWNSTREAM']);
/** PRODUCT: makes goods that other segments use; SERVICE: serves them (testing, distribution, hospitals…). */
export const SEGMENT_KIND = vocabulary(['PRODUCT', 'SERVICE'], { 产品: 'PRODUCT', 服务: 'SERVICE' });
/** UNKNOWN: no source gives the firm's size (the listed-company list says nothing of it); scored as MICRO. */
export const SIZE_BAND = vocabulary(['LARGE', 'MEDIUM', 'SMALL', 'MICRO', 'UNKNOWN'], {
  大型: 'LARGE',
  中型: 'MEDIUM',
  小型: 'SMALL',
  微型: 'MICRO',
  未知: 'UNKNOWN',
});
export const SEGMENT_ROLE = vocabulary(['CORE', 'SUPPLIER', 'SERVICE'], {
  核心: 'CORE',
  制造: 'CORE',
  供应: 'SUPPLIER',
  配套: 'SUPPLIER',
  服务: 'SERVICE',
});
export const PLATFORM_KIND = vocabulary(
  [
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
  ],
  {
    工程研究中心: 'ENGINEERING_RESEARCH_CENTER',
    企业技术中心: 'ENTERPRISE_TECH_CENTER',
    重点实验室: 'KEY_LABORATORY',
    药物安全性评价: 'DRUG_SAFETY_EVALUATION',
    工业设计中心: 'INDUSTRIAL_DESIGN_CENTER',
    技术创新中心: 'TECH_INNOVATION_CENTER',
    院士工作站: 'ACADEMICIAN_WORKSTATION',
    协同创新平台: 'COLLABORATIVE_INNOVATION',
    科技成果转化平台: 'ACHIEVEMENT_TRANSFER',
    创新团队: 'TALENT_TEAM',
  },
);
export const PLATFORM_LEVEL = vocabulary(['NATIONAL', 'PROVINCIAL', 'MUNICIPAL'], {
  国家级: 'NATIONAL',
  省级: 'PROVINCIAL',
  市级: 'MUNICIPAL',
});
export const BASE_KIND = vocabulary([
  'PROVINCIAL_DEMONSTRATION_BASE',
  'NATIONAL_DEMONSTRATION_ZONE',
  'PLANNED_FIELD',
]);
export const BASE_STATUS = vocabulary(['EXISTING', 'PLANNED']);
export const FIELD_KIND = vocabulary(['SCIENCE_SPECIAL', 'STANDARDS_FOCUS']);
export const COMPARATOR = vocabulary(['AT_LEAST', 'EXACTLY', 'RANGE']);
export const TARGET_PERIOD = vocabulary(['PER_YEAR', 'BY_2020', '2018_2020']);
export const TARGET_METRIC = vocabulary([
  'HIGH_TECH_ENTERPRISES',
  'LEADING_ENTERPRISES',
  'ACADEMICIAN_WORKSTATIONS',
  'PROVINCIAL_OR_HIGHER_PLATFORMS',
  'INDUSTRIAL_DESIGN_CENTERS',
  'COLLABORATIVE_INNOVATION_PLATFORMS',
  'ACHIEVEMENT_TRANSFER_PLATFORMS',
  'PROVINCIAL_DEMONSTRATION_BASES',
]);

/** Who ultimately controls a listed company (实际控制人的类型), as the exchanges' data (Tushare act_ent_type) says. */
export const OWNERSHIP = vocabulary(
  ['CENTRAL_SOE', 'LOCAL_SOE', 'PRIVATE', 'FOREIGN', 'COLLECTIVE', 'UNIVERSITY', 'NO_CONTROLLER'],
  {
    中央国企: 'CENTRAL_SOE',
    地方国企: 'LOCAL_SOE',
    民营企业: 'PRIVATE',
    外资企业: 'FOREIGN',
    集体企业: 'COLLECTIVE',
    校办企业: 'UNIVERSITY',
    无: 'NO_CONTROLLER',
  },
);
/**
 * What a condition of a policy measure (who it is for) asks of a firm or its project: see src/analytics/incentives.ts.
 * IN_SCOPE, SEGMENT, REGION, OWNERSHIP, LISTED, FORTUNE_GLOBAL_500 and SIZE_BAND ask about the firm (decided from the
 * graph, or not known); FOREIGN_CAPITAL_AT_LEAST and PROJECT ask about an investment not yet made (never decided).
 */
export const CONDITION_KIND = vocabulary([...FIRM_CONDITION_KIND_VALUES, ...PROJECT_CONDITION_KIND_VALUES]);
/** The board a company is listed on. */
export const MARKET = vocabulary(['MAIN_BOARD', 'CHINEXT', 'STAR', 'BSE'], {
  主板: 'MAIN_BOARD',
  创业板: 'CHINEXT',
  科创板: 'STAR',
  北交所: 'BSE',
});
/** The industry classification a company's industry comes from. */
export const INDUSTRY_SCHEME = vocabulary(['SW2021', 'TUSHARE'], { 申万2021: 'SW2021' });
/**
 * What a firm's presence in a segment (OPERATES_IN) rests on: STATED — a source names the firm's business in the
 * segment (the plan, the firm's disclosures, a cited public fact); INDUSTRY_CLASSIFICATION — derived only from the
 * firm's industry class through the reviewed mapping table, so nobody takes it for product evidence.
 */
export const LINK_BASIS = vocabulary(['STATED', 'INDUSTRY_CLASSIFICATION'], {
  明确: 'STATED',
  行业分类: 'INDUSTRY_CLASSIFICATION',
});
/** The kind of document a supply link rests on. */
export const EVIDENCE_KIND = vocabulary(['PROSPECTUS', 'ANNUAL_REPORT', 'TENDER', 'RELATED_PARTY', 'NEWS'], {
  招股说明书: 'PROSPECTUS',
  年报: 'ANNUAL_REPORT',
  招标: 'TENDER',
  关联交易: 'RELATED_PARTY',
  新闻: 'NEWS',
});
