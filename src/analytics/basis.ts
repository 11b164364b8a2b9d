import {
  DEFAULT_ANALYTICS_SOURCES,
  InternalLabel as I,
  MAX_REGION_DEPTH,
  NodeLabel as L,
  PROVENANCE_SOURCES,
  RelationshipType as T,
} from '../data/model.js';
import { filterKey, NO_COUNTS, type RegionCounts } from './aggregates.js';
import type { DataCompleteness } from './gaps.js';

/**
 * The data basis of an analytics answer (issue 15): which provenances were applied, how complete the region's firm
 * data is, and how much of what was counted is illustrative. Pure functions, plus the Cypher fragments that read what
 * they need in the report's one fact statement (bounded lookups: a region's ancestors, two stored aggregates).
 */

export { DEFAULT_ANALYTICS_SOURCES };

/** Least complete first: where regions differ, an answer over them is only as complete as the least of them. */
export const COMPLETENESS_ORDER: readonly DataCompleteness[] = ['PARTIAL', 'LISTED_ONLY', 'CENSUS'];

const isCompleteness = (value: unknown): value is DataCompleteness =>
  COMPLETENESS_ORDER.includes(value as DataCompleteness);

/**
 * A region's effective completeness from the declarations on it and its ancestors ([steps up, value], 0 = the region
 * itself): the nearest declaration wins; of several at the same distance (a region with two parents) the least
 * complete; none: PARTIAL (nothing says the data is more than partial).
 */
export function effectiveCompleteness(declared: readonly (readonly [number, unknown])[]): DataCompleteness {
  let best: { steps: number; value: DataCompleteness } | null = null;
  for (const [steps, value] of declared) {
    if (!isCompleteness(value)) continue;
    if (
      best === null ||
      steps < best.steps ||
      (steps === best.steps && COMPLETENESS_ORDER.indexOf(value) < COMPLETENESS_ORDER.indexOf(best.value))
    ) {
      best = { steps, value };
    }
  }
  return best?.value ?? 'PARTIAL';
}

/** The least complete of several. */
export function leastComplete(values: readonly DataCompleteness[]): DataCompleteness {
  return values.reduce<DataCompleteness>(
    (least, value) => (COMPLETENESS_ORDER.indexOf(value) < COMPLETENESS_ORDER.indexOf(least) ? value : least),
    'CENSUS',
  );
}

/** The applied sources in the closed list's order; none given: the default (PLAN and PUBLIC, real data only). */
export function appliedSources(sources: readonly string[] | null | undefined): string[] {
  const given = sources && sources.length > 0 ? sources : DEFAULT_ANALYTICS_SOURCES;
  return PROVENANCE_SOURCES.filter((source) => given.includes(source));
}

/**
 * The filter key of the same sources without ILLUSTRATIVE ('' when only ILLUSTRATIVE was asked for: no stored
 * aggregate has that key, so every count reads as 0).
 */
export function realFilterKey(sources: readonly string[]): string {
  return filterKey(sources.filter((source) => source !== 'ILLUSTRATIVE'));
}

/**
 * Share (0–1) of the enterprise counts an answer rests on that need illustrative data: over the given segments,
 * (counted under the request's sources − counted under the same sources without ILLUSTRATIVE) / counted. A firm is
 * counted once per segment of the report it operates in (as `localEnterpriseCount` counts it). 0 when nothing is
 * counted, and always 0 when ILLUSTRATIVE is not among the sources.
 */
export function illustrativeShare(
  all: RegionCounts | undefined,
  real: RegionCounts | undefined,
  segmentIds: Iterable<string>,
): number {
  let counted = 0;
  let realCounted = 0;
  for (const segmentId of segmentIds) {
    counted += (all?.get(segmentId) ?? NO_COUNTS).enterprises;
    realCounted += (real?.get(segmentId) ?? NO_COUNTS).enterprises;
  }
  if (counted === 0) return 0;
  return Math.round((Math.max(0, counted - realCounted) / counted) * 10_000) / 10_000;
}

export interface RegionBasis {
  readonly regionId: string;
  readonly completeness: DataCompleteness;
  readonly illustrativeShare: number;
}

/**
 * Whether regions' coverages can be set side by side, and if not why: their firm data must have the same basis —
 * the same completeness, and one that selects firms by one rule (CENSUS: every firm; LISTED_ONLY: the listed ones;
 * two PARTIAL lists were drawn up by different choices, a plan's firm list against firms picked as targets) — and
 * illustrative data must weigh in all of them or in none.
 */
export function comparability(regions: readonly RegionBasis[]): { comparable: boolean; note: string | null } {
  const kinds = [...new Set(regions.map((region) => region.completeness))];
  const list = (filter: (region: RegionBasis) => boolean) =>
    regions
      .filter(filter)
      .map((region) => region.regionId)
      .join(', ');
  if (kinds.length > 1) {
    return {
      comparable: false,
      note: `the regions' firm data differ in completeness (${COMPLETENESS_ORDER.filter((kind) =>
        kinds.includes(kind),
      )
        .map((kind) => `${kind}: ${list((region) => region.completeness === kind)}`)
        .join('; ')}): a segment with no recorded firm means different things in them`,
    };
  }
  if (kinds[0] === 'PARTIAL') {
    return {
      comparable: false,
      note: `the regions' firm data are all PARTIAL (${list(() => true)}): partial lists are drawn up by different choices (a plan's firm list, firms picked as targets), so their counts are not like for like`,
    };
  }
  const withDemo = regions.filter((region) => region.illustrativeShare > 0);
  if (withDemo.length > 0 && withDemo.length < regions.length) {
    return {
      comparable: false,
      note: `illustrative (demo) firms are counted in ${list((region) => region.illustrativeShare > 0)} only; leave them out with sources: [PLAN, PUBLIC]`,
    };
  }
  return { comparable: true, note: null };
}

/**
 * Cypher (inside the fact statement, given `$aggregateRegionIds` and `$realFilter`): `realAggregates`, the regions'
 * stored counts under the request's sources without ILLUSTRATIVE, and `declaredCompleteness`, each region's
 * declarations on itself and its ancestors as [steps, value] — a bounded walk up the region tree.
 */
export const BASIS_FACTS_SUBQUERY = `CALL {
       UNWIND $aggregateRegionIds AS regionId
       OPTIONAL MATCH (a:${I.RegionAggregate} { key: regionId + '|' + $realFilter })
       RETURN collect([regionId, a.data]) AS realAggregates
     }
     CALL {
       UNWIND $aggregateRegionIds AS regionId
       OPTIONAL MATCH (r:${L.Region} { id: regionId })
       RETURN collect([regionId, COLLECT {
         MATCH p = (r)-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]->(a:${L.Region}) WHERE a.completeness IS NOT NULL
         RETURN [length(p), a.completeness]
       }]) AS declaredCompleteness
     }`;
