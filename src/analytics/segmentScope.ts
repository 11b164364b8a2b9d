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
