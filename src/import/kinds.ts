import type { ContactField } from '../data/contact.js';
import { clip } from '../errors.js';
import { contactProblem } from '../ingest/contact.js';
import { creditCodeProblem } from '../ingest/creditCode.js';
import type {
  EnterpriseRecord,
  MeasureRecord,
  RegionRecord,
  PlatformRecord,
  Provenance,
  Records,
  SegmentLinkRecord,
  SupplyRecord,
} from '../ingest/records.js';
import {
  DATA_COMPLETENESS,
  EVIDENCE_KIND,
  idProblem,
  notOneOf,
  PLATFORM_KIND,
  PLATFORM_LEVEL,
  REGION_LEVEL,
  SEGMENT_ROLE,
  SIZE_BAND,
  SOURCE,
  valueOf,
  type Vocabulary,
} from '../ingest/vocabulary.js';

/**
 * What a team's spreadsheets may hold, kind by kind: each column with its English and Chinese headers and a parser
 * that either gives the value or says exactly what is wrong with the cell. The values and their checks are the
 * record model's (src/ingest/vocabulary.ts, records.ts); records.ts in this folder maps a row to its records.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };
export type Parser<T> = (raw: string) => Parsed<T>;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (error: string): Parsed<never> => ({ ok: false, error });

export const text: Parser<string> = (raw) => ok(raw);

export const id: Parser<string> = (raw) => {
  const problem = idProblem(raw);
  return problem === null ? ok(raw) : fail(problem);
};

const TRUE = new Set(['true', '1', 'yes', 'y', '是', '有', '√']);
const FALSE = new Set(['false', '0', 'no', 'n', '否', '无', '×']);
export const boolean: Parser<boolean> = (raw) => {
  const value = raw.toLowerCase();
  if (TRUE.has(value)) return ok(true);
  if (FALSE.has(value)) return ok(false);
  return fail(`'${clip(raw)}' is not yes or no (true/false, 1/0, 是/否)`);
};

export const integer: Parser<number> = (raw) =>
  /^-?\d+$/.test(raw) && Number.isSafeInteger(Number(raw))
    ? ok(Number(raw))
    : fail(`'${clip(raw)}' is not a whole number`);

/**
 * An amount in million CNY (营业收入, 工业总产值): a non-negative decimal, thousands separators allowed (1,234.5),
 * at most 100,000,000 (the largest Chinese firm's yearly revenue is some 3,000,000).
 */
export const millionCny: Parser<number> = (raw) => {
  const plain = raw.replace(/[,，]/g, '');
  const value = Number(plain);
  return /^\d+(\.\d+)?$/.test(plain) && value <= 100_000_000
    ? ok(value)
    : fail(`'${clip(raw)}' is not an amount in million CNY (a number from 0 to 100000000, e.g. 1234.5)`);
};

/** A calendar year from 1980 to 2100. */
export const year: Parser<number> = (raw) =>
  /^\d{4}$/.test(raw) && Number(raw) >= 1980 && Number(raw) <= 2100
    ? ok(Number(raw))
    : fail(`'${clip(raw)}' is not a year from 1980 to 2100`);

/** A list in one cell: items separated by ; ； 、 or |. */
export const list: Parser<string[]> = (raw) =>
  ok(
    raw
      .split(/[;；、|]/)
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

export const idList: Parser<string[]> = (raw) => {
  const items = (list(raw) as { ok: true; value: string[] }).value;
  const bad = items.find((item) => !id(item).ok);
  return bad === undefined ? ok(items) : fail(`'${clip(bad)}' is not an id`);
};

/** An enumeration, accepting the API's value (any case) or a Chinese label. */
export function enumeration<T extends string>(vocabulary: Vocabulary<T>): Parser<T> {
  return (raw) => {
    const found = valueOf(vocabulary, raw);
    return found === null ? fail(notOneOf(vocabulary, raw)) : ok(found);
  };
}

export const creditCode: Parser<string> = (raw) => {
  const code = raw.toUpperCase();
  const problem = creditCodeProblem(code);
  return problem === null ? ok(code) : fail(problem);
};

/** A contact field, checked as the seed files check it (an http(s) URL, a phone number, an email address …). */
export function contact(field: ContactField): Parser<string> {
  return (raw) => {
    const problem = contactProblem(field, raw);
    return problem === null ? ok(raw) : fail(problem);
  };
}

export const source = enumeration(SOURCE);

/**
 * A measure's eligibility clauses as JSON in one cell (the shape of seeds/policies.json `eligibility`); the record
 * schema checks the clauses themselves.
 */
export const jsonList: Parser<unknown[]> = (raw) => {
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) ? ok(value) : fail('is not a JSON list of clauses');
  } catch {
    return fail(`'${clip(raw)}' is not JSON (a list of clauses, each { terms, conditions })`);
  }
};

export interface Column {
  /** The field name in the record. */
  readonly key: string;
  /** Accepted headers, compared case-insensitively with spaces and underscores ignored. */
  readonly headers: readonly string[];
  readonly required?: boolean;
  readonly parse: Parser<unknown>;
}

const column = (key: string, headers: string[], parse: Parser<unknown>, required = false): Column => ({
  key,
  headers: [key, ...headers],
  parse,
  required,
});

const PROVENANCE_COLUMNS: Column[] = [
  column('source', ['来源', '数据来源', 'provenance'], source),
  column('section', ['章节', '规划章节'], text),
  column('note', ['备注', '说明'], text),
];

export const KIND_NAMES = [
  'enterprises',
  'segment-links',
  'supplies',
  'platforms',
  'policies',
  'regions',
] as const;
export type KindName = (typeof KIND_NAMES)[number];

export interface KindSpec {
  readonly name: KindName;
  /** Words in a file name that identify the kind when --kind is not given. */
  readonly fileNames: readonly string[];
  readonly columns: readonly Column[];
  /** Checks across the columns of one row; returns [column key, message] pairs. */
  readonly check?: (record: Record<string, unknown>) => [string, string][];
  /**
   * The records of one valid row, its references resolved (an enterprise given by credit code has its id): the
   * record model's field names, whatever the columns are called.
   */
  readonly toRecords: (row: Row) => Partial<Records>;
}

/** A parsed row: each column's value under its key, absent when the cell is empty or the column missing. */
type Row = Record<string, unknown>;

/* The cells' values are typed by their columns' parsers; the casts below only name those types. */
const str = (row: Row, key: string) => row[key] as string | undefined;
const strs = (row: Row, key: string) => row[key] as string[] | undefined;
const flag = (row: Row, key: string) => row[key] as boolean | undefined;
const num = (row: Row, key: string) => row[key] as number | undefined;
const provenanceOf = (row: Row): Provenance => ({
  source: row['source'] as Provenance['source'],
  section: str(row, 'section'),
  note: str(row, 'note'),
});

/** A year of a document: four digits, 1980–2100 (as the record model's evidence.year). */
const evidenceYear: Parser<number> = (raw) =>
  /^\d{4}$/.test(raw) && Number(raw) >= 1980 && Number(raw) <= 2100
    ? ok(Number(raw))
    : fail(`'${clip(raw)}' is not a year from 1980 to 2100`);

/** Evidence is a kind, a title and a year together: any of them alone is a half-cited document. */
const evidenceComplete = (record: Record<string, unknown>): [string, string][] => {
  const parts = ['evidenceKind', 'evidenceTitle', 'evidenceYear'];
  const given = parts.filter((key) => record[key] !== undefined);
  if (given.length === 0 && record['evidenceUrl'] === undefined) return [];
  return parts
    .filter((key) => record[key] === undefined)
    .map((key) => [
      key,
      `evidence needs its kind, title and year (证据类型, 证据标题, 证据年份): ${key} is empty`,
    ]);
};

const needOne =
  (a: string, b: string, what: string) =>
  (record: Record<string, unknown>): [string, string][] =>
    record[a] === undefined && record[b] === undefined ? [[a, `give ${what}: column ${a} or ${b}`]] : [];

export const KINDS: Readonly<Record<KindName, KindSpec>> = {
  enterprises: {
    name: 'enterprises',
    fileNames: ['enterprise', 'firm', 'company', '企业'],
    columns: [
      column('id', ['编号', '企业编号'], id),
      column('name', ['企业名称', '名称', '中文名称'], text, true),
      column('nameEn', ['name_en', '英文名称'], text),
      column('creditCode', ['credit_code', 'uscc', '统一社会信用代码', '信用代码'], creditCode),
      column('regionId', ['region', 'region_id', '地区', '所在地区', '区域'], id, true),
      column('sizeBand', ['size', 'size_band', '规模', '企业规模'], enumeration(SIZE_BAND), true),
      column('highTech', ['high_tech', '高新技术企业', '高新'], boolean),
      column('leading', ['龙头企业', '龙头'], boolean),
      column('listed', ['上市', '上市企业'], boolean),
      column('specialised', ['specialized', '专精特新'], boolean),
      column('fortuneGlobal500', ['fortune_global_500', 'fortune500', '世界500强'], boolean),
      column('description', ['简介', '主营业务'], text),
      // Scale, in million CNY of the year `figuresYear` (src/analytics/scale.ts weighs listed firms by revenue).
      column(
        'revenueCnyMillion',
        ['revenue', '营业收入', '营业收入（百万元）', '营业收入(百万元)'],
        millionCny,
      ),
      column(
        'outputCnyMillion',
        ['output', '工业总产值', '工业总产值（百万元）', '工业总产值(百万元)'],
        millionCny,
      ),
      column('figuresYear', ['figures_year', '数据年份', '年份'], year),
      // Contact details: only authenticated API callers can read them (Enterprise.contact).
      column('website', ['官网', '网址', '网站', '官方网站'], contact('website')),
      column('phone', ['电话', '联系电话', 'telephone', 'tel'], contact('phone')),
      column('email', ['邮箱', '电子邮件', '电子邮箱'], contact('email')),
      column('address', ['地址', '联系地址', '企业地址'], contact('address')),
      column('contactPerson', ['联系人', '联系人姓名'], contact('person')),
      ...PROVENANCE_COLUMNS,
    ],
    check: needOne('id', 'creditCode', 'an id or a unified social credit code'),
    toRecords: (row) => {
      const contact = {
        website: str(row, 'website'),
        phone: str(row, 'phone'),
        email: str(row, 'email'),
        address: str(row, 'address'),
        person: str(row, 'contactPerson'),
      };
      return {
        enterprises: [
          {
            id: row['id'] as string,
            name: row['name'] as string,
            nameEn: str(row, 'nameEn'),
            creditCode: str(row, 'creditCode'),
            regionId: row['regionId'] as string,
            sizeBand: row['sizeBand'] as EnterpriseRecord['sizeBand'],
            // Absent columns and empty cells are undefined, which the merge leaves as stored: a re-import with
            // fewer columns never resets a flag (a new firm starts with them false).
            flags: {
              highTech: flag(row, 'highTech'),
              leading: flag(row, 'leading'),
              listed: flag(row, 'listed'),
              specialised: flag(row, 'specialised'),
            },
            fortuneGlobal500: flag(row, 'fortuneGlobal500'),
            description: str(row, 'description'),
            revenueCnyMillion: num(row, 'revenueCnyMillion'),
            outputCnyMillion: num(row, 'outputCnyMillion'),
            figuresYear: num(row, 'figuresYear'),
            contact: Object.values(contact).some((value) => value !== undefined) ? contact : undefined,
            provenance: provenanceOf(row),
          },
        ],
      };
    },
  },
  'segment-links': {
    name: 'segment-links',
    fileNames: ['segment', 'operates', '环节', '挂链'],
    columns: [
      column('enterpriseId', ['enterprise', 'enterprise_id', '企业编号'], id),
      column('creditCode', ['credit_code', 'uscc', '统一社会信用代码'], creditCode),
      column('segmentId', ['segment', 'segment_id', '环节', '环节编号'], id, true),
      column('role', ['角色', '定位'], enumeration(SEGMENT_ROLE), true),
      column('mainProducts', ['products', 'main_products', '主要产品', '产品'], list),
      ...PROVENANCE_COLUMNS,
    ],
    check: needOne('enterpriseId', 'creditCode', 'the enterprise'),
    toRecords: (row) => ({
      segmentLinks: [
        {
          enterpriseId: row['enterpriseId'] as string,
          segmentId: row['segmentId'] as string,
          role: row['role'] as SegmentLinkRecord['role'],
          mainProducts: strs(row, 'mainProducts'),
          provenance: provenanceOf(row),
        },
      ],
    }),
  },
  supplies: {
    name: 'supplies',
    fileNames: ['suppl', 'supply', '供应', '供货'],
    columns: [
      column('supplierId', ['supplier', 'supplier_id', '供应商', '供应商编号'], id),
      column('supplierCreditCode', ['supplier_credit_code', '供应商信用代码'], creditCode),
      column('customerId', ['customer', 'customer_id', '客户', '客户编号'], id),
      column('customerCreditCode', ['customer_credit_code', '客户信用代码'], creditCode),
      column('products', ['产品', '供应产品'], list),
      // The document a PUBLIC link rests on (the reference checker requires it for PUBLIC, refuses it for ILLUSTRATIVE).
      column('evidenceKind', ['evidence_kind', '证据类型'], enumeration(EVIDENCE_KIND)),
      column('evidenceTitle', ['evidence_title', '证据标题'], text),
      column('evidenceYear', ['evidence_year', '证据年份'], evidenceYear),
      column('evidenceUrl', ['evidence_url', '证据链接'], text),
      ...PROVENANCE_COLUMNS,
    ],
    check: (record) => [
      ...needOne('supplierId', 'supplierCreditCode', 'the supplier')(record),
      ...needOne('customerId', 'customerCreditCode', 'the customer')(record),
      ...evidenceComplete(record),
    ],
    toRecords: (row) => ({
      supplies: [
        {
          supplierId: row['supplierId'] as string,
          customerId: row['customerId'] as string,
          products: strs(row, 'products'),
          evidence:
            row['evidenceKind'] === undefined
              ? undefined
              : {
                  kind: row['evidenceKind'] as NonNullable<SupplyRecord['evidence']>['kind'],
                  title: str(row, 'evidenceTitle')!,
                  year: row['evidenceYear'] as number,
                  url: str(row, 'evidenceUrl'),
                },
          provenance: provenanceOf(row),
        },
      ],
    }),
  },
  platforms: {
    name: 'platforms',
    fileNames: ['platform', '平台'],
    columns: [
      column('id', ['编号', '平台编号'], id, true),
      column('name', ['平台名称', '名称'], text, true),
      column('nameEn', ['name_en', '英文名称'], text),
      column('kind', ['类型', '平台类型'], enumeration(PLATFORM_KIND), true),
      column('level', ['级别'], enumeration(PLATFORM_LEVEL), true),
      column('regionId', ['region', 'region_id', '地区', '所在地区'], id, true),
      column('hostEnterpriseId', ['host_enterprise', '依托企业'], id),
      column('hostOrganisation', ['host', 'host_organisation', 'host_organization', '依托单位'], text),
      column('segmentIds', ['segments', 'segment_ids', '支撑环节'], idList),
      column('industryIds', ['industries', 'industry_ids', '支撑产业'], idList),
      ...PROVENANCE_COLUMNS,
    ],
    toRecords: (row) => ({
      platforms: [
        {
          id: row['id'] as string,
          name: row['name'] as string,
          nameEn: str(row, 'nameEn'),
          kind: row['kind'] as PlatformRecord['kind'],
          level: row['level'] as PlatformRecord['level'],
          regionId: row['regionId'] as string,
          hostEnterpriseId: str(row, 'hostEnterpriseId'),
          hostOrganisation: str(row, 'hostOrganisation'),
          segmentIds: strs(row, 'segmentIds') ?? [],
          industryIds: strs(row, 'industryIds') ?? [],
          provenance: provenanceOf(row),
        },
      ],
    }),
  },
  policies: {
    name: 'policies',
    fileNames: ['polic', 'measure', '政策', '措施'],
    columns: [
      column('policyId', ['policy', 'policy_id', '政策编号'], id, true),
      column('policyTitle', ['policy_title', '政策名称'], text, true),
      column('policyTitleEn', ['policy_title_en', '政策英文名称'], text),
      column('issuer', ['发布机关', '发文单位'], text, true),
      column('period', ['期限', '实施期限'], text, true),
      column('regionId', ['region', 'region_id', '地区'], id),
      column('measureId', ['measure', 'measure_id', '措施编号'], id, true),
      column('number', ['序号', '措施序号'], integer, true),
      column('title', ['措施名称', '标题'], text, true),
      column('titleEn', ['title_en', '英文标题'], text),
      column('terms', ['条款', '具体条款'], list),
      // The terms in English, item by item; without it a term has no English text (none is made up).
      column('termsEn', ['terms_en', '英文条款'], list),
      column('chainIds', ['chains', 'chain_ids', '适用产业链'], idList),
      column('industryIds', ['industries', 'industry_ids', '适用产业'], idList),
      column('segmentIds', ['segments', 'segment_ids', '适用环节'], idList),
      column('programmeIds', ['programmes', 'programs', 'programme_ids', '适用工程'], idList),
      column('offerable', ['可兑现', '可提供'], boolean),
      column('eligibility', ['conditions', '适用条件'], jsonList),
      ...PROVENANCE_COLUMNS,
    ],
    check: (record) => {
      const [terms, termsEn] = [strs(record, 'terms'), strs(record, 'termsEn')];
      return termsEn !== undefined && termsEn.length !== (terms?.length ?? 0)
        ? [
            [
              'termsEn',
              `${termsEn.length} English terms for ${terms?.length ?? 0} terms; give one for each term`,
            ],
          ]
        : [];
    },
    // Each row is one measure and repeats its policy; the importer keeps the policy of its first row.
    toRecords: (row) => {
      const termsEn = strs(row, 'termsEn');
      return {
        policies: [
          {
            id: row['policyId'] as string,
            title: row['policyTitle'] as string,
            titleEn: str(row, 'policyTitleEn'),
            issuer: row['issuer'] as string,
            period: row['period'] as string,
            regionId: str(row, 'regionId'),
            provenance: provenanceOf(row),
          },
        ],
        measures: [
          {
            id: row['measureId'] as string,
            policyId: row['policyId'] as string,
            number: row['number'] as number,
            title: row['title'] as string,
            titleEn: str(row, 'titleEn'),
            terms: strs(row, 'terms')?.map((text, index) => ({ text, textEn: termsEn?.[index] })),
            appliesTo: {
              chainIds: strs(row, 'chainIds') ?? [],
              industryIds: strs(row, 'industryIds') ?? [],
              segmentIds: strs(row, 'segmentIds') ?? [],
              programmeIds: strs(row, 'programmeIds') ?? [],
            },
            offerable: row['offerable'] as boolean | undefined,
            eligibility: row['eligibility'] as MeasureRecord['eligibility'],
            provenance: provenanceOf(row),
          },
        ],
      };
    },
  },
  // Regions, so that an import can declare how complete its firm data is (a registry extract is CENSUS).
  regions: {
    name: 'regions',
    fileNames: ['region', '地区', '区域'],
    columns: [
      column('id', ['编号', '地区编号'], id, true),
      column('name', ['地区名称', '名称'], text, true),
      column('nameEn', ['name_en', '英文名称'], text),
      column('level', ['级别', '行政级别'], enumeration(REGION_LEVEL), true),
      column('code', ['行政区划代码', '区划代码'], text),
      column('parentId', ['parent', 'parent_id', '上级地区'], id),
      column(
        'completeness',
        ['data_completeness', '数据完整性', '企业数据完整性', '数据范围'],
        enumeration(DATA_COMPLETENESS),
      ),
      ...PROVENANCE_COLUMNS,
    ],
    toRecords: (row) => ({
      regions: [
        {
          id: row['id'] as string,
          name: row['name'] as string,
          nameEn: str(row, 'nameEn'),
          level: row['level'] as RegionRecord['level'],
          code: str(row, 'code'),
          parentId: str(row, 'parentId'),
          completeness: row['completeness'] as RegionRecord['completeness'],
          provenance: provenanceOf(row),
        },
      ],
    }),
  },
};

/** Normalises a header for matching: case, spaces, underscores, hyphens and a trailing asterisk do not matter. */
export function normaliseHeader(header: string): string {
  return header
    .trim()
    .replace(/\*$/, '')
    .replace(/[\s_-]+/g, '')
    .toLowerCase();
}
