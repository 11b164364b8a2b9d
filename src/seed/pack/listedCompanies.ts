import type { EnterpriseRecord, SegmentLinkRecord } from '../../ingest/records.js';
import { MARKET, OWNERSHIP, valueOf } from '../../ingest/vocabulary.js';
import { industryKey, type IndustryMappingRow } from './industryMap.js';
import { cityOfName, COUNTRY_ID, prefixOf, provinceOfArea, type PackRegions } from './regions.js';

/**
 * China's listed companies as PUBLIC enterprise records: one per stock code, with the exchanges' names, province (or
 * the city its registered name begins with), ownership, controller, market, listing date and industry, and the
 * segment links the reviewed mapping table derives from the industry. Pure: file contents in, records out.
 */

export const LISTED_FILE = 'a-share-listed-companies-2025-06.jsonl';
export const SW_COMPANY_FILE = 'sw2021-company_industry.jsonl';
export const SW_INDUSTRY_FILE = 'sw2021-industry.jsonl';
export const MAPPING_FILE = 'industry-segments.json';

const LISTED_SOURCE =
  'Tushare stock_basic, A-share listed companies, snapshot of 2025-06-18 (public repository xiaopengqiu/stock-agent, build/stock_basic.json)';
const SW_SOURCE =
  '申万 2021 level-3 industry from the public dataset liuhuanyong/ChainKnowledgeGraph (about 2021)';

/** A row of the listed-company list (its README describes every field). */
export interface ListedRow {
  readonly ts_code: string;
  readonly name: string;
  readonly fullname: string;
  readonly enname: string | null;
  readonly area: string | null;
  readonly industry: string | null;
  readonly market: string | null;
  readonly list_date: string | null;
  readonly act_name: string | null;
  readonly act_ent_type: string | null;
}

/** A company's 申万 level-3 industry. */
export interface SwCompanyRow {
  readonly company_code: string;
  readonly industry_code: string;
  readonly industry_name: string;
}

/** The fields the list gives a listed company (besides its names, region and code). */
export type ListedFields = Partial<
  Pick<
    EnterpriseRecord,
    'shortName' | 'nameEn' | 'ownership' | 'controller' | 'market' | 'listedOn' | 'industryClass'
  >
>;

/** A curated enterprise that is a listed company: the pack completes it instead of adding a second node. */
export type CuratedListed = Pick<EnterpriseRecord, 'id' | 'stockCode'> & Partial<EnterpriseRecord>;

export interface ListedInput {
  /** Each row with its line in the file (from 1). */
  readonly rows: readonly { readonly line: number; readonly row: ListedRow }[];
  readonly swCompanies: readonly SwCompanyRow[];
  /** 申万 industry names by code. */
  readonly swIndustries: ReadonlyMap<string, string>;
  readonly mapping: readonly IndustryMappingRow[];
  readonly regions: PackRegions;
  readonly curated: readonly CuratedListed[];
}

export interface ListedOutput {
  readonly enterprises: { readonly line: number; readonly record: EnterpriseRecord }[];
  readonly segmentLinks: { readonly line: number; readonly record: SegmentLinkRecord }[];
  /** For each curated listed enterprise (by id), the listed-company fields it lacks. */
  readonly additions: ReadonlyMap<string, ListedFields>;
  /** Rows whose `area` is null: placed in the country region. */
  readonly withoutArea: number;
  readonly problems: { readonly line: number; readonly field: string; readonly reason: string }[];
}

/** `listed-600812-sh` for 600812.SH. */
export function listedId(stockCode: string): string {
  return `listed-${stockCode.replace('.', '-').toLowerCase()}`;
}

/** 19910403 → 1991-04-03. */
function isoDate(raw: string | null): string | undefined {
  return raw !== null && /^\d{8}$/.test(raw)
    ? `${raw.slice(0, 4)}-${raw.slice(4, 6)}-${raw.slice(6)}`
    : undefined;
}

const NO_CONTROLLER = '无实际控制人';

export function listedCompanyRecords(input: ListedInput): ListedOutput {
  const { regions } = input;
  const swOf = new Map(input.swCompanies.map((row) => [row.company_code, row]));
  const mappingOf = new Map(input.mapping.map((row) => [industryKey(row.scheme, row.code ?? row.name), row]));
  // Normally one curated record per code; should a company be entered twice, each copy is completed alike.
  const curatedOf = new Map<string, CuratedListed[]>();
  for (const enterprise of input.curated) {
    if (enterprise.stockCode === undefined) continue;
    curatedOf.set(enterprise.stockCode, [...(curatedOf.get(enterprise.stockCode) ?? []), enterprise]);
  }
  const shenzhen = regions.citiesOf.get('44')?.find((city) => city.code === '440300');

  const enterprises: { line: number; record: EnterpriseRecord }[] = [];
  const segmentLinks: { line: number; record: SegmentLinkRecord }[] = [];
  const additions = new Map<string, ListedFields>();
  const problems: { line: number; field: string; reason: string }[] = [];
  let withoutArea = 0;

  for (const { line, row } of input.rows) {
    const sw = swOf.get(row.ts_code);
    const industryClass =
      sw !== undefined
        ? {
            scheme: 'SW2021' as const,
            code: sw.industry_code,
            name: input.swIndustries.get(sw.industry_code) ?? sw.industry_name,
          }
        : row.industry !== null
          ? { scheme: 'TUSHARE' as const, name: row.industry }
          : undefined;
    const ownership =
      row.act_ent_type === null ? undefined : (valueOf(OWNERSHIP, row.act_ent_type) ?? undefined);
    if (row.act_ent_type !== null && ownership === undefined)
      problems.push({ line, field: 'act_ent_type', reason: `unknown ownership type '${row.act_ent_type}'` });
    const market = row.market === null ? undefined : (valueOf(MARKET, row.market) ?? undefined);
    if (row.market !== null && market === undefined)
      problems.push({ line, field: 'market', reason: `unknown market '${row.market}'` });
    const listed: ListedFields = {
      shortName: row.name,
      ...(row.enname !== null && row.enname.trim() !== '' ? { nameEn: row.enname.trim() } : {}),
      ...(ownership !== undefined ? { ownership } : {}),
      ...(row.act_name !== null && row.act_name !== NO_CONTROLLER ? { controller: row.act_name } : {}),
      ...(market !== undefined ? { market } : {}),
      ...(isoDate(row.list_date) !== undefined ? { listedOn: isoDate(row.list_date)! } : {}),
      ...(industryClass !== undefined ? { industryClass } : {}),
    };

    const curated = curatedOf.get(row.ts_code);
    if (curated !== undefined) {
      // One node per company: the curated record keeps what it states and gains only what it lacks; its stated
      // segment links are better than any derived from an industry, so none are added.
      for (const enterprise of curated) {
        const missing = Object.fromEntries(
          Object.entries(listed).filter(
            ([field]) => enterprise[field as keyof EnterpriseRecord] === undefined,
          ),
        ) as ListedFields;
        additions.set(enterprise.id, missing);
      }
      continue;
    }

    let regionId: string;
    if (row.area === null) {
      withoutArea += 1;
      regionId = COUNTRY_ID;
    } else if (row.area === '深圳' && shenzhen !== undefined) {
      regionId = shenzhen.id;
    } else {
      const province = provinceOfArea(regions, row.area);
      if (province === undefined) {
        problems.push({ line, field: 'area', reason: `no province-level region named '${row.area}…'` });
        continue;
      }
      const city = regions.citiesOf.has(prefixOf(province))
        ? cityOfName(regions, province, row.fullname)
        : undefined;
      regionId = (city ?? province).id;
    }

    const id = listedId(row.ts_code);
    enterprises.push({
      line,
      record: {
        id,
        name: row.fullname,
        regionId,
        // The list says nothing of a company's size.
        sizeBand: 'UNKNOWN',
        flags: { listed: true },
        stockCode: row.ts_code,
        ...listed,
        provenance: {
          source: 'PUBLIC',
          note: `${LISTED_SOURCE}; industry: ${industryClass?.scheme === 'SW2021' ? SW_SOURCE : 'Tushare industry of the same list'}`,
        },
      },
    });

    if (industryClass === undefined) continue;
    const mapping = mappingOf.get(
      industryKey(industryClass.scheme, industryClass.code ?? industryClass.name),
    );
    if (mapping === undefined) continue;
    if (
      mapping.confirmedBy !== undefined &&
      (row.industry === null || !mapping.confirmedBy.includes(row.industry))
    )
      continue;
    const industryLabel =
      industryClass.scheme === 'SW2021'
        ? `申万 2021 ${industryClass.code} ${industryClass.name}`
        : `Tushare ${industryClass.name}`;
    for (const { segmentId, role } of mapping.segments) {
      segmentLinks.push({
        line,
        record: {
          enterpriseId: id,
          segmentId,
          role,
          mainProducts: [],
          basis: 'INDUSTRY_CLASSIFICATION',
          provenance: {
            source: 'PUBLIC',
            note: `derived from the industry ${industryLabel} by the reviewed table seeds/public/${MAPPING_FILE}; not product evidence`,
          },
        },
      });
    }
  }
  return { enterprises, segmentLinks, additions, withoutArea, problems };
}
