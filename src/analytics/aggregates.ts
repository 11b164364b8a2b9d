import neo4j from 'neo4j-driver';

import { HUB_MIN_SUPPLY_LINKS } from '../config.js';
import { cypher, type CypherQuery } from '../data/cypher.js';
import { STRUCTURE_STATE_ID } from '../data/changes.js';
import type { Executor, Row } from '../data/executor.js';
import { candidateRankBatchQuery, candidateRankQuery, KEY_SEPARATOR_LITERAL } from './candidates.js';
import {
  InternalLabel as I,
  MAX_REGION_DEPTH,
  MAX_SEGMENT_DEPTH,
  NodeLabel as L,
  PROVENANCE_SOURCES,
  RelationshipType as T,
} from '../data/model.js';

/**
 * The chain analytics' aggregates, kept in Neo4j so that no answer recounts the firms of a region.
 *
 * What the gap statuses need — per region (sub-regions included) and segment (narrower segments included, each firm
 * counted once): enterprises, leading, high-tech, platforms, and supply edges from local / outside suppliers — is
 * counted once per *home region* (the region a firm or platform is LOCATED_IN) into an `AggregateCell`, and summed
 * from the cells into one `RegionAggregate` per region and provenance filter. A request reads a handful of those.
 *
 * Provenance: every count is kept for each of the 7 non-empty combinations of sources, because a firm counts under a
 * filter only if every fact on one of its paths (the firm, its location, its segment link, the segment) has a source
 * in the filter. A cell therefore records, per group of firms, the *codes* of those paths — each code the set of
 * sources a path needs, as bits — and a filter admits the group when it covers one of the codes.
 *
 * Freshness: every write through `upsertAll` records an `AggregateChange` naming the home regions it touched (before
 * and after the write) in the same transaction. `refreshAggregates` recounts the cells of those homes, folds the
 * difference into their ancestors' sums (withCellChange) and deletes the changes it consumed — all in one
 * transaction, serialised across processes by a lock on the `AggregateState` node, so that a settled graph gives
 * exactly what a full recount gives.
 */

/** Bits of the provenance sources; a code is the OR of the sources a path needs. */
const SOURCE_BIT: Readonly<Record<string, number>> = { PLAN: 1, PUBLIC: 2, ILLUSTRATIVE: 4 };
/** A path with a source outside the closed list (or none) never counts, under any filter. */
const NEVER = 8;

/** The canonical key of a provenance filter: its sources in the closed list's order, joined by '+'. */
export function filterKey(sources: readonly string[]): string {
  return PROVENANCE_SOURCES.filter((source) => sources.includes(source)).join('+');
}

export function filterMask(key: string): number {
  return key.split('+').reduce((mask, source) => mask | (SOURCE_BIT[source] ?? 0), 0);
}

/** The 7 non-empty source combinations, each kept by every region aggregate. */
export const FILTER_KEYS: readonly string[] = Array.from({ length: 7 }, (_, index) =>
  filterKey(PROVENANCE_SOURCES.filter((_source, bit) => ((index + 1) >> bit) & 1)),
);

/** Whether a filter admits a group whose paths need the given codes: it must cover at least one of them. */
export function admits(mask: number, codes: readonly number[]): boolean {
  return codes.some((code) => code < NEVER && (code & ~mask) === 0);
}

/** Cypher: the code of a list of source values (an expression that evaluates to a list of strings). */
function codeOf(list: string): string {
  return `CASE WHEN any(x IN ${list} WHERE x IS NULL OR NOT x IN ['PLAN', 'PUBLIC', 'ILLUSTRATIVE']) THEN ${NEVER}
    ELSE (CASE WHEN 'PLAN' IN ${list} THEN 1 ELSE 0 END) + (CASE WHEN 'PUBLIC' IN ${list} THEN 2 ELSE 0 END)
       + (CASE WHEN 'ILLUSTRATIVE' IN ${list} THEN 4 ELSE 0 END) END`;
}

/** Cypher: the distinct values of a list expression, in first-seen order. */
const distinctOf = (list: string): string =>
  `reduce(acc = [], x IN ${list} | CASE WHEN x IN acc THEN acc ELSE acc + x END)`;

// --- Structure: the region tree and the segment tree, small enough to hand to every statement as parameters ---

export interface Structure {
  /** Each region with itself and its ancestors, nearest first, up to MAX_REGION_DEPTH steps. */
  readonly ancestors: Record<string, string[]>;
  /** Each segment with the segments whose scope it is in: itself and its broader segments. */
  readonly scopeRoots: Record<string, string[]>;
  /** Each segment with the segments it feeds and each FEEDS link's source: [[targetId, source], …]. */
  readonly feeds: Record<string, [string, string | null][]>;
}

export const structureQuery: CypherQuery = cypher(
  `CALL {
     MATCH (r:${L.Region})
     RETURN collect([r.id, COLLECT { MATCH (r)-[:${T.PART_OF}]->(p:${L.Region}) RETURN p.id ORDER BY p.id }]) AS regions
   }
   CALL {
     MATCH (s:${L.ChainSegment})
     RETURN collect([s.id,
       COLLECT { MATCH (s)-[:${T.SUBSEGMENT_OF}]->(p:${L.ChainSegment}) RETURN p.id ORDER BY p.id },
       COLLECT { MATCH (s)-[f:${T.FEEDS}]->(t:${L.ChainSegment}) RETURN [t.id, f.source] }]) AS segments
   }
   RETURN regions, segments`,
  {},
);

/** Walks parent links breadth-first (a node may have several parents), up to `maxDepth` steps, self first. */
function upwards(id: string, parents: ReadonlyMap<string, readonly string[]>, maxDepth: number): string[] {
  const seen = new Set([id]);
  let frontier = [id];
  for (let depth = 0; depth < maxDepth && frontier.length > 0; depth += 1) {
    const next: string[] = [];
    for (const node of frontier) {
      for (const parent of parents.get(node) ?? []) {
        if (!seen.has(parent)) {
          seen.add(parent);
          next.push(parent);
        }
      }
    }
    frontier = next;
  }
  return [...seen];
}

export function structureFrom(row: Row | undefined): Structure {
  const regions = (row?.['regions'] as [string, string[]][] | undefined) ?? [];
  const segments = (row?.['segments'] as [string, string[], [string, string | null][]][] | undefined) ?? [];
  const regionParents = new Map(regions.map(([id, parents]) => [id, parents]));
  const segmentParents = new Map(segments.map(([id, parents]) => [id, parents]));
  return {
    ancestors: Object.fromEntries(regions.map(([id]) => [id, upwards(id, regionParents, MAX_REGION_DEPTH)])),
    scopeRoots: Object.fromEntries(
      segments.map(([id]) => [id, upwards(id, segmentParents, MAX_SEGMENT_DEPTH)]),
    ),
    feeds: Object.fromEntries(segments.map(([id, , feeds]) => [id, feeds])),
  };
}

// --- Counting statements: per home region, or for a given set of firms (the firms a scenario leaves out) ---

/**
 * Whose facts to count: the firms (and platforms) located in these homes (null: everywhere), or these firms — for a
 * segment scenario (impactOfLosing a segment) with, beside their codes, the codes they would still count had they
 * stopped operating in `excludeSegmentIds` (`keptCodes`; their other segments kept). A firm scope's counts are
 * subqueries of a statement that has found those firms' nodes (SCOPE_FIRMS).
 */
export type CountScope = HomeScope | FirmScope;
export interface HomeScope {
  readonly homeIds: readonly string[] | null;
}
export interface FirmScope {
  readonly firmIds: readonly string[];
  /**
   * Each row also says, in `keptCodes`, what its firms (or pairs) count without the scope firms' operations in
   * these segments (empty: they would not count there at all). One walk gives both counts a segment scenario
   * subtracts — with every operation and without these — where two walks, one per count, read every firm and pair
   * twice. Its firm rows are only those under the excluded segments' scope roots and ALL_SEGMENTS: elsewhere every
   * row keeps its codes (lostRootsOf).
   */
  readonly excludeSegmentIds?: readonly string[];
  /**
   * Count only the supply pairs whose buyer is located in one of these homes (null or absent: every pair). A
   * scenario reads the supply figures of one region only, and most pairs of its firms have their buyer elsewhere.
   */
  readonly buyerHomeIds?: readonly string[] | null;
  /**
   * With `buyerHomeIds`: the scope firms known to supply a firm located in one of those homes (absent: unknown).
   * The others add no pair as a supplier, so their links out are not walked. A segment scenario knows them from
   * walking its firms' links for the buyers their loss strands (facts.ts readSegmentLosses); an upstream segment's
   * firms mostly supply elsewhere.
   */
  readonly localSupplierIds?: readonly string[];
}

/**
 * The variable in which a statement that embeds a firm scope's counts (facts.ts contributionsQuery) holds the nodes
 * of `firmIds`, found once for both counts. Found by each count, the 378 firms of the bench's largest segment loss at
 * a million firms cost 756 more db hits and about 3 ms of its 55–60 (alternated, 60 pairs twice).
 */
export const SCOPE_FIRMS = 'scopeFirms';

const isFirmScope = (scope: CountScope): scope is FirmScope => 'firmIds' in scope;

/** Whether the rows carry `keptCodes` (a firm scope with excluded segments). */
export const splitsKept = (scope: CountScope): boolean =>
  isFirmScope(scope) && (scope.excludeSegmentIds?.length ?? 0) > 0;

/** Whether the links out of only the scope's known local suppliers are walked (FirmScope.localSupplierIds). */
const walksKnownSuppliers = (
  scope: CountScope,
): scope is FirmScope & { localSupplierIds: readonly string[] } =>
  isFirmScope(scope) && scope.localSupplierIds !== undefined && (scope.buyerHomeIds ?? null) !== null;

/** Whether the operation of `firm` in `segment` is kept (not one of the scope firms' excluded operations). */
const keptOperation = (firm: string, segment: string): string =>
  `NOT (${firm}.id IN $firmIds AND ${segment}.id IN $excludeSegmentIds)`;

function homeFilter(scope: CountScope, variable: string): string {
  return !isFirmScope(scope) && scope.homeIds !== null ? `WHERE ${variable}.id IN $homeIds` : '';
}

function scopeParams(scope: CountScope): Record<string, unknown> {
  return isFirmScope(scope)
    ? {
        firmIds: scope.firmIds,
        excludeSegmentIds: scope.excludeSegmentIds ?? [],
        buyerHomeIds: scope.buyerHomeIds ?? null,
        ...(walksKnownSuppliers(scope) ? { localSupplierIds: scope.localSupplierIds } : {}),
      }
    : { homeIds: scope.homeIds ?? [] };
}

/**
 * The pseudo segment under which every firm operating in any segment is counted once: the location quotient's
 * denominator (a region's firms in all segments, src/analytics/scale.ts).
 */
export const ALL_SEGMENTS = '*';

/**
 * Enterprises per (home, segment scope, codes), with how many are leading and high-tech, and how many are listed
 * (have a stock code) — of which how many have a revenue, and its sum in thousand CNY (an integer, so that sums are
 * exact whatever the order). Each firm also counts once under ALL_SEGMENTS.
 */
export function firmCountsQuery(scope: CountScope, structure: Structure): CypherQuery {
  const split = splitsKept(scope);
  const figures = `[CASE WHEN e.leading = true THEN 1 ELSE 0 END, CASE WHEN e.highTech = true THEN 1 ELSE 0 END,
           CASE WHEN e.stockCode IS NOT NULL THEN 1 ELSE 0 END,
           CASE WHEN e.stockCode IS NOT NULL AND e.revenueCnyMillion IS NOT NULL THEN 1 ELSE 0 END,
           CASE WHEN e.stockCode IS NOT NULL AND e.revenueCnyMillion IS NOT NULL
                THEN toInteger(round(e.revenueCnyMillion * 1000)) ELSE 0 END] AS figures`;
  // Each operation's code once, before it is counted under each of its scope roots: written inline, the four
  // sources were read again for every test of the code and every root (36,600 db hits for 540 rows of a scenario).
  // The firm's own figures, its home's id, and the sources of the firm and of its location are read once per firm,
  // not once per operation or (firm, scope root) row: counted in the aggregation, they were read again for every
  // segment the firm counts under.
  //
  // A firm scope (a scenario's firms) reads each firm's homes and operations from the keys it keeps (candidates.ts
  // RANK_BODY: `rankHomeKeys`, `rankOperationKeys`, each an id with the link's provenance), two property reads, and
  // each segment they name once. A firm without them (written since the last refresh, or a store whose keys are being
  // built) is walked, in one walk over its relationships. The keys are as current as the counts a scenario subtracts
  // from (see KEPT_SUPPLIER_HOMES). The bench's largest segment loss at a million firms (378 firms) walked its firms'
  // links, read their far ends' labels, ids and provenance, and every operation's segment again: its statement went
  // from 29,854 to 20,577 db hits, and 2.6–2.8 ms faster (median of 60 runs alternated with the walk, of 50–60 ms:
  // most of its time is property reads, which these keys do not reduce). The whole store's counts keep the MATCHes,
  // which the planner can start from the regions.
  const separator = KEY_SEPARATOR_LITERAL;
  // [located?, the far end's id, the link's provenance] of each kept key (a provenance kept as '' was none).
  const keptLinks = (keys: string, located: boolean) =>
    `[parts IN [key IN ${keys} | [split(key, ${separator})[0], key]] |
       [${located}, parts[0], CASE WHEN size(parts[1]) = size(parts[0]) + 1 THEN null ELSE substring(parts[1], size(parts[0]) + 1) END]]`;
  const firmScope = isFirmScope(scope);
  const operations = firmScope
    ? `UNWIND ${SCOPE_FIRMS} AS e
       WITH e, e.rankHomeKeys AS homeKeys, e.rankOperationKeys AS operationKeys
       WITH e, CASE WHEN homeKeys IS NULL OR operationKeys IS NULL
                 THEN COLLECT {
                   MATCH (e)-[r:${T.LOCATED_IN}|${T.OPERATES_IN}]->(n)
                   WHERE CASE type(r) WHEN '${T.LOCATED_IN}' THEN n:${L.Region} ELSE n:${L.ChainSegment} END
                   RETURN [type(r) = '${T.LOCATED_IN}', n.id, r.source]
                 }
                 ELSE ${keptLinks('homeKeys', true)} + ${keptLinks('operationKeys', false)} END AS links
       UNWIND [link IN links WHERE link[0]] AS located
       WITH located[1] AS homeId, e, [e.source, located[2]] AS firmSources, links, ${figures}
       UNWIND [link IN links WHERE NOT link[0]] AS operation
       WITH operation[1] AS segmentKey, collect([homeId, e, figures, firmSources, operation[2]]) AS operations
       MATCH (d:${L.ChainSegment} { id: segmentKey })
       WITH segmentKey, d.source AS segmentSource, operations
       UNWIND operations AS operation
       WITH operation[0] AS homeId, operation[1] AS e, operation[2] AS figures, operation[3] AS firmSources,
            segmentKey, segmentSource, operation[4] AS operationSource`
    : `MATCH (home:${L.Region})<-[loc:${T.LOCATED_IN}]-(e:${L.Enterprise}) ${homeFilter(scope, 'home')}
       WITH home.id AS homeId, e, [e.source, loc.source] AS firmSources, ${figures}
       MATCH (e)-[op:${T.OPERATES_IN}]->(d:${L.ChainSegment})
       WITH homeId, e, figures, firmSources, d, op.source AS operationSource`;
  // The operation's segment: its id and provenance, read once per segment in a firm scope, per operation otherwise.
  const segment = firmScope
    ? { carried: 'segmentKey', id: 'segmentKey', source: 'segmentSource' }
    : { carried: 'd', id: 'd.id', source: 'd.source' };
  return cypher(
    `${operations}
     WITH homeId, e, figures, ${segment.carried}, firmSources + [operationSource, ${segment.source}] AS operationSources${
       // A split scope's firms are all scope firms: only the segment decides whether the operation is kept.
       split ? `, NOT ${segment.id} IN $excludeSegmentIds AS kept` : ''
     }
     WITH homeId, e, figures, ${segment.carried}, ${codeOf('operationSources')} AS code${split ? ', kept' : ''}
     UNWIND ${split ? `[root IN coalesce($scopeRoots[${segment.id}], []) WHERE root IN $lostRoots]` : `coalesce($scopeRoots[${segment.id}], [])`} + ['${ALL_SEGMENTS}'] AS segmentId
     WITH homeId, e, figures, segmentId, collect(DISTINCT code) AS codes${
       split ? `, collect(DISTINCT CASE WHEN kept THEN code END) AS keptCodes` : ''
     }
     RETURN homeId, segmentId, codes, ${split ? 'keptCodes, ' : ''}count(*) AS n,
            sum(figures[0]) AS leading, sum(figures[1]) AS highTech, sum(figures[2]) AS listed,
            sum(figures[3]) AS listedWithRevenue, sum(figures[4]) AS listedRevenue`,
    {
      ...scopeParams(scope),
      scopeRoots: structure.scopeRoots,
      ...(split && isFirmScope(scope) ? { lostRoots: lostRootsOf(scope, structure) } : {}),
    },
  );
}

/**
 * The segment scopes a split scope's firms can leave (firmCountsQuery): the scope roots of its excluded segments. An
 * operation counts under each root of its segment; under a root outside these, every operation that counts is in a
 * segment that is not excluded, so each row there keeps its codes and no scenario subtracts it. The firm rows are
 * cut there, before they are grouped, rather than built and dropped by the scenario's filter (facts.ts
 * contributionsQuery): the '*' row, which counts every operation, is always kept. A bench firm has about two
 * operations, often in another chain: in the bench's heaviest segment loss at a million firms (bio-antibiotic-apis,
 * 378 firms) the counting statement ran 0.6–1.6 ms faster alone, of 16–28 ms (medians of six runs of 70–80
 * statements alternated with the uncut one, in both orders; the six draws' answers the same).
 */
function lostRootsOf(scope: FirmScope, structure: Structure): string[] {
  return [
    ...new Set((scope.excludeSegmentIds ?? []).flatMap((segmentId) => structure.scopeRoots[segmentId] ?? [])),
  ];
}

/** Platforms per (home, segment scope, codes). Platforms do not depend on firms: scenarios never change them. */
export function platformCountsQuery(
  scope: { readonly homeIds: readonly string[] | null },
  structure: Structure,
) {
  return cypher(
    `MATCH (home:${L.Region})<-[:${T.LOCATED_IN}]-(p:${L.Platform}) ${homeFilter(scope, 'home')}
     MATCH (p)-[support:${T.SUPPORTS}]->(d:${L.ChainSegment})
     UNWIND coalesce($scopeRoots[d.id], []) AS segmentId
     WITH home, p, segmentId, collect(DISTINCT ${codeOf('[p.source, support.source]')}) AS codes
     RETURN home.id AS homeId, segmentId, codes, count(*) AS n`,
    { ...scopeParams(scope), scopeRoots: structure.scopeRoots },
  );
}

/**
 * Cypher: the segments supplier `sp` operates in directly (with whether each is kept, in a split scope). The far
 * end's label is not checked: an OPERATES_IN link only ever ends at a segment (its one write path, src/ingest/
 * batches.ts), and the check cost a db hit per operation of every supplier — a scenario's suppliers are thousands
 * at a million firms (losing a segment's largest statement: 62.7 ms, 53.7 without the checks).
 */
const SUPPLIER_SEGMENTS = (split: boolean) =>
  `COLLECT { MATCH (sp)-[:${T.OPERATES_IN}]->(d) RETURN DISTINCT ${split ? `[d.id, ${keptOperation('sp', 'd')}]` : 'd.id'} }`;

/** Cypher: the home regions of supplier `sp` (a LOCATED_IN link only ever ends at a region: not checked). */
const SUPPLIER_HOMES = `COLLECT { MATCH (sp)-[:${T.LOCATED_IN}]->(h) RETURN DISTINCT h.id }`;

/** Joins a hub row's supply sources (hubKey): a character no source value has. */
const HUB_SOURCE_SEPARATOR = '\u001f';

/**
 * Cypher: the supply sources of a pair (a list) as one string, in the closed list's order, any other value after
 * them: every source preceded by the separator, so that splitting and dropping the first (empty) part gives them back.
 */
const HUB_SOURCES_KEY = (list: string) =>
  `reduce(key = '', source IN [source IN ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'] WHERE source IN ${list}]
                              + [source IN ${list} WHERE NOT source IN ['PLAN', 'PUBLIC', 'ILLUSTRATIVE']] |
          key + $hubSeparator + source)`;

/**
 * SUPPLIER_SEGMENTS and SUPPLIER_HOMES as a scenario reads them: from the ids the supplier keeps of its segments and
 * homes (candidates.ts RANK_BODY) — one property read where the walk reads every relationship of the supplier — and
 * walked for a supplier without them (created since the last refresh, or a store whose keys are being built). A
 * scenario is subtracted from the aggregates of the last refresh (reports.ts checkedGapFacts catches up first), which
 * recomputed the keys of every firm written before it; a write since (the answer's `basis.pendingChanges`) leaves a
 * supplier's keys no staler than the counts. The refresh's own counts always walk: a rebuild of every cell runs before
 * the keys are computed again, and must not trust keys a tool outside the service may have left stale.
 * At a million firms this took losing a segment's largest statement (2,091 suppliers) from 57.9 to 50.5 ms alone
 * (the two texts alternated on one store).
 */
const KEPT_SUPPLIER_SEGMENTS = (split: boolean) =>
  `CASE WHEN sp.rankSegmentIds IS NULL THEN ${SUPPLIER_SEGMENTS(split)}
        ELSE ${split ? `[segmentKey IN sp.rankSegmentIds | [segmentKey, NOT (sp.id IN $firmIds AND segmentKey IN $excludeSegmentIds)]]` : 'sp.rankSegmentIds'} END`;
const KEPT_SUPPLIER_HOMES = `CASE WHEN sp.rankHomeIds IS NULL THEN ${SUPPLIER_HOMES} ELSE sp.rankHomeIds END`;

/**
 * Supplier–buyer pairs per (buyer's home, segment scope, codes, where the supplier counts as local). A pair counts
 * for segment S when the supplier operates in S's scope and the buyer in a segment S feeds; it is local for the
 * buyer's ancestor at index i of its ancestor list (`localAt`) when the supplier is located in that ancestor's
 * subtree. Each pair counts once, however many SUPPLIES links it has (their sources are alternatives).
 *
 * With `hubMinLinks`, a buyer with at least that many SUPPLIES links in (a hub) has its pairs' rows kept apart:
 * `hubId` is its id and `hubKey` [the supplier's source, its supply sources joined by HUB_SOURCE_SEPARATOR, each
 * preceded by it], from which the refresh builds the hub's summary (hubSummariesFrom). Other rows have both null.
 *
 * A firm scope (a scenario's few firms) returns the supplier's homes (`supplierHomes`) instead of `localAt`: the
 * scenario's statement (facts.ts contributionsQuery) tests them against the few regions it counts for. The region
 * tree as a parameter (every region with its ancestors, 238 KB of 267 at 200,000 firms) cost more to send and decode
 * than counting a firm's pairs did.
 */
export function supplyCountsQuery(
  scope: CountScope,
  structure: Structure,
  hubMinLinks?: number,
): CypherQuery {
  if (isFirmScope(scope)) return firmSupplyCountsQuery(scope, structure);
  const hubs = hubMinLinks !== undefined;
  return cypher(
    `MATCH (hb:${L.Region})<-[lb:${T.LOCATED_IN}]-(b:${L.Enterprise}) ${homeFilter(scope, 'hb')}
     WITH hb, b, lb, COLLECT { MATCH (b)-[op:${T.OPERATES_IN}]->(t:${L.ChainSegment}) RETURN [t.id, op.source, t.source] } AS buyerOps
     WHERE size(buyerOps) > 0
     WITH hb, b, lb, buyerOps, ${hubs ? `CASE WHEN COUNT { (b)<-[:${T.SUPPLIES}]-() } >= $hubMinLinks THEN b.id END` : 'null'} AS hubId
     MATCH (b)<-[sup:${T.SUPPLIES}]-(sp:${L.Enterprise})
     WITH hb, b, lb, buyerOps, hubId, sp, collect(DISTINCT sup.source) AS supplySources
     WITH hb, b, lb, buyerOps, hubId, sp, supplySources,
          ${SUPPLIER_SEGMENTS(false)} AS supplierSegments, ${SUPPLIER_HOMES} AS supplierHomes
     // The pair's own sources read once (the codes below test them for every supply source and route).
     WITH hb, b, buyerOps, sp, supplySources, [b.source, lb.source, sp.source] AS pairSources, supplierHomes, hubId,
          ${hubs ? `CASE WHEN hubId IS NULL THEN null ELSE [coalesce(sp.source, ''), ${HUB_SOURCES_KEY('supplySources')}] END` : 'null'} AS hubKey,
          reduce(acc = [], d IN supplierSegments | acc + [s IN coalesce($scopeRoots[d], []) WHERE NOT s IN acc]) AS segmentIds
     UNWIND segmentIds AS segmentId
     WITH hb, supplySources, pairSources, supplierHomes, segmentId, hubId, hubKey,
          reduce(acc = [], fe IN coalesce($feeds[segmentId], []) |
            acc + [bo IN buyerOps WHERE bo[0] = fe[0] | [fe[1], bo[1], bo[2]]]) AS routes
     WHERE size(routes) > 0
     WITH hb, segmentId, supplierHomes, hubId, hubKey,
          reduce(acc = [], a IN supplySources |
            acc + [r IN routes | ${codeOf('(pairSources + [a] + r)')}]) AS allCodes
     WITH hb, segmentId, supplierHomes, hubId, hubKey,
          ${distinctOf('allCodes')} AS codes,
          coalesce($ancestors[hb.id], [hb.id]) AS buyerAncestors,
          reduce(acc = [], h IN supplierHomes | acc + coalesce($ancestors[h], [h])) AS supplierAncestors
     RETURN hb.id AS homeId, segmentId, codes,
            [i IN range(0, size(buyerAncestors) - 1) WHERE buyerAncestors[i] IN supplierAncestors] AS localAt,
            hubId, hubKey, count(*) AS n`,
    {
      ...scopeParams(scope),
      scopeRoots: structure.scopeRoots,
      feeds: structure.feeds,
      ancestors: structure.ancestors,
      ...(hubs ? { hubMinLinks: neo4j.int(hubMinLinks), hubSeparator: HUB_SOURCE_SEPARATOR } : {}),
    },
  );
}

/**
 * Cypher, for a split scope: whether scope firm `firm` can lose a pair as its buyer — whether one of its left-out
 * operations is in a segment something feeds. A pair counts under its supplier's segment S through the buyer's
 * operations S feeds (`$fedBy`); when none of those is left out, every route of the pair is kept, its kept codes are
 * its codes and it stays — unless its supplier is a scope firm too and loses S, a pair read from that supplier's side
 * (as every pair between two scope firms is: read from both sides, it is one pair). So such a firm's links in, and
 * its hub summary, are not read: losing an upstream segment (one nothing feeds) reads none of them. The bench's
 * largest segment loss at a million firms (bio-antibiotic-apis, upstream, 378 firms) read its firms' suppliers for
 * 285 rows, every one of which stayed; without them its counting statement is 8–11 ms of about 37 faster (alternated,
 * 40 pairs twice), with the same rows.
 */
const LOSES_AS_BUYER = (firm: string): string =>
  `CASE WHEN size($fedExcluded) = 0 THEN false
        ELSE EXISTS { MATCH (${firm})-[:${T.OPERATES_IN}]->(t:${L.ChainSegment}) WHERE t.id IN $fedExcluded } END`;

/**
 * supplyCountsQuery for a firm scope (a scenario's firms): every supply pair one of them is part of, as a supplier
 * or as a buyer, per (buyer's home, segment scope, codes[, kept codes], supplier homes), with `n` the pairs.
 *
 * Each buyer's routes — [segment S feeding one of its operations, the sources of the route (buyer, its location,
 * the FEEDS link, the operation, the fed segment), whether that operation is kept] — are listed once per buyer from
 * the segments that feed its operations (`$fedBy`), and each supplier's scope segments once per supplier; a pair
 * then only picks the routes of its supplier's segments. Built per pair, from each of the supplier's segments' FEEDS
 * links against each of the buyer's operations, the routes cost more than the walk itself: losing a segment's
 * largest statement at a million firms (2,103 suppliers of 143 firms) took 57–63 ms alone, 41–46 ms this way
 * (bench/analyticsProbe.ts, two runs each).
 *
 * A scope firm with a summary of the links into it in each of its homes (a hub, HubSupply) is not walked as a buyer:
 * its summary's rows count instead, each for its number of pairs. Their supplier homes are one region, the deepest
 * that holds both the supplier's and the buyer's home: the pair is local to a region over the buyer's home exactly
 * when that region holds it. A summary counts every supplier's operations as kept; in a split scope, a pair from a
 * scope supplier into such a hub whose segment is not kept is counted as it is (+1) and as the summary counted it
 * (−1). Without a split the two agree and the summary alone counts the pair.
 */
function firmSupplyCountsQuery(scope: FirmScope, structure: Structure): CypherQuery {
  const split = splitsKept(scope);
  const knownSuppliers = walksKnownSuppliers(scope);
  const kept = (firm: string, segment: string) => (split ? `, ${keptOperation(firm, segment)}` : '');
  const routeCodes = (routes: string) =>
    `reduce(acc = [], a IN supplySources | acc + [r IN ${routes} | ${codeOf('(r[1] + [supplierSource, a])')}])`;
  const fedBy: Record<string, [string, string | null][]> = {};
  for (const [segmentId, fed] of Object.entries(structure.feeds))
    for (const [target, source] of fed) (fedBy[target] ??= []).push([segmentId, source]);
  // The left-out segments something feeds: only through one of those can a scope firm lose a pair as the buyer.
  const fedExcluded = (scope.excludeSegmentIds ?? []).filter((segmentId) => fedBy[segmentId] !== undefined);
  const buyerRoutes = (buyer: string) =>
    `reduce(acc = [], bo IN COLLECT { MATCH (${buyer})-[op:${T.OPERATES_IN}]->(t:${L.ChainSegment}) RETURN [t.id, op.source, t.source${kept(buyer, 't')}] } |
            acc + [fe IN coalesce($fedBy[bo[0]], []) | [fe[0], [${buyer}.source, lb.source, fe[1], bo[1], bo[2]]${split ? ', bo[3]' : ''}]])`;
  // SUPPLIES links only join enterprises (their one write path, src/ingest/batches.ts): the far ends' labels are not
  // checked, as SUPPLIER_SEGMENTS does not check a segment's.
  return cypher(
    `// The scope firms with a summary for each of their homes (and only those: the others' homes are not walked).
     CALL () {
       UNWIND $firmIds AS firmId
       MATCH (hs:${I.HubSupply} { firmId: firmId })
       WITH firmId, collect(hs.homeId) AS summarised
       MATCH (x:${L.Enterprise} { id: firmId })
       WITH x, summarised, COLLECT { MATCH (x)-[:${T.LOCATED_IN}]->(h:${L.Region}) RETURN DISTINCT h.id } AS homes
       WHERE size(homes) = size(summarised) AND all(home IN homes WHERE home IN summarised)
       RETURN collect(x.id) AS hubbedIds
     }
     CALL (hubbedIds, ${SCOPE_FIRMS}) {
       UNWIND ${SCOPE_FIRMS} AS x
       WITH x, x.id IN hubbedIds AS hubbed${knownSuppliers ? ', x.id IN $localSupplierIds AS supplies' : ''}
       // A hub's links in are never walked (its summary counts them, in the hub branch below, which asks the same).
       WITH x, hubbed${knownSuppliers ? ', supplies' : ''}${split ? `, CASE WHEN hubbed THEN false ELSE ${LOSES_AS_BUYER('x')} END AS losesAsBuyer` : ''}
       ${
         knownSuppliers
           ? `// A firm that supplies no buyer of the wanted homes, and loses no pair as a buyer, is not walked at all.
       WHERE supplies OR (NOT hubbed${split ? ' AND losesAsBuyer' : ''})`
           : ''
       }
       // Both directions in one walk over the firm's relationships (two walked them twice: at a million firms,
       // 6,184 of losing a segment's 48,130 db hits). A pair seen twice (a self-link, or two scope firms linked)
       // only repeats a source that collect(DISTINCT) drops.
       MATCH (x)-[sup:${T.SUPPLIES}]-(other)
       WITH x, sup, other, startNode(sup) = x AS outgoing
       WHERE ${knownSuppliers ? '(outgoing AND supplies)' : 'outgoing'} OR (NOT outgoing AND NOT hubbed${split ? ' AND losesAsBuyer' : ''})
       WITH CASE WHEN outgoing THEN other ELSE x END AS b, CASE WHEN outgoing THEN x ELSE other END AS sp, sup
       // A scenario's buyers outside the wanted homes, told by the ids of its homes the buyer keeps (as
       // KEPT_SUPPLIER_HOMES), are not walked: most buyers of a segment's firms lie elsewhere (losing
       // bio-antibiotic-apis in a city at a million firms: 813 buyers walked, 9,322 db hits, to keep 74). They are
       // dropped link by link, before the links are grouped into pairs (grouped first, that city's 1,478 pairs cost
       // 2,500 more db hits, of 38,400).
       WHERE $buyerHomeIds IS NULL OR any(home IN coalesce(b.rankHomeIds, [null]) WHERE home IS NULL OR home IN $buyerHomeIds)
       WITH b, sp, collect(DISTINCT sup.source) AS supplySources
       // A scenario firm is the buyer of all its suppliers' pairs and the supplier of all its buyers': each buyer's
       // home and routes, and each supplier's segments and homes, are read once, not once per pair.
       WITH b, b.id IN hubbedIds AS corrective, collect([sp, supplySources]) AS suppliers
       ${split ? '' : 'WHERE NOT corrective'}
       MATCH (hb:${L.Region})<-[lb:${T.LOCATED_IN}]-(b)
       WHERE $buyerHomeIds IS NULL OR hb.id IN $buyerHomeIds
       WITH hb, corrective, suppliers, ${buyerRoutes('b')} AS buyerRoutes
       WHERE size(buyerRoutes) > 0
       UNWIND suppliers AS supplier
       WITH supplier[0] AS sp, collect([hb, buyerRoutes, supplier[1], corrective]) AS buyers
       WITH sp, buyers, ${KEPT_SUPPLIER_SEGMENTS(split)} AS supplierSegments
       // The segments each of the supplier's operations counts under (with repeats: they only pick routes and are
       // tested for membership, never counted).
       WITH sp, buyers, ${
         split
           ? `reduce(acc = [], d IN supplierSegments | acc + coalesce($scopeRoots[d[0]], [])) AS segmentIds,
            reduce(acc = [], d IN supplierSegments | CASE WHEN d[1] THEN acc + coalesce($scopeRoots[d[0]], []) ELSE acc END) AS keptSegmentIds`
           : `reduce(acc = [], d IN supplierSegments | acc + coalesce($scopeRoots[d], [])) AS segmentIds`
       }
       // A supplier in none of the counted segments' scopes counts for nothing (its pairs have no segment below):
       // its homes are not read. A scenario's suppliers are mostly such, in other chains.
       WHERE size(segmentIds) > 0
       WITH sp.source AS supplierSource, buyers, ${KEPT_SUPPLIER_HOMES} AS supplierHomes, segmentIds${split ? ', keptSegmentIds' : ''}
       UNWIND buyers AS buyer
       WITH buyer[0] AS hb, buyer[2] AS supplySources, buyer[3] AS corrective, supplierSource, supplierHomes,${split ? ' keptSegmentIds,' : ''}
            [r IN buyer[1] WHERE r[0] IN segmentIds] AS routes
       UNWIND ${distinctOf('[r IN routes | r[0]]')} AS segmentId
       WITH hb, segmentId, supplierHomes, supplySources, supplierSource, corrective,
            [r IN routes WHERE r[0] = segmentId] AS segmentRoutes${split ? ', segmentId IN keptSegmentIds AS segmentKept' : ''}
       ${
         split
           ? `// [weight, whether the supplier's segment counts as kept]: see above for a scope supplier into a hub.
       UNWIND CASE WHEN NOT corrective THEN [[1, segmentKept]] WHEN segmentKept THEN [] ELSE [[1, false], [-1, true]] END AS variant
       RETURN hb, segmentId, supplierHomes, ${routeCodes('segmentRoutes')} AS allCodes,
              CASE WHEN variant[1] THEN ${routeCodes('[r IN segmentRoutes WHERE r[2]]')} ELSE [] END AS allKeptCodes,
              variant[0] AS weight`
           : `RETURN hb, segmentId, supplierHomes, ${routeCodes('segmentRoutes')} AS allCodes, 1 AS weight`
       }
       UNION ALL
       UNWIND hubbedIds AS hubId
       MATCH (hb:${L.Region})<-[lb:${T.LOCATED_IN}]-(x:${L.Enterprise} { id: hubId })
       WHERE ($buyerHomeIds IS NULL OR hb.id IN $buyerHomeIds)${split ? ` AND ${LOSES_AS_BUYER('x')}` : ''}
       MATCH (hs:${I.HubSupply} { id: hubId + $hubSeparator + hb.id })
       // The summary's columns are read once each: indexed per row as properties (hs.counts[row]), every row read and
       // decoded each whole array again, five times — a hub of hundreds of rows cost a tenth of losing a segment's
       // largest statement at a million firms (Java Flight Recorder), about 4 ms of its 50–55 (alternated, 60 pairs
       // twice).
       WITH hb, ${buyerRoutes('x')} AS buyerRoutes, hs.segmentIds AS rowSegments, hs.supplySources AS rowSupplySources,
            hs.supplierSources AS rowSupplierSources, hs.regionIds AS rowRegions, hs.counts AS rowCounts
       UNWIND range(0, size(rowCounts) - 1) AS row
       WITH hb, buyerRoutes, rowSegments[row] AS segmentId, tail(split(rowSupplySources[row], $hubSeparator)) AS supplySources,
            rowSupplierSources[row] AS supplierSource,
            CASE rowRegions[row] WHEN '' THEN [] ELSE [rowRegions[row]] END AS supplierHomes, rowCounts[row] AS weight
       WITH hb, segmentId, supplierHomes, supplySources, supplierSource, weight,
            [r IN buyerRoutes WHERE r[0] = segmentId] AS segmentRoutes
       WHERE size(segmentRoutes) > 0
       RETURN hb, segmentId, supplierHomes, ${routeCodes('segmentRoutes')} AS allCodes,${
         split ? ` ${routeCodes('[r IN segmentRoutes WHERE r[2]]')} AS allKeptCodes,` : ''
       } weight
     }
     RETURN hb.id AS homeId, segmentId, ${distinctOf('allCodes')} AS codes, ${split ? `${distinctOf('allKeptCodes')} AS keptCodes, ` : ''}supplierHomes, sum(weight) AS n`,
    {
      ...scopeParams(scope),
      scopeRoots: structure.scopeRoots,
      fedBy,
      hubSeparator: HUB_SOURCE_SEPARATOR,
      ...(split ? { fedExcluded } : {}),
    },
  );
}

// --- Cells and their sums (pure) ---

type FirmEntry = [
  segmentId: string,
  codes: number[],
  n: number,
  leading: number,
  highTech: number,
  listed?: number,
  listedWithRevenue?: number,
  listedRevenue?: number,
];
type PlatformEntry = [segmentId: string, codes: number[], n: number];
type SupplyEntry = [segmentId: string, codes: number[], localAt: number[], n: number];

/** What one home region contributes. */
export interface Cell {
  readonly firms: FirmEntry[];
  readonly platforms: PlatformEntry[];
  readonly supply: SupplyEntry[];
}

/** The counts of one segment in one region under one filter. */
export interface SegmentCounts {
  enterprises: number;
  leading: number;
  highTech: number;
  platforms: number;
  localSupplyEdges: number;
  outsideSupplyEdges: number;
  /** Listed firms (with a stock code): the population of the location quotient. */
  listed: number;
  /** Of which with a revenue. */
  listedWithRevenue: number;
  /** Their revenue, in thousand CNY. */
  listedRevenue: number;
}

export const NO_COUNTS: Readonly<SegmentCounts> = {
  enterprises: 0,
  leading: 0,
  highTech: 0,
  platforms: 0,
  localSupplyEdges: 0,
  outsideSupplyEdges: 0,
  listed: 0,
  listedWithRevenue: 0,
  listedRevenue: 0,
};

/** Segment id → counts. */
export type RegionCounts = Map<string, SegmentCounts>;

const numbers = (value: unknown): number[] => (value as unknown[]).map(Number);

/** Groups the three statements' rows into one cell per home region. */
export function cellsFrom(firms: readonly Row[], platforms: readonly Row[], supply: readonly Row[]) {
  const cells = new Map<string, Cell>();
  const cellOf = (homeId: unknown) => {
    const id = String(homeId);
    let cell = cells.get(id);
    if (!cell) cells.set(id, (cell = { firms: [], platforms: [], supply: [] }));
    return cell;
  };
  for (const row of firms) {
    cellOf(row['homeId']).firms.push([
      String(row['segmentId']),
      numbers(row['codes']),
      Number(row['n']),
      Number(row['leading']),
      Number(row['highTech']),
      Number(row['listed'] ?? 0),
      Number(row['listedWithRevenue'] ?? 0),
      Number(row['listedRevenue'] ?? 0),
    ]);
  }
  for (const row of platforms) {
    cellOf(row['homeId']).platforms.push([String(row['segmentId']), numbers(row['codes']), Number(row['n'])]);
  }
  // A hub's rows are apart from its home's others (supplyCountsQuery `hubId`): one entry per (segment, codes, local).
  const supplyEntries = new Map<string, SupplyEntry>();
  for (const row of supply) {
    const homeId = String(row['homeId']);
    const segmentId = String(row['segmentId']);
    const codes = numbers(row['codes']);
    const localAt = numbers(row['localAt']);
    const key = JSON.stringify([homeId, segmentId, codes, localAt]);
    const known = supplyEntries.get(key);
    if (known !== undefined) known[3] += Number(row['n']);
    else {
      const entry: SupplyEntry = [segmentId, codes, localAt, Number(row['n'])];
      supplyEntries.set(key, entry);
      cellOf(homeId).supply.push(entry);
    }
  }
  return cells;
}

/** The links into one hub firm in one home, grouped (HubSupply; see HUB_MIN_SUPPLY_LINKS). Parallel lists. */
export interface HubSummary {
  /** The firm's id and the home's, joined by the separator. */
  readonly id: string;
  readonly firmId: string;
  readonly homeId: string;
  /** The segment the pairs count under. */
  readonly segmentIds: string[];
  /** Their supply sources, joined (HUB_SOURCES_KEY). */
  readonly supplySources: string[];
  /** Their suppliers' source ('' for none). */
  readonly supplierSources: string[];
  /** The deepest region over both the supplier's and the hub's home ('' when none is). */
  readonly regionIds: string[];
  /** How many pairs. */
  readonly counts: number[];
}

/**
 * The hubs' summaries from a home scope's supply rows counted with `hubMinLinks` (supplyCountsQuery): per hub and
 * home, its rows per (segment, supplier source, supply sources, deepest common region), the region being the buyer's
 * ancestor at the row's first `localAt` index — its ancestors are nearest first, so that is the deepest.
 */
export function hubSummariesFrom(supply: readonly Row[], ancestors: Structure['ancestors']): HubSummary[] {
  const hubs = new Map<string, { summary: HubSummary; rows: Map<string, number> }>();
  for (const row of supply) {
    const firmId = row['hubId'];
    if (typeof firmId !== 'string') continue;
    const homeId = String(row['homeId']);
    const id = `${firmId}${HUB_SOURCE_SEPARATOR}${homeId}`;
    let hub = hubs.get(id);
    if (hub === undefined) {
      const summary: HubSummary = {
        id,
        firmId,
        homeId,
        segmentIds: [],
        supplySources: [],
        supplierSources: [],
        regionIds: [],
        counts: [],
      };
      hubs.set(id, (hub = { summary, rows: new Map() }));
    }
    const [supplierSource, supplySources] = row['hubKey'] as [string, string];
    const localAt = numbers(row['localAt']);
    const regionId = localAt.length > 0 ? ((ancestors[homeId] ?? [homeId])[localAt[0]!] ?? '') : '';
    const key = JSON.stringify([String(row['segmentId']), supplierSource, supplySources, regionId]);
    const index = hub.rows.get(key);
    if (index !== undefined) {
      hub.summary.counts[index]! += Number(row['n']);
      continue;
    }
    hub.rows.set(key, hub.summary.counts.length);
    hub.summary.segmentIds.push(String(row['segmentId']));
    hub.summary.supplierSources.push(supplierSource);
    hub.summary.supplySources.push(supplySources);
    hub.summary.regionIds.push(regionId);
    hub.summary.counts.push(Number(row['n']));
  }
  return [...hubs.values()].map((hub) => hub.summary);
}

/**
 * Makes the stored hub summaries of these homes (null: of every home) the given ones: each written only where it
 * changed, and the homes' others deleted (a firm no longer a hub, or gone, or moved away).
 */
export function replaceHubSummariesQuery(
  homeIds: readonly string[] | null,
  summaries: readonly HubSummary[],
): CypherQuery {
  return cypher(
    `CALL {
       UNWIND $summaries AS summary
       MERGE (hub:${I.HubSupply} { id: summary.id })
       WITH hub, summary
       WHERE hub.counts IS NULL OR hub.counts <> summary.counts OR hub.segmentIds <> summary.segmentIds
          OR hub.supplySources <> summary.supplySources OR hub.supplierSources <> summary.supplierSources
          OR hub.regionIds <> summary.regionIds OR hub.homeId <> summary.homeId OR hub.firmId <> summary.firmId
       SET hub += summary, hub.counts = [count IN summary.counts | toInteger(count)]
     }
     MATCH (stale:${I.HubSupply}) WHERE ($all OR stale.homeId IN $homeIds) AND NOT stale.id IN $ids
     DELETE stale`,
    {
      summaries,
      all: homeIds === null,
      homeIds: homeIds ?? [],
      ids: summaries.map((summary) => summary.id),
    },
  );
}

/** Stored cells, by home region (rows with `homeId` and `data`). */
export function parsedCells(rows: readonly Row[]): Map<string, Cell> {
  return new Map(rows.map((row) => [String(row['homeId']), JSON.parse(String(row['data'])) as Cell]));
}

/** The counts of a segment in a region under a filter, in `sums` (added, all zero, when missing). */
function countsIn(
  sums: Map<string, Map<string, RegionCounts>>,
  regionId: string,
  key: string,
  segmentId: string,
): SegmentCounts {
  let byFilter = sums.get(regionId);
  if (!byFilter) sums.set(regionId, (byFilter = new Map<string, RegionCounts>()));
  let bySegment = byFilter.get(key);
  if (!bySegment) byFilter.set(key, (bySegment = new Map<string, SegmentCounts>()));
  let counts = bySegment.get(segmentId);
  if (!counts) bySegment.set(segmentId, (counts = { ...NO_COUNTS }));
  return counts;
}

/**
 * Sums cells into the counts of the wanted regions under each filter: a home's cell counts for every ancestor of
 * the home (itself included) that is wanted. Returns region id → filter key → segment counts (`into`, when given).
 */
export function sumCells(
  cells: ReadonlyMap<string, Cell>,
  ancestors: Readonly<Record<string, readonly string[]>>,
  wanted: ReadonlySet<string> | null,
  filterKeys: readonly string[] = FILTER_KEYS,
  /** Sums to add to (returned), instead of new ones: the sums over homes add up. */
  into = new Map<string, Map<string, RegionCounts>>(),
): Map<string, Map<string, RegionCounts>> {
  const result = into;
  const masks = filterKeys.map((key) => [key, filterMask(key)] as const);
  const countsOf = (regionId: string, key: string, segmentId: string) =>
    countsIn(result, regionId, key, segmentId);
  for (const [homeId, cell] of cells) {
    const chain = ancestors[homeId] ?? [homeId];
    chain.forEach((regionId, index) => {
      if (wanted !== null && !wanted.has(regionId)) return;
      for (const [key, mask] of masks) {
        for (const [segmentId, codes, n, leading, highTech, listed, withRevenue, revenue] of cell.firms) {
          if (!admits(mask, codes)) continue;
          const counts = countsOf(regionId, key, segmentId);
          counts.enterprises += n;
          counts.leading += leading;
          counts.highTech += highTech;
          counts.listed += listed ?? 0;
          counts.listedWithRevenue += withRevenue ?? 0;
          counts.listedRevenue += revenue ?? 0;
        }
        for (const [segmentId, codes, n] of cell.platforms) {
          if (admits(mask, codes)) countsOf(regionId, key, segmentId).platforms += n;
        }
        for (const [segmentId, codes, localAt, n] of cell.supply) {
          if (!admits(mask, codes)) continue;
          const counts = countsOf(regionId, key, segmentId);
          if (localAt.includes(index)) counts.localSupplyEdges += n;
          else counts.outsideSupplyEdges += n;
        }
      }
    });
  }
  return result;
}

/** Every count of a segment, in encodeCounts' order: what withCellChange adds and subtracts field by field. */
const COUNT_FIELDS = [
  'enterprises',
  'leading',
  'highTech',
  'platforms',
  'localSupplyEdges',
  'outsideSupplyEdges',
  'listed',
  'listedWithRevenue',
  'listedRevenue',
] as const satisfies readonly (keyof SegmentCounts)[];

/**
 * The sums of the wanted regions after some homes' cells were replaced, from the sums before (`stored`), the replaced
 * cells' sums (`removed`) and the new cells' sums (`added`), all as sumCells gives them: stored − removed + added.
 * Exactly what sumCells over every cell after the change gives, because every count is a sum of whole numbers (the
 * revenue too, in thousand CNY: firmCountsQuery), and because an entry sumCells makes always has a count above 0 (a
 * row counts at least one firm, platform or pair): a segment left with nothing but zeros is dropped, and so is a
 * filter left with no segment, as a recount would never have made them. Null when a count would go below zero: the
 * stored sums did not include what is being removed (a store changed behind the service's back), so they cannot be
 * trusted and the caller sums every cell instead.
 */
export function withCellChange(
  stored: ReadonlyMap<string, ReadonlyMap<string, RegionCounts>>,
  removed: ReadonlyMap<string, ReadonlyMap<string, RegionCounts>>,
  added: ReadonlyMap<string, ReadonlyMap<string, RegionCounts>>,
): Map<string, Map<string, RegionCounts>> | null {
  const result = new Map<string, Map<string, RegionCounts>>();
  const countsOf = (regionId: string, key: string, segmentId: string) =>
    countsIn(result, regionId, key, segmentId);
  const fold = (sums: ReadonlyMap<string, ReadonlyMap<string, RegionCounts>>, sign: 1 | -1) => {
    for (const [regionId, byFilter] of sums)
      for (const [key, bySegment] of byFilter)
        for (const [segmentId, counts] of bySegment) {
          const target = countsOf(regionId, key, segmentId);
          for (const field of COUNT_FIELDS) target[field] += sign * counts[field];
        }
  };
  fold(stored, 1);
  fold(removed, -1);
  fold(added, 1);
  for (const [regionId, byFilter] of result) {
    for (const [key, bySegment] of byFilter) {
      for (const [segmentId, counts] of bySegment) {
        if (COUNT_FIELDS.some((field) => counts[field] < 0)) return null;
        if (COUNT_FIELDS.every((field) => counts[field] === 0)) bySegment.delete(segmentId);
      }
      if (bySegment.size === 0) byFilter.delete(key);
    }
    if (byFilter.size === 0) result.delete(regionId);
  }
  return result;
}

/** Compact storage of a region's counts under one filter: segment id → [enterprises, leading, …]. */
export function encodeCounts(counts: RegionCounts): string {
  return JSON.stringify(
    Object.fromEntries(
      [...counts].map(([segmentId, c]) => [
        segmentId,
        [
          c.enterprises,
          c.leading,
          c.highTech,
          c.platforms,
          c.localSupplyEdges,
          c.outsideSupplyEdges,
          c.listed,
          c.listedWithRevenue,
          c.listedRevenue,
        ],
      ]),
    ),
  );
}

export function decodeCounts(data: unknown): RegionCounts {
  if (typeof data !== 'string') return new Map();
  const parsed = JSON.parse(data) as Record<string, number[]>;
  return new Map(
    Object.entries(parsed).map(
      ([
        segmentId,
        [
          enterprises = 0,
          leading = 0,
          highTech = 0,
          platforms = 0,
          local = 0,
          outside = 0,
          listed = 0,
          listedWithRevenue = 0,
          listedRevenue = 0,
        ],
      ]) => [
        segmentId,
        {
          enterprises,
          leading,
          highTech,
          platforms,
          localSupplyEdges: local,
          outsideSupplyEdges: outside,
          listed,
          listedWithRevenue,
          listedRevenue,
        },
      ],
    ),
  );
}

// --- Refreshing ---

export interface RefreshSummary {
  /** Changes folded in. */
  readonly changes: number;
  /**
   * Whether every cell was recounted (first build, a structural change, changes touching most regions, or asked
   * for).
   */
  readonly full: boolean;
  /** Whether every firm's rank keys were computed again (first build, or asked for). */
  readonly everyFirm: boolean;
  /** Home regions recounted. */
  readonly homes: number;
  /** Region aggregates rewritten. */
  readonly regions: number;
  readonly seconds: number;
  /** When the aggregates were built, ISO 8601 (the last build's when there was nothing to fold in). */
  readonly asOf: string | null;
}

export interface RefreshOptions {
  /** Recount everything, whatever changed. */
  readonly full?: boolean;
  /** Transaction timeout for the refresh (default 10 minutes). */
  readonly timeoutMs?: number;
  /** The most firms one counting statement covers (default COUNT_BATCH_FIRMS); tests set it small. */
  readonly countBatchFirms?: number;
  /** The share of regions the changes may name before every home is recounted (default RECOUNT_ALL_SHARE). */
  readonly recountAllShare?: number;
  /** The links in that make a firm a hub whose links are summarised (AGGREGATE_HUB_MIN_LINKS; default 64). */
  readonly hubMinLinks?: number;
}

/**
 * The most firms (LOCATED_IN links of the home regions, read from their degrees) one counting statement of a refresh
 * covers. The counts group per (home, firm, segment) before they sum, so a statement's memory grows with its firms:
 * one statement over the 450 home regions a 50,000-firm import touched in the 1,000,000-firm bench store went past
 * Neo4j's transaction memory (MemoryPoolOutOfMemoryError at 2.1 GiB, dbms.memory.transaction.total.max with a 3 GB
 * heap), and since that error is transient it was retried, and failed, for as long as the service ran.
 */
export const COUNT_BATCH_FIRMS = 25_000;

/**
 * The home regions to count (the given ones, or every region: null) with their LOCATED_IN degree — firms and
 * platforms located there, read from the relationship count, no firm read — leaving out those with none.
 */
export function homeSizesQuery(homeIds: readonly string[] | null): CypherQuery {
  return cypher(
    `MATCH (home:${L.Region}) ${homeIds === null ? '' : 'WHERE home.id IN $homeIds'}
     WITH home, COUNT { (home)<-[:${T.LOCATED_IN}]-() } AS located
     WHERE located > 0
     RETURN home.id AS homeId, located
     ORDER BY homeId`,
    { homeIds: homeIds ?? [] },
  );
}

/**
 * Splits homes into batches of at most `maxFirms` located firms each, in the given order, each home whole (a home
 * with more firms than that is a batch of its own). Every home is in exactly one batch, so the batches' count rows
 * concatenate without overlap.
 */
export function batchHomes(
  homes: readonly { readonly homeId: string; readonly located: number }[],
  maxFirms: number,
): string[][] {
  if (!Number.isInteger(maxFirms) || maxFirms < 1)
    throw new RangeError('maxFirms must be a positive whole number');
  const batches: string[][] = [];
  let current: string[] = [];
  let firms = 0;
  for (const { homeId, located } of homes) {
    if (current.length > 0 && firms + located > maxFirms) {
      batches.push(current);
      current = [];
      firms = 0;
    }
    current.push(homeId);
    firms += located;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const STATE_ID = 'aggregates';
/**
 * The layout of cells and aggregates. A store whose aggregates were built with an older layout (before the listed
 * counts and ALL_SEGMENTS of issue 15: 1; before the hubs' summaries, HubSupply: 2) is recounted in full by its next
 * refresh, once.
 */
const CELL_FORMAT = 3;
/**
 * The layout of the keys kept on each operation (candidates.ts RANK_BODY): 2 added the firm's home (`rankHomeId`), 3
 * the firm's segments and homes on the firm (`rankSegmentIds`, `rankHomeIds`), 4 its operations' segments with their
 * provenance and its capability key (`rankOperationKeys`, `rankCapabilityKey`), 5 the firm's homes with the provenance
 * of its location (`rankHomeKeys`), 6 each operation's segment with its provenance lane (`rankLane`), 7 the firm's home
 * and segments at the end of each rank key and its operations' roles (`rankOperationRoles`), 8 what targetFirms' linked
 * read takes of a firm in one list (`rankLinkFacts`). A store whose keys are older has every firm's keys computed
 * again by its next refresh, once (at a million firms, with the full recount it brings: 197 s); the state records the
 * layout only after the last batch, so no reader trusts half-written keys (HOME_INDEX_SUBQUERY, and targetFirms
 * through AggregateBasis.ranksReady; a firm without the firm's keys is read the slow way).
 */
const RANK_FORMAT = 8;
/** Cypher: whether the aggregate state `state` says every firm's rank keys are of the current layout (RANK_FORMAT). */
const ranksCurrent = (state: string) => `coalesce(${state}.rankFormat, 1) = ${RANK_FORMAT}`;
/**
 * The share of the region tree's regions a refresh's changes may name as homes before it recounts every home instead
 * (see refreshAggregates). Measured at 200,000 firms, an import touching 2,800 of 3,765 regions (74 %) refreshed in
 * 23–26 s incrementally against 27–28 s recounting every home, one touching 3,370 (90 %) in 32–40 s against
 * 28–35 s, with a peak of live heap of 318 against 240 MB: the crossing lies between.
 */
const RECOUNT_ALL_SHARE = 0.8;
/** Firms whose rank keys one statement of a full rebuild recomputes. */
const RANK_BATCH = 20_000;
const DEFAULT_REFRESH_TIMEOUT_MS = 600_000;

/** Creates the listed cells (`$cells`: cellRows). */
const CREATE_CELLS = `UNWIND $cells AS cell
   CREATE (:${I.AggregateCell} { homeId: cell.homeId, data: cell.data })`;

/** Creates the listed hub summaries (`$summaries`: hubSummariesFrom), in a rebuild that deleted every one first. */
const CREATE_HUBS = `UNWIND $summaries AS summary
   CREATE (hub:${I.HubSupply}) SET hub = summary, hub.counts = [count IN summary.counts | toInteger(count)]`;

/** Cells as CREATE_CELLS stores them. */
function cellRows(cells: ReadonlyMap<string, Cell>): { homeId: string; data: string }[] {
  return [...cells].map(([homeId, cell]) => ({ homeId, data: JSON.stringify(cell) }));
}

/**
 * A refresh's cells and sums: the recounted homes' cells replace theirs (a home with nothing left loses its cell),
 * and the sums of the regions over them (`affected`) become the stored sums, less the replaced cells' contributions,
 * plus the new ones (withCellChange: exact, every count is a whole number). The work is the recounted homes' cells
 * and their ancestors' sums; summing every cell of their subtrees instead read and summed every cell of the store
 * for any write, the nation being an ancestor of every home (3,485 cells, about 215 ms of a 700 ms refresh at
 * 200,000 firms).
 *
 * Cells whose home region is gone (deleted by a tool that records no change) are dropped in the same statement. No
 * record says which regions they counted in, so then every stored cell is summed and every region's sums replaced
 * (`affected` null), as when a replaced home has left the region tree or a sum would go below zero.
 */
async function incrementalSums(
  run: (query: CypherQuery) => Promise<Row[]>,
  structure: Structure,
  homeIds: readonly string[],
  fresh: ReadonlyMap<string, Cell>,
): Promise<{ sums: Map<string, Map<string, RegionCounts>>; affected: Set<string> | null }> {
  const replaced = parsedCells(
    await run(
      cypher(
        `MATCH (c:${I.AggregateCell}) WHERE c.homeId IN $homeIds RETURN c.homeId AS homeId, c.data AS data`,
        { homeIds },
      ),
    ),
  );
  const [replacement] = await run(
    cypher(
      `CALL {
         MATCH (c:${I.AggregateCell}) WHERE c.homeId IN $homeIds
         DELETE c
       }
       CALL {
         MATCH (c:${I.AggregateCell}) WHERE NOT EXISTS { MATCH (:${L.Region} { id: c.homeId }) }
         DELETE c
         RETURN count(*) AS orphans
       }
       CALL {
         ${CREATE_CELLS}
         RETURN count(*) AS created
       }
       RETURN orphans`,
      { homeIds, cells: cellRows(fresh) },
    ),
  );
  const orphans = Number(replacement?.['orphans'] ?? 0);
  const homeGone = [...replaced.keys()].some((homeId) => structure.ancestors[homeId] === undefined);
  if (orphans === 0 && !homeGone) {
    const affected = new Set(homeIds.flatMap((homeId) => structure.ancestors[homeId] ?? [homeId]));
    const stored = await run(
      cypher(
        `MATCH (a:${I.RegionAggregate}) WHERE a.regionId IN $affected
         RETURN a.regionId AS regionId, a.key AS key, a.data AS data`,
        { affected: [...affected] },
      ),
    );
    const before = new Map<string, Map<string, RegionCounts>>();
    for (const row of stored) {
      const regionId = String(row['regionId']);
      let byFilter = before.get(regionId);
      if (!byFilter) before.set(regionId, (byFilter = new Map<string, RegionCounts>()));
      byFilter.set(String(row['key']).slice(regionId.length + 1), decodeCounts(row['data']));
    }
    const sums = withCellChange(
      before,
      sumCells(replaced, structure.ancestors, affected),
      sumCells(fresh, structure.ancestors, affected),
    );
    if (sums !== null) return { sums, affected };
  }
  const every = await run(
    cypher(`MATCH (c:${I.AggregateCell}) RETURN c.homeId AS homeId, c.data AS data`, {}),
  );
  return { sums: sumCells(parsedCells(every), structure.ancestors, null), affected: null };
}

/** Folds the pending changes into the aggregates (or rebuilds them all), in one serialised transaction. */
export async function refreshAggregates(
  executor: Executor,
  options: RefreshOptions = {},
): Promise<RefreshSummary> {
  const started = Date.now();
  const summary = await executor.transaction(
    'aggregate-refresh',
    async (run) => {
      // The write lock on the state node serialises refreshes (in this process and others) until commit, so two
      // never interleave their reads and writes of the same cells.
      const [state] = await run(
        cypher(
          `MERGE (s:${I.AggregateState} { id: $id })
           SET s.lockedAt = datetime()
           RETURN s.builtAt IS NOT NULL AS built, toString(s.builtAt) AS builtAt,
                  s.maxOperations IS NOT NULL AS hasMaxOperations,
                  coalesce(s.cellFormat, 1) = $cellFormat AS currentFormat,
                  ${ranksCurrent('s')} AS currentRanks`,
          { id: STATE_ID, cellFormat: CELL_FORMAT },
        ),
      );
      const changes = await run(
        cypher(
          `MATCH (c:${I.AggregateChange})
           RETURN c.id AS id, c.structural AS structural, c.homeIds AS homeIds, c.enterpriseIds AS enterpriseIds`,
          {},
        ),
      );
      // Every firm's rank keys and the most-segments count are computed again only on a requested rebuild or a first
      // build: they depend on each firm and its own operations, never on the chains' or regions' shape, so a
      // structural change (which does recount every cell) leaves them to the touched firms like any other write.
      const everyFirm =
        options.full === true || state?.['built'] !== true || state?.['currentRanks'] !== true;
      const recountRequired =
        everyFirm ||
        state?.['currentFormat'] !== true ||
        changes.some((change) => change['structural'] === true);
      if (!recountRequired && changes.length === 0) {
        const asOf = (state?.['builtAt'] as string | null | undefined) ?? null;
        return { changes: 0, full: false, everyFirm, homes: 0, regions: 0, seconds: 0, asOf };
      }
      // The target-ranking keys kept per operation (candidates.ts) follow the same changes (a full rebuild does
      // them after this transaction, in batches, so that a million firms' keys never sit in one transaction). They
      // and the most-segments count below come first, before this transaction deletes any cell or sum, neither of
      // which they read: in Neo4j 5.26 an index seek in a transaction that has deleted nodes costs time for each
      // node it deleted. After a rebuild had replaced the 200,000-firm store's cells and sums (12,500 nodes), the
      // 250,000 firm ids of five imports took 112 s (rank keys) and 114 s (most segments); first, 1.8 and 1.1 s.
      const enterpriseIds = [
        ...new Set(changes.flatMap((change) => (change['enterpriseIds'] as string[] | null) ?? [])),
      ];
      if (!everyFirm && enterpriseIds.length > 0) await run(candidateRankQuery(enterpriseIds));
      // The most segments any firm operates in bounds the breadth of a firm targetFirms has not read yet
      // (candidates.ts). A write can only raise it past the touched firms' own counts, so a refresh folds those in;
      // a rebuild of every firm, or a state that never had it (an older store), counts every firm again. Two
      // statements, not one with a flag: a label scan guarded by a false flag would still be planned, and run, on
      // every refresh.
      const countEveryFirm = everyFirm || state?.['hasMaxOperations'] !== true;
      if (countEveryFirm || enterpriseIds.length > 0) {
        await run(
          cypher(
            `${countEveryFirm ? `MATCH (e:${L.Enterprise})` : `UNWIND $enterpriseIds AS id MATCH (e:${L.Enterprise} { id: id })`}
             WITH max(COUNT { (e)-[:${T.OPERATES_IN}]->(:${L.ChainSegment}) }) AS most
             MATCH (s:${I.AggregateState} { id: $id })
             SET s.maxOperations = CASE WHEN $everyFirm OR s.maxOperations IS NULL OR coalesce(most, 0) > s.maxOperations
                                        THEN coalesce(most, 0) ELSE s.maxOperations END`,
            { id: STATE_ID, everyFirm: countEveryFirm, enterpriseIds },
          ),
        );
      }
      const structure = structureFrom((await run(structureQuery))[0]);
      const touched = [...new Set(changes.flatMap((change) => (change['homeIds'] as string[] | null) ?? []))];
      // Changes that touch most regions (an import across a province) are recounted as a rebuild is, a batch of homes
      // at a time: the incremental path would hold the replaced cells and the new ones of nearly every home, and
      // the sums of nearly every region four times (stored, removed, added, result), having read every cell and sum.
      const full =
        recountRequired ||
        touched.length >
          (options.recountAllShare ?? RECOUNT_ALL_SHARE) * Object.keys(structure.ancestors).length;
      const homeIds = full ? null : touched;
      // Counted a batch of homes at a time (COUNT_BATCH_FIRMS): each home lies in one batch, so the rows add up.
      const batches = batchHomes(
        (await run(homeSizesQuery(homeIds))).map((row) => ({
          homeId: String(row['homeId']),
          located: Number(row['located']),
        })),
        options.countBatchFirms ?? COUNT_BATCH_FIRMS,
      );
      // A rebuild recounts every home: it deletes every cell first, then writes each batch's cells and adds them to
      // the sums as it goes, so that it holds one batch's cells at a time beside the sums: holding every cell, and
      // reading them all back to sum them, took memory that grew with the store (peak live heap at 200,000 firms
      // 296 → 233 MB). A refresh keeps its recounted homes' cells (`fresh`): it sums their difference from the
      // cells they replace (incrementalSums).
      const rebuiltSums = new Map<string, Map<string, RegionCounts>>();
      // The hubs' summaries (HubSupply) come from the same supply rows as the cells, so they always agree with them.
      if (homeIds === null) await run(cypher(`MATCH (c:${I.AggregateCell}|${I.HubSupply}) DELETE c`, {}));
      const fresh = new Map<string, Cell>();
      const freshHubs: HubSummary[] = [];
      let homesCounted = 0;
      for (const batch of batches) {
        const scope = { homeIds: batch };
        const supply = await run(
          supplyCountsQuery(scope, structure, options.hubMinLinks ?? HUB_MIN_SUPPLY_LINKS),
        );
        const cells = cellsFrom(
          await run(firmCountsQuery(scope, structure)),
          await run(platformCountsQuery(scope, structure)),
          supply,
        );
        const hubs = hubSummariesFrom(supply, structure.ancestors);
        homesCounted += cells.size;
        if (homeIds === null) {
          await run(cypher(CREATE_CELLS, { cells: cellRows(cells) }));
          await run(cypher(CREATE_HUBS, { summaries: hubs }));
          sumCells(cells, structure.ancestors, null, FILTER_KEYS, rebuiltSums);
        } else {
          for (const [homeId, cell] of cells) fresh.set(homeId, cell);
          freshHubs.push(...hubs);
        }
      }
      // Before incrementalSums deletes the replaced cells: an index seek (MERGE's) in a transaction that has deleted
      // nodes costs time for each of them (see above).
      if (homeIds !== null) await run(replaceHubSummariesQuery(homeIds, freshHubs));
      const { sums, affected } =
        homeIds === null
          ? { sums: rebuiltSums, affected: null }
          : await incrementalSums(run, structure, homeIds, fresh);
      const aggregates = [...sums].flatMap(([regionId, byFilter]) =>
        [...byFilter].map(([key, counts]) => ({
          key: `${regionId}|${key}`,
          regionId,
          data: encodeCounts(counts),
        })),
      );
      await run(
        cypher(
          `CALL {
             MATCH (a:${I.RegionAggregate}) WHERE $all OR a.regionId IN $affected
             DELETE a
           }
           UNWIND $aggregates AS aggregate
           CREATE (:${I.RegionAggregate} { key: aggregate.key, regionId: aggregate.regionId, data: aggregate.data })`,
          { all: affected === null, affected: affected === null ? [] : [...affected], aggregates },
        ),
      );
      const [done] = await run(
        cypher(
          `MATCH (c:${I.AggregateChange}) WHERE c.id IN $consumed DELETE c
           WITH count(*) AS consumed
           MATCH (s:${I.AggregateState} { id: $id })
           SET s.builtAt = datetime(), s.lastRefreshMs = $ms, s.full = $full, s.cellFormat = $cellFormat
           RETURN toString(s.builtAt) AS asOf`,
          {
            id: STATE_ID,
            consumed: changes.map((change) => change['id']),
            ms: Date.now() - started,
            full,
            cellFormat: CELL_FORMAT,
          },
        ),
      );
      return {
        changes: changes.length,
        full,
        everyFirm,
        homes: homesCounted,
        regions: affected === null ? sums.size : affected.size,
        seconds: (Date.now() - started) / 1000,
        asOf: (done?.['asOf'] as string | undefined) ?? null,
      };
    },
    { timeoutMs: options.timeoutMs ?? DEFAULT_REFRESH_TIMEOUT_MS },
  );
  if (summary.everyFirm) {
    for (let after: string | null = null; ;) {
      const [batch] = await executor.write('candidate-ranks', candidateRankBatchQuery(after, RANK_BATCH));
      const last = (batch?.['last'] as string | null | undefined) ?? null;
      if (last === null) break;
      after = last;
    }
    await executor.write(
      'candidate-ranks',
      // The time the last key of the rebuild was written marks the rank index's version (rankIndexVersionSubquery).
      cypher(
        `MATCH (s:${I.AggregateState} { id: $id }) SET s.rankFormat = $rankFormat, s.ranksWrittenAt = datetime()`,
        {
          id: STATE_ID,
          rankFormat: RANK_FORMAT,
        },
      ),
    );
  }
  return { ...summary, seconds: (Date.now() - started) / 1000 };
}

// --- Reading ---

/** How current the aggregates an answer was computed from are. */
export interface AggregateBasis {
  /** When they were built (ISO 8601), or null if never. */
  readonly asOf: string | null;
  /** Writes recorded since and not yet folded in. */
  readonly pendingChanges: number;
  /** How many writes have changed the chains' shape (0 on a store that never recorded one). */
  readonly structureVersion: number;
  /**
   * At least the most segments any firm operates in (as of the last refresh; pending writes may have raised it),
   * or null when never counted.
   */
  readonly maxOperations?: number | null;
  /**
   * Whether every firm's target-ranking keys (candidates.ts RANK_BODY) are of the current layout. A first build, a
   * requested rebuild or an upgrade writes them for every firm in batches after the counts' transaction has
   * committed (refreshAggregates), so for minutes at a million firms the counts are current while the rank index
   * still lacks firms: a ranking walked then would leave them out. Unknown (undefined) where not read.
   */
  readonly ranksReady?: boolean;
}

/**
 * Cypher fragment (inside a CALL) returning `asOf`, `pendingChanges`, `structureVersion` (how many writes have
 * changed the chains' shape: the key of the per-process structure cache, structureCache.ts), `maxOperations` and
 * `ranksReady` (AggregateBasis).
 */
export const BASIS_SUBQUERY = `CALL {
       OPTIONAL MATCH (state:${I.AggregateState} { id: '${STATE_ID}' })
       OPTIONAL MATCH (shape:${I.AggregateState} { id: '${STRUCTURE_STATE_ID}' })
       RETURN toString(state.builtAt) AS asOf, COUNT { MATCH (:${I.AggregateChange}) } AS pendingChanges,
              coalesce(shape.version, 0) AS structureVersion, state.maxOperations AS maxOperations,
              ${ranksCurrent('state')} AS ranksReady
     }`;

/**
 * Cypher fragment (a CALL) returning `column`: a text that changes whenever the target-ranking keys kept on
 * the operations (the `operates_in_rank` and `operates_in_lane` indexes) may have changed — only the aggregate refresh
 * writes them, in the transaction that sets `builtAt`, or (a rebuild of every firm) in batches after it, ended by
 * `ranksWrittenAt` — or null while they are not of the current layout. A write removes an operation from the index
 * without it (a removal never adds a row to a range), and adds none before the refresh that folds it in. What a
 * ranking learns of the index (candidates.ts: which walks are empty) holds while this text stays the same.
 */
export const rankIndexVersionSubquery = (column: string) => `CALL {
       OPTIONAL MATCH (state:${I.AggregateState} { id: '${STATE_ID}' })
       RETURN CASE WHEN ${ranksCurrent('state')} AND state.builtAt IS NOT NULL
                   THEN toString(state.builtAt) + '|' + coalesce(toString(state.ranksWrittenAt), '') END AS ${column}
     }`;

/**
 * Cypher fragment (inside a CALL) returning `homeIndexReady`: whether every operation's `rankHomeId` and
 * `rankSegmentId` are current — the keys are of the current layout and no write is waiting to be folded in (the
 * refresh that folds a write in recomputes the written firms' keys in the same transaction).
 */
export const HOME_INDEX_SUBQUERY = `CALL {
       OPTIONAL MATCH (state:${I.AggregateState} { id: '${STATE_ID}' })
       RETURN ${ranksCurrent('state')} AND NOT EXISTS { MATCH (:${I.AggregateChange}) } AS homeIndexReady
     }`;

/** Cypher fragment (inside a CALL, given `$aggregateRegionIds` and `$aggregateFilter`) returning `aggregates`. */
export const REGION_AGGREGATES_SUBQUERY = `CALL {
       UNWIND $aggregateRegionIds AS regionId
       OPTIONAL MATCH (a:${I.RegionAggregate} { key: regionId + '|' + $aggregateFilter })
       RETURN collect([regionId, a.data]) AS aggregates
     }`;

/**
 * Decoded region counts, kept per region and provenance filter with the stored text they were decoded from. A
 * region's stored counts hold every segment of every chain, and every report reads them for each of its regions (and
 * their nations), so decoding them afresh each time was the largest part of a report's CPU in Node (issue 12: 12 %
 * of compareRegions and chainGaps at 200,000 firms). An entry is used only when the text read now is the very text
 * it was decoded from (a string comparison, cheaper than hashing the text), so it can never be stale: changed counts
 * replace it. Bounded by the stored aggregates (regions × filters), at most DECODED_LIMIT of them. The maps handed
 * out are shared between requests and must be read only (no caller writes into them: they copy what they sum).
 */
const DECODED_LIMIT = 4096;
const decoded = new Map<string, { readonly text: string; readonly counts: RegionCounts }>();

function decodedCounts(key: string, data: unknown): RegionCounts {
  if (typeof data !== 'string') return new Map();
  const hit = decoded.get(key);
  if (hit !== undefined && hit.text === data) return hit.counts;
  const counts = decodeCounts(data);
  decoded.delete(key);
  decoded.set(key, { text: data, counts });
  // The entry stored longest ago goes first (insertion order).
  if (decoded.size > DECODED_LIMIT) decoded.delete(decoded.keys().next().value!);
  return counts;
}

/**
 * The [regionId, stored text] pairs a statement returned, decoded. `filter` is the provenance filter key the texts
 * were read under (the cache key with the region id); without it each text is decoded afresh.
 */
export function aggregatesFrom(value: unknown, filter?: string): Map<string, RegionCounts> {
  return new Map(
    ((value as [string, string | null][] | undefined) ?? []).map(([regionId, data]) => [
      regionId,
      filter === undefined ? decodeCounts(data) : decodedCounts(`${filter}\u0000${regionId}`, data),
    ]),
  );
}
