import type { Structure } from './aggregates.js';
import type { Sources } from './facts.js';

/**
 * What losing a segment takes away: the firms' operations in the segment and its narrower segments (`segmentIds`),
 * and their supply links counted through those — to buyers operating in a segment they, or the segment's broader
 * segments, feed (`fedSegmentIds`, FEEDS links with an admitted provenance only). Pure.
 */
export function segmentScenarioScope(
  structure: Structure,
  segmentId: string,
  sources: Sources,
): { segmentIds: string[]; fedSegmentIds: string[] } {
  const segmentIds = Object.entries(structure.scopeRoots)
    .filter(([, roots]) => roots.includes(segmentId))
    .map(([id]) => id)
    .sort();
  const feeding = new Set([...segmentIds, ...(structure.scopeRoots[segmentId] ?? [segmentId])]);
  const fed = new Set<string>();
  for (const id of feeding) {
    for (const [target, source] of structure.feeds[id] ?? []) {
      if (source !== null && sources.includes(source)) fed.add(target);
    }
  }
  return { segmentIds, fedSegmentIds: [...fed].sort() };
}

/**
 * Every segment in the scope of a gap segment (the gap and its narrower segments, within MAX_SEGMENT_DEPTH), mapped to
 * the gap it belongs to — what readSegmentScopes reads, taken from the segment tree this process holds, so a
 * targetFirms request needs no statement for it. A narrower segment may sit under several gaps (a gap and its
 * parent): a segment that is itself a gap maps to itself, any other to the first gap id in order. Every gap maps to
 * itself, even one the tree does not know. Pure.
 */
export function gapScopes(structure: Structure, gapIds: readonly string[]): Map<string, string> {
  const gaps = new Set(gapIds);
  const scopeToGap = new Map<string, string>();
  for (const [segmentId, roots] of Object.entries(structure.scopeRoots)) {
    if (gaps.has(segmentId)) continue;
    let first: string | undefined;
    for (const root of roots) if (gaps.has(root) && (first === undefined || root < first)) first = root;
    if (first !== undefined) scopeToGap.set(segmentId, first);
  }
  for (const id of gapIds) scopeToGap.set(id, id);
  return scopeToGap;
}
