import { cypher } from '../data/cypher.js';
import { InternalLabel as I } from '../data/model.js';
import {
  admits,
  ALL_SEGMENTS,
  filterKey,
  filterMask,
  parsedCells,
  type Cell,
  type RegionCounts,
  type Structure,
} from './aggregates.js';
import type { CachedStructures } from './structureCache.js';

/**
 * Feasibility of a gap (issue 15): how related the region's present capabilities are to the missing or weak
 * segment, and a priority that weighs the gap's score by it — what a second-tier city could feasibly attract, not
 * only what is most upstream.
 *
 * Relatedness is the density of the product-space literature (Hidalgo, Klinger, Barabási & Hausmann 2007, "The
 * Product Space Conditions the Development of Nations", Science 317: 482–487): for segment s in region r,
 *
 *   ω_s = Σ_j φ_sj · x_j / Σ_j φ_sj
 *
 * over every segment j other than s and the segments of its own scope (its broader and narrower segments, which are
 * the same capability). x_j = 1 when r (sub-regions included) has at least one enterprise in j under the request's
 * provenance filter, else 0. ω_s = 0 when no segment is related to s.
 *
 * φ_sj, the proximity of two segments, is the larger of
 * - supply flow: 1 when a FEEDS link (with a source in the filter) joins s and j, in either direction, else 0;
 * - co-location: min(P(s|j), P(j|s)) = N_sj / max(N_s, N_j), the paper's proximity with "regions where a segment
 *   is present" in place of "countries that export a product with RCA ≥ 1": N_s counts the home regions (the regions
 *   firms are LOCATED_IN; each firm has one, so homes never overlap) with at least one enterprise in s, N_sj those
 *   with both; 0 when either count is 0.
 * Co-location leaves out the homes inside r itself, so the proximities describe the other regions' experience and a
 * firm added in r can only raise r's densities (it turns x_j on; it never moves a φ).
 *
 * Priority = score × (PRIORITY_FLOOR + (1 − PRIORITY_FLOOR) × relatedness): never lower for a higher score or a
 * higher relatedness; an unrelated gap keeps a quarter of its score, so it still ranks by how bad it is.
 */

/** The share of its score an unrelated gap keeps as priority. */
export const PRIORITY_FLOOR = 0.25;

const round = (value: number, digits = 4) => Math.round(value * 10 ** digits) / 10 ** digits;

/** 0–100: the gap score weighed by relatedness (see the module comment). */
export function priorityOf(score: number, relatedness: number): number {
  const r = Math.min(1, Math.max(0, relatedness));
  return round(Math.max(0, score) * (PRIORITY_FLOOR + (1 - PRIORITY_FLOOR) * r), 2);
}

/** Segment ids present (≥ 1 enterprise under the filter) in each home region. */
export type HomePresence = ReadonlyMap<string, ReadonlySet<string>>;

/** Which segments each home's cell counts at least one enterprise in, under the filter with this mask. */
export function presenceFromCells(cells: ReadonlyMap<string, Cell>, mask: number): Map<string, Set<string>> {
  const presence = new Map<string, Set<string>>();
  for (const [homeId, cell] of cells) {
    const present = new Set<string>();
    for (const [segmentId, codes, n] of cell.firms) {
      // The pseudo-segment that counts each firm once over all segments is no capability of its own.
      if (segmentId !== ALL_SEGMENTS && n > 0 && admits(mask, codes)) present.add(segmentId);
    }
    if (present.size > 0) presence.set(homeId, present);
  }
  return presence;
}

export interface ProximityInputs {
  /** Each home region with the segments present there. */
  readonly presence: HomePresence;
  /** Each region with itself and its ancestors (aggregates.ts Structure.ancestors). */
  readonly ancestors: Readonly<Record<string, readonly string[]>>;
  /** Each segment with itself and its broader segments. */
  readonly scopeRoots: Readonly<Record<string, readonly string[]>>;
  /** Each segment with the segments it feeds and each link's source. */
  readonly feeds: Readonly<Record<string, readonly (readonly [string, string | null])[]>>;
  /** The provenance filter: FEEDS links with another source are no proximity. */
  readonly sources: readonly string[];
}

/**
 * φ_sj for each target segment s and every j with φ_sj > 0 (s's own scope left out), for region `regionId`: the
 * co-location counts leave out the homes in the region's subtree. Work: homes × targets × segments per home.
 */
export function proximities(
  regionId: string,
  targets: readonly string[],
  inputs: ProximityInputs,
): Map<string, Map<string, number>> {
  const homes = [...inputs.presence].filter(
    ([homeId]) => !(inputs.ancestors[homeId] ?? [homeId]).includes(regionId),
  );
  const wanted = new Set(targets);
  const total = new Map<string, number>();
  const together = new Map<string, Map<string, number>>(targets.map((s) => [s, new Map()]));
  for (const [, present] of homes) {
    for (const j of present) total.set(j, (total.get(j) ?? 0) + 1);
    for (const s of present) {
      if (!wanted.has(s)) continue;
      const row = together.get(s)!;
      for (const j of present) row.set(j, (row.get(j) ?? 0) + 1);
    }
  }
  const flows = new Map<string, Set<string>>();
  const link = (a: string, b: string) => {
    let set = flows.get(a);
    if (!set) flows.set(a, (set = new Set()));
    set.add(b);
  };
  for (const [from, links] of Object.entries(inputs.feeds)) {
    for (const [to, source] of links) {
      if (source === null || !inputs.sources.includes(source)) continue;
      if (wanted.has(from)) link(from, to);
      if (wanted.has(to)) link(to, from);
    }
  }
  const result = new Map<string, Map<string, number>>();
  for (const s of targets) {
    const roots = inputs.scopeRoots[s] ?? [s];
    const sameScope = (j: string) => roots.includes(j) || (inputs.scopeRoots[j] ?? [j]).includes(s);
    const row = new Map<string, number>();
    const ns = total.get(s) ?? 0;
    for (const [j, nsj] of together.get(s) ?? []) {
      if (sameScope(j)) continue;
      const phi = nsj / Math.max(ns, total.get(j) ?? 0);
      if (phi > 0) row.set(j, phi);
    }
    for (const j of flows.get(s) ?? []) if (!sameScope(j)) row.set(j, 1);
    result.set(s, row);
  }
  return result;
}

/** ω_s = Σ_j φ_sj x_j / Σ_j φ_sj (0 when s has no related segment), rounded to 4 digits. */
export function density(
  related: ReadonlyMap<string, number>,
  present: (segmentId: string) => boolean,
): number {
  let numerator = 0;
  let denominator = 0;
  for (const [j, phi] of related) {
    denominator += phi;
    if (present(j)) numerator += phi;
  }
  return denominator === 0 ? 0 : round(numerator / denominator);
}

/** Relatedness of each target segment for the region whose counts (under the filter) are `regionCounts`. */
export function relatednessOf(
  regionId: string,
  regionCounts: RegionCounts | undefined,
  targets: readonly string[],
  inputs: ProximityInputs,
): Map<string, number> {
  const present = (j: string) => (regionCounts?.get(j)?.enterprises ?? 0) > 0;
  const phi = proximities(regionId, targets, inputs);
  return new Map(targets.map((s) => [s, density(phi.get(s) ?? new Map(), present)]));
}

/** Gaps as ranked by PRIORITY: higher priority first, then higher score, then the given score order. */
export function byPriority<T extends { readonly score: number }>(
  priority: (item: T) => number,
  scoreOrder: (a: T, b: T) => number,
): (a: T, b: T) => number {
  return (a, b) => priority(b) - priority(a) || b.score - a.score || scoreOrder(a, b);
}

/**
 * Each home's present segments under the provenance filter, from the stored aggregate cells (one statement reading
 * one row per home region: bounded by the region tree, never by the firms), cached per process under the aggregates'
 * build time and the structure version, since both change what the cells say.
 */
export async function readHomePresence(
  structures: CachedStructures,
  request: { sources: readonly string[]; asOf: string },
): Promise<HomePresence> {
  const key = JSON.stringify(['home-presence', filterKey(request.sources), request.asOf]);
  return structures(key, async (executor, operation = 'home-presence') => {
    const rows = await executor.read(
      operation,
      cypher(`MATCH (c:${I.AggregateCell}) RETURN c.homeId AS homeId, c.data AS data`, {}),
    );
    return presenceFromCells(parsedCells(rows), filterMask(filterKey(request.sources)));
  });
}

/** What the reports need to weigh gaps by feasibility. */
export async function gapRelatedness(
  structures: CachedStructures,
  request: {
    regionId: string;
    regionCounts: RegionCounts | undefined;
    segmentIds: readonly string[];
    sources: readonly string[];
    asOf: string;
    structure: Structure;
  },
): Promise<Map<string, number>> {
  if (request.segmentIds.length === 0) return new Map();
  const presence = await readHomePresence(structures, request);
  return relatednessOf(request.regionId, request.regionCounts, request.segmentIds, {
    presence,
    ancestors: request.structure.ancestors,
    scopeRoots: request.structure.scopeRoots,
    feeds: request.structure.feeds,
    sources: request.sources,
  });
}
