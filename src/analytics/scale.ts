import { ALL_SEGMENTS, NO_COUNTS, type RegionCounts, type SegmentCounts } from './aggregates.js';
import type { GapReason } from './gaps.js';

/**
 * Scale-aware status (issue 15): how concentrated a segment is in a region compared with the nation — the location
 * quotient — and the rule that a nationally strong segment is not a gap for having few firms. Pure.
 *
 * The location quotient of segment s in region r:
 *
 *   LQ = (e_rs / e_r) ÷ (E_s / E)
 *
 * e_rs: the region's listed firms (firms with a stock code) in s or its narrower segments; e_r: the region's listed
 * firms in any segment of any chain, each counted once; E_s and E: the same for the nation. Sub-regions are included
 * and each firm counts once however many of the segments it operates in.
 *
 * Why listed firms: a city's firm list is partial (the plan names some firms, a team imports others), but the
 * public data pack holds every listed company of the country, so listed firms are the one population whose national
 * share is real. A region whose unlisted firms are recorded is compared on its listed ones all the same.
 *
 * Weights: by revenue (e_rs is then the revenue of those firms, and so on) when every listed firm of the nation
 * counted under the request's sources has a revenue — one firm without it would tilt the shares towards the firms
 * whose revenue is known — otherwise by firm count. A firm operating in several segments counts its whole revenue in
 * each (a firm's revenue by segment is not known), as it counts once in each by count.
 *
 * The nation: the root of the region's tree (the region, or the ancestor, that has no parent: `china`, the country,
 * in the shipped data). Its figures are the counts kept for it — its whole subtree, each firm once — so that a firm
 * placed at the country itself (a listed company whose city is not known) is in the national population too.
 *
 * Null (no quotient) when the basis is too thin to give one: fewer than MIN_NATIONAL_LISTED listed firms of the
 * nation in the segment, or no listed firm in the region in any segment (e_r = 0), or the region's tree has no single
 * root. The first matters on the shipped data: the public classification (申万) knows 原料药 but not antibiotic or
 * vitamin APIs, so the nation's only listed firm in 抗生素原料药 is 华北制药 itself, and a quotient of 91 would
 * measure nothing but how few listed firms the city has.
 */

/** Fewest listed firms of the nation in a segment for a quotient (by count or by revenue). */
export const MIN_NATIONAL_LISTED = 5;

export type LocationQuotientBasis = 'LISTED_FIRMS' | 'LISTED_REVENUE';

export interface LocationQuotient {
  readonly value: number | null;
  readonly basis: LocationQuotientBasis | null;
  /** The four figures, by the basis (firms, or revenue in million CNY). */
  readonly regionInSegment: number;
  readonly regionAll: number;
  readonly nationInSegment: number;
  readonly nationAll: number;
}

export const NO_QUOTIENT: LocationQuotient = {
  value: null,
  basis: null,
  regionInSegment: 0,
  regionAll: 0,
  nationInSegment: 0,
  nationAll: 0,
};

const round = (value: number, digits = 4) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * A cell's figure by the basis: revenue (million CNY, in thousands) or listed firms. A module function, not a closure
 * per call: this runs for every segment of every region of a report.
 */
function figureOf(counts: Readonly<SegmentCounts>, byRevenue: boolean): number {
  return byRevenue ? counts.listedRevenue / 1000 : counts.listed;
}

/** The location quotient from the four cells of counts (region × segment, region, nation × segment, nation). */
export function locationQuotient(
  regionInSegment: Readonly<SegmentCounts>,
  regionAll: Readonly<SegmentCounts>,
  nationInSegment: Readonly<SegmentCounts>,
  nationAll: Readonly<SegmentCounts>,
): LocationQuotient {
  const byRevenue = nationAll.listed > 0 && nationAll.listedWithRevenue === nationAll.listed;
  const figures = {
    regionInSegment: figureOf(regionInSegment, byRevenue),
    regionAll: figureOf(regionAll, byRevenue),
    nationInSegment: figureOf(nationInSegment, byRevenue),
    nationAll: figureOf(nationAll, byRevenue),
  };
  if (
    nationInSegment.listed < MIN_NATIONAL_LISTED ||
    figures.nationInSegment <= 0 ||
    figures.regionAll <= 0 ||
    figures.nationAll <= 0
  ) {
    return { ...NO_QUOTIENT, ...figures };
  }
  const value = figures.regionInSegment / figures.regionAll / (figures.nationInSegment / figures.nationAll);
  return { value: round(value), basis: byRevenue ? 'LISTED_REVENUE' : 'LISTED_FIRMS', ...figures };
}

/**
 * The nation of a region: the single root (a region without a parent) among the region and its ancestors, or null
 * when there is none or several. `ancestors` lists each region with itself and its ancestors (aggregates.ts).
 */
export function nationOf(
  regionId: string,
  ancestors: Readonly<Record<string, readonly string[]>>,
): string | null {
  const chain = ancestors[regionId] ?? [regionId];
  const roots = chain.filter((id) => (ancestors[id] ?? [id]).length === 1);
  return roots.length === 1 ? roots[0]! : null;
}

/** A region's counts minus what a scenario leaves out, for one segment key. */
function net(
  counts: RegionCounts | undefined,
  removed: RegionCounts | undefined,
  segmentId: string,
): SegmentCounts {
  const all = counts?.get(segmentId) ?? NO_COUNTS;
  const minus = removed?.get(segmentId) ?? NO_COUNTS;
  return {
    enterprises: all.enterprises - minus.enterprises,
    leading: all.leading - minus.leading,
    highTech: all.highTech - minus.highTech,
    platforms: all.platforms,
    localSupplyEdges: all.localSupplyEdges - minus.localSupplyEdges,
    outsideSupplyEdges: all.outsideSupplyEdges - minus.outsideSupplyEdges,
    listed: all.listed - minus.listed,
    listedWithRevenue: all.listedWithRevenue - minus.listedWithRevenue,
    listedRevenue: all.listedRevenue - minus.listedRevenue,
  };
}

/**
 * The location quotient of a segment in a region from the stored aggregates of the region and its nation, less
 * what a scenario's left-out firms contribute to each (`removed`, keyed by region id).
 */
export function quotientFromAggregates(
  segmentId: string,
  region: RegionCounts | undefined,
  nation: RegionCounts | undefined,
  removedFromRegion?: RegionCounts,
  removedFromNation?: RegionCounts,
): LocationQuotient {
  if (nation === undefined) return NO_QUOTIENT;
  return locationQuotient(
    net(region, removedFromRegion, segmentId),
    net(region, removedFromRegion, ALL_SEGMENTS),
    net(nation, removedFromNation, segmentId),
    net(nation, removedFromNation, ALL_SEGMENTS),
  );
}

/** Default `GapThresholds.strongLocationQuotient`: a quarter above the national share. */
export const DEFAULT_STRONG_LOCATION_QUOTIENT = 1.25;

/**
 * Whether a segment is nationally strong in the region: at least one local firm and a location quotient at or
 * above the threshold. Such a segment is not WEAK or DEPENDENT for its number of firms (gaps.ts).
 */
export function isScaleStrong(
  localEnterprises: number,
  quotient: number | null | undefined,
  threshold: number,
): boolean {
  return localEnterprises >= 1 && quotient !== null && quotient !== undefined && quotient >= threshold;
}

const figure = (value: number) => String(round(value, 2));

/** The SCALE_STRENGTH reason: why few firms are no weakness here. */
export function scaleStrengthReason(
  name: string,
  local: number,
  quotient: number,
  basis: LocationQuotientBasis | null | undefined,
  threshold: number,
  /** The broader segment whose quotient this is, when the segment's own national basis is too thin. */
  broaderName: string | null = null,
): GapReason {
  const byRevenue = basis === 'LISTED_REVENUE';
  const of = broaderName === null ? 'it' : broaderName;
  return {
    code: 'SCALE_STRENGTH',
    text: `${name} is nationally strong here: location quotient ${figure(quotient)} (threshold ${figure(threshold)})${broaderName === null ? '' : ` of its broader segment ${broaderName}, the finest level the national data separates`} — the region's share of listed firms${byRevenue ? "' revenue" : ''} in ${of} is ${figure(quotient)} times the national share — so ${local === 1 ? 'a single local enterprise is' : `${local} local enterprises are`} no gap`,
    textZh: `${name}环节区位熵${figure(quotient)}（标准${figure(threshold)}${broaderName === null ? '' : `，取其上级环节${broaderName}：全国数据未再细分`}）：本地上市企业${byRevenue ? '营业收入' : '数量'}中${broaderName === null ? '该' : broaderName}环节占比为全国的${figure(quotient)}倍，属全国优势环节，本地企业${local}家不构成短板`,
  };
}
