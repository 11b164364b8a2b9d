import {
  admits,
  aggregatesFrom,
  BASIS_SUBQUERY,
  filterKey,
  filterMask,
  firmCountsQuery,
  HOME_INDEX_SUBQUERY,
  NO_COUNTS,
  REGION_AGGREGATES_SUBQUERY,
  SCOPE_FIRMS,
  splitsKept,
  structureFrom,
  structureQuery,
  supplyCountsQuery,
  type AggregateBasis,
  type FirmScope,
  type RegionCounts,
  type SegmentCounts,
  type Structure,
} from './aggregates.js';
import { appliedSources, BASIS_FACTS_SUBQUERY, effectiveCompleteness, realFilterKey } from './basis.js';
import type { SegmentFacts, SegmentKind, Stage } from './gaps.js';
import { quotientFromAggregates } from './scale.js';
import type { CandidateFacts } from './targets.js';
import { badUserInput } from '../errors.js';
import { cypher, type CypherQuery } from '../data/cypher.js';
import type { Executor, Row } from '../data/executor.js';
import {
  assertLabel,
  MAX_REGION_DEPTH,
  MAX_SEGMENT_DEPTH,
  InternalLabel as I,
  NodeLabel as L,
  RelationshipType as T,
} from '../data/model.js';

/**
 * Fact-gathering statements of the chain analytics. Each gathers, in one statement, everything the pure functions
 * in src/analytics need; statuses and scores are computed there, where they can be explained and tested.
 */

export type Sources = readonly string[];

/** The sources an analytics request applies: those given, else real data only (PLAN and PUBLIC). */
export function sourcesOrDefault(sources: readonly string[] | null | undefined): Sources {
  return appliedSources(sources);
}

/** A traversal depth, validated before any statement is built (variable-length bounds must be literals). */
export function traversalDepth(value: unknown, max: number, argument = 'depth'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw badUserInput(argument, `must be a whole number from 1 to ${max}`);
  }
  return value;
}

/** Cypher: the segment bound to `variable` is not a SERVICE (an absent kind is PRODUCT). */
const NOT_SERVICE = (variable: string) => `coalesce(${variable}.kind, 'PRODUCT') <> 'SERVICE'`;

// The region and its sub-regions, bound to `regions` (a list) for membership tests.
const REGION_SUBTREE = (regionVariable: string) =>
  `COLLECT { MATCH (sub:${L.Region})-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]->(${regionVariable}) RETURN sub }`;

/**
 * Cypher: whether firm `firm` is located in the region (`regions`, its nodes, bound by the statement), from its
 * LOCATED_IN links: a walk over all its relationships (a firm has too few to have them grouped by type).
 */
const walkedInRegions = (firm: string) =>
  `EXISTS { MATCH (${firm})-[:${T.LOCATED_IN}]->(walkedHome:${L.Region}) WHERE walkedHome IN regions }`;

/**
 * Cypher: whether firm `firm` is located in the region (`regions` and `regionIds`, their ids, bound by the statement),
 * from the ids of its homes the firm keeps (`rankHomeIds`, candidates.ts RANK_BODY, kept by the refresh that folds
 * each write into the aggregates, as the rank keys the walks read are): one property read. Walked (walkedInRegions)
 * for a firm without them (a store whose keys are being built): the null that coalesce puts in their place, which no
 * kept id is. Tested for null first and read again after (CASE WHEN … IS NULL THEN … ELSE any(… IN firm.rankHomeIds
 * …)), the keys cost two db hits a firm: losing bio-antibiotic-apis in a city at 200,000 firms, 2,420 → 2,118 db hits
 * for its 302 buyers; the bench's six targetFirms draws' walk rounds, 35,113 → 33,544.
 */
const locatedInRegions = (firm: string) =>
  `any(keptHomeId IN coalesce(${firm}.rankHomeIds, [null])
        WHERE CASE WHEN keptHomeId IS NULL THEN ${walkedInRegions(firm)} ELSE keptHomeId IN regionIds END)`;

/**
 * The most local firms one report scans to list `ChainGap.localEnterprises` (first by id, every segment at once):
 * a region with more is refused for that field (page through `enterprises(filter: { regionId, segmentId })`).
 */
export const LOCAL_ENTERPRISE_SCAN_LIMIT = 50_000;

export interface GapFactsRequest {
  readonly chainIds: readonly string[];
  readonly regionIds: readonly string[];
  readonly sources: Sources;
  readonly maxDepth: number;
  /** Restrict to this segment and its narrower segments. */
  readonly segmentScopeId?: string | null;
  /** How many local enterprises (first by id) to list per segment in the first region (0 or absent: none). */
  readonly localEnterprises?: number;
  /**
   * The ids of the segments a cached structure (structureCache.ts) lists: the statement then leaves the structure
   * out. Absent: the statement reads it.
   */
  readonly cachedSegmentIds?: readonly string[];
  /**
   * Ids the request must find (each with its label): the statement reports the indexes of those it does not find
   * (`missing`), so that a report checks its arguments in the same round trip as it reads its facts.
   */
  readonly checks?: readonly { readonly label: string; readonly id: string }[];
  /**
   * More CALL subqueries to run in the same statement (the hydration of nodes known in advance, hydrate.ts) and the
   * columns they return; their parameters must not clash with the ones here (theirs are `$p…`).
   */
  readonly extra?: { readonly query: CypherQuery | null; readonly columns: readonly string[] };
}

/**
 * One statement, three parts (four with the listing of local enterprises), none of which grows with the number of
 * firms:
 * - the chains' structure: each segment with the segments it feeds and how many it reaches downstream;
 * - the regions' aggregates for the provenance filter (see aggregates.ts): a few stored rows per region;
 * - how current those aggregates are.
 */
export function gapFactsQuery(request: GapFactsRequest): CypherQuery {
  const depth = traversalDepth(request.maxDepth, 12, 'maxDepth');
  const cached = request.cachedSegmentIds;
  const checks = request.checks ?? [];
  const extra = request.extra;
  // With the structure cached (structureCache.ts) only the segment ids are needed, to list local enterprises.
  // A SERVICE segment passes no dependence on (issue 15): it reaches nothing itself, and a downstream path may end
  // at a service but not run through one (the inner nodes of the path are products).
  const structure =
    cached !== undefined
      ? `WITH [] AS segments, $cachedSegmentIds AS segmentIds`
      : `CALL {
       UNWIND $chainIds AS chainId
       MATCH (chain:${L.IndustrialChain} { id: chainId })
       WITH chain, COLLECT { MATCH (s:${L.ChainSegment})-[:${T.IN_CHAIN}]->(chain) WHERE s.source IN $sources RETURN s } AS segments
       WITH chain, size(segments) AS chainSize,
            CASE WHEN $segmentScopeId IS NULL THEN segments
                 ELSE [s IN segments WHERE EXISTS { (s)-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(:${L.ChainSegment} { id: $segmentScopeId }) }] END AS inScope
       UNWIND inScope AS s
       CALL (s, chain) {
         OPTIONAL MATCH p = ANY SHORTEST (s)${depth > 1 ? `(()-[f:${T.FEEDS} WHERE f.source IN $sources]->(m:${L.ChainSegment} WHERE ${NOT_SERVICE('m')})){0,${depth - 1}}` : ''}()-[g:${T.FEEDS} WHERE g.source IN $sources]->(t:${L.ChainSegment})
         WHERE ${NOT_SERVICE('s')} AND t <> s AND t.source IN $sources
         RETURN count(DISTINCT t) AS downstreamAll,
                count(DISTINCT CASE WHEN EXISTS { (t)-[:${T.IN_CHAIN}]->(chain) } THEN t END) AS downstreamInChain
       }
       RETURN collect({
         chainId: chain.id, chainSize: chainSize, segmentId: s.id, name: s.name, nameEn: s.nameEn, stage: s.stage,
         kind: coalesce(s.kind, 'PRODUCT'),
         // Its broader segments, nearest first: where the location quotient falls back when its own basis is thin.
         broader: COLLECT { MATCH up = (s)-[:${T.SUBSEGMENT_OF}*1..${MAX_SEGMENT_DEPTH}]->(b:${L.ChainSegment})
                            WHERE b.source IN $sources RETURN [b.id, b.name] ORDER BY length(up), b.id },
         downstreamAll: downstreamAll, downstreamInChain: downstreamInChain
       }) AS segments
     }
     WITH segments, [segment IN segments | segment.segmentId] AS segmentIds`;
  return cypher(
    `${structure}
     ${REGION_AGGREGATES_SUBQUERY}
     ${BASIS_FACTS_SUBQUERY}
     ${BASIS_SUBQUERY}
     CALL {
       // Each region's nation (scale.ts): the single root of its tree, and that root's aggregate, in this statement.
       UNWIND $regionIds AS nationOf
       OPTIONAL MATCH (:${L.Region} { id: nationOf })-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]->(root:${L.Region})
       WHERE NOT EXISTS { (root)-[:${T.PART_OF}]->(:${L.Region}) }
       WITH nationOf, collect(DISTINCT root.id) AS roots
       WITH nationOf, CASE WHEN size(roots) = 1 THEN roots[0] END AS nationId
       OPTIONAL MATCH (n:${I.RegionAggregate} { key: nationId + '|' + $aggregateFilter })
       RETURN collect([nationOf, nationId, n.data]) AS nations
     }
     CALL {
       UNWIND CASE WHEN $localEnterprises > 0 THEN [$regionIds[0]] ELSE [] END AS localRegionId
       MATCH (:${L.Region} { id: localRegionId })<-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]-(:${L.Region})<-[located:${T.LOCATED_IN}]-(e:${L.Enterprise})
       WHERE located.source IN $sources AND e.source IN $sources
       WITH DISTINCT e LIMIT toInteger($localScanLimit) + 1
       RETURN collect(e) AS localFirms
     }
     CALL (segmentIds, localFirms) {
       UNWIND localFirms AS e
       MATCH (e)-[op:${T.OPERATES_IN}]->(d:${L.ChainSegment})-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(s:${L.ChainSegment})
       WHERE op.source IN $sources AND d.source IN $sources AND s.id IN segmentIds
       WITH s.id AS segmentId, e.id AS id ORDER BY segmentId, id
       WITH segmentId, collect(DISTINCT id)[0..toInteger($localEnterprises)] AS ids
       RETURN collect([segmentId, ids]) AS localIds
     }
     ${extra?.query?.cypher ?? ''}
     RETURN segments, aggregates, realAggregates, declaredCompleteness, nations, asOf, pendingChanges, structureVersion,
            maxOperations, ranksReady, localIds,
            size(localFirms) > $localScanLimit AS localsCut,
            [missing IN [${checks
              .map(
                (check, index) =>
                  `CASE WHEN EXISTS { MATCH (:${assertLabel(check.label)} { id: $check${index} }) } THEN null ELSE ${index} END`,
              )
              .join(', ')}] WHERE missing IS NOT NULL] AS missing
            ${extra?.columns.map((column) => `, ${column}`).join('') ?? ''}`,
    {
      ...(extra?.query?.params ?? {}),
      ...Object.fromEntries(checks.map((check, index) => [`check${index}`, check.id])),
      ...(cached !== undefined
        ? { cachedSegmentIds: cached }
        : { chainIds: request.chainIds, segmentScopeId: request.segmentScopeId ?? null }),
      sources: request.sources,
      aggregateRegionIds: request.regionIds,
      aggregateFilter: filterKey(request.sources),
      realFilter: realFilterKey(request.sources),
      regionIds: request.regionIds,
      localEnterprises: request.localEnterprises ?? 0,
      localScanLimit: LOCAL_ENTERPRISE_SCAN_LIMIT,
    },
  );
}

/**
 * The key under which a request's structure rows are cached: everything the structure part of gapFactsQuery
 * depends on.
 */
export function gapStructureKey(request: GapFactsRequest): string {
  return JSON.stringify([
    'gap-structure',
    request.chainIds,
    [...request.sources].sort(),
    request.segmentScopeId ?? null,
    request.maxDepth,
  ]);
}

export interface StructureRow {
  chainId: string;
  chainSize: number;
  segmentId: string;
  name: string;
  nameEn: string | null;
  stage: Stage;
  kind: SegmentKind;
  /** Its broader segments as [id, name], nearest first. */
  broader?: readonly (readonly [string, string])[];
  downstreamAll: number;
  downstreamInChain: number;
}

export interface GapFactsRow extends SegmentFacts {
  readonly chainId: string;
  readonly scenario: number;
  readonly regionId: string;
}

/**
 * Each segment's figures in each region, for each scenario: the region's aggregates, minus (for a scenario) what
 * the firms it leaves out contribute there. Pure.
 */
export function gapFactsFrom(
  structure: readonly StructureRow[],
  aggregates: ReadonlyMap<string, RegionCounts>,
  regionIds: readonly string[],
  scenarios: readonly (ReadonlyMap<string, RegionCounts> | null)[],
  nations: ReadonlyMap<string, string | null> = new Map(),
): GapFactsRow[] {
  const rows: GapFactsRow[] = [];
  for (const regionId of regionIds) {
    const counts = aggregates.get(regionId) ?? new Map<string, SegmentCounts>();
    const nationId = nations.get(regionId) ?? null;
    const nation = nationId === null ? undefined : (aggregates.get(nationId) ?? new Map());
    scenarios.forEach((leftOut, scenario) => {
      const removed = leftOut?.get(regionId);
      const removedFromNation = nationId === null ? undefined : leftOut?.get(nationId);
      for (const segment of structure) {
        const all = counts.get(segment.segmentId) ?? NO_COUNTS;
        const minus = removed?.get(segment.segmentId) ?? NO_COUNTS;
        // The segment's own quotient, else (its national basis too thin) the nearest broader segment's that has one.
        let quotient = quotientFromAggregates(segment.segmentId, counts, nation, removed, removedFromNation);
        let quotientSegmentId: string | null = quotient.value === null ? null : segment.segmentId;
        let quotientSegmentName: string | null = null;
        for (const [broaderId, broaderName] of quotient.value === null ? (segment.broader ?? []) : []) {
          const broader = quotientFromAggregates(broaderId, counts, nation, removed, removedFromNation);
          if (broader.value !== null) {
            quotient = broader;
            quotientSegmentId = broaderId;
            quotientSegmentName = broaderName;
            break;
          }
        }
        rows.push({
          chainId: segment.chainId,
          scenario,
          regionId,
          segmentId: segment.segmentId,
          name: segment.name,
          nameEn: segment.nameEn ?? null,
          stage: segment.stage,
          kind: segment.kind ?? 'PRODUCT',
          localEnterpriseCount: all.enterprises - minus.enterprises,
          leadingCount: all.leading - minus.leading,
          highTechCount: all.highTech - minus.highTech,
          platformCount: all.platforms,
          localSupplyEdges: all.localSupplyEdges - minus.localSupplyEdges,
          outsideSupplyEdges: all.outsideSupplyEdges - minus.outsideSupplyEdges,
          downstreamAll: Number(segment.downstreamAll),
          downstreamInChain: Number(segment.downstreamInChain),
          chainSize: Number(segment.chainSize),
          locationQuotient: quotient.value,
          locationQuotientBasis: quotient.basis,
          locationQuotientSegmentId: quotientSegmentId,
          locationQuotientSegmentName: quotientSegmentName,
        });
      }
    });
  }
  return rows;
}

export interface GapFacts {
  readonly rows: GapFactsRow[];
  readonly basis: AggregateBasis;
}

/**
 * Raw facts of one read: the structure, the aggregates and their basis. `operation` names the statement in Neo4j's
 * query log (a background read of the structure names itself apart from a request's).
 */
export async function readGapFactParts(
  executor: Executor,
  request: GapFactsRequest,
  operation = 'gap-facts',
) {
  const [row] = await executor.read(operation, gapFactsQuery(request));
  const nationRows = (
    (row?.['nations'] as [string, string | null, string | null][] | undefined) ?? []
  ).filter((entry): entry is [string, string, string | null] => entry[1] !== null);
  return {
    structure: (row?.['segments'] as StructureRow[] | undefined) ?? [],
    aggregates: new Map([
      ...aggregatesFrom(row?.['aggregates'], filterKey(request.sources)),
      ...aggregatesFrom(
        nationRows.map(([, nationId, data]) => [nationId, data]),
        filterKey(request.sources),
      ),
    ]),
    /** Each region's nation (null: none, or several roots). */
    nations: new Map(nationRows.map(([regionId, nationId]) => [regionId, nationId])),
    /** The same counts without ILLUSTRATIVE (for basis.illustrativeShare). */
    realAggregates: aggregatesFrom(row?.['realAggregates'], realFilterKey(request.sources)),
    /** Each region's effective firm-data completeness. */
    completeness: new Map(
      ((row?.['declaredCompleteness'] as [string, [number, unknown][]][] | undefined) ?? []).map(
        ([regionId, declared]) =>
          [
            regionId,
            effectiveCompleteness(declared.map(([steps, value]) => [Number(steps), value] as const)),
          ] as const,
      ),
    ),
    /** The first local enterprises of each segment in the first region, when asked for. */
    /** The region has more firms than one request may list from: the listing was not made. */
    localsCut: row?.['localsCut'] === true,
    localIds: new Map(
      ((row?.['localIds'] as [string, string[]][] | undefined) ?? []).map(([id, ids]) => [id, ids]),
    ),
    basis: basisFrom(row),
    /** The indexes of `request.checks` not found. */
    missing: ((row?.['missing'] as number[] | undefined) ?? []).map(Number),
    /** The statement's row, for the columns of `request.extra`. */
    row,
  };
}

function basisFrom(row: Row | undefined): AggregateBasis {
  return {
    asOf: (row?.['asOf'] as string | null | undefined) ?? null,
    pendingChanges: Number(row?.['pendingChanges'] ?? 0),
    structureVersion: Number(row?.['structureVersion'] ?? 0),
    maxOperations:
      row?.['maxOperations'] === null || row?.['maxOperations'] === undefined
        ? null
        : Number(row['maxOperations']),
    ranksReady: row?.['ranksReady'] === true,
  };
}

/** The region and segment trees the counting statements need (read once per structure version: structureCache.ts). */
export async function readAggregateStructure(
  executor: Executor,
  operation = 'aggregate-structure',
): Promise<Structure> {
  return structureFrom((await executor.read(operation, structureQuery))[0]);
}

/** Whose contributions a scenario subtracts (readContributions, contributionsPart). */
export interface ContributionsRequest {
  readonly firmIds: readonly string[];
  readonly sources: Sources;
  /** The segment tree (a parameter of the counts) and the region tree (the homes under the supply region). */
  readonly structure: Structure;
  /**
   * Subtract only what the firms contribute through their operations in these segments (a segment scenario):
   * what they count with every operation, minus what they would still count without these — so a firm that also
   * operates elsewhere keeps those segments, and its supply pairs counted through them.
   */
  readonly excludeSegmentIds?: readonly string[];
  /**
   * The report's segments, when known: only their counts are read (and ALL_SEGMENTS), since no other row of the
   * subtraction is read. The segment tree sent then shrinks to theirs (29 KB for every chain at 200,000 firms).
   */
  readonly segmentIds?: readonly string[];
  /**
   * The one region whose supply figures the scenario reads (a scenario reads no other region's: of its nation only
   * the firm counts, for the location quotient). Only supply pairs whose buyer is in its subtree are counted, and
   * the other wanted regions' supply figures are left at 0. Pairs whose buyer is elsewhere were counted for nothing:
   * losing a segment of 115 local firms at 200,000 firms read 171 KB of supply rows, 92 KB with the filter.
   */
  readonly supplyRegionId?: string;
  /**
   * With `supplyRegionId`: the firms known to supply a firm located in its subtree (absent: unknown). The others'
   * links out are not walked (aggregates.ts FirmScope.localSupplierIds).
   */
  readonly localSupplierIds?: readonly string[];
}

/**
 * The regions in `regionId`'s subtree (each region whose ancestor list holds it), or null when it has no ancestor
 * of its own (a nation: every home is in it, and no filter is needed). Memoised per region tree.
 */
function subtreeHomes(
  ancestors: Readonly<Record<string, readonly string[]>>,
  regionId: string,
): string[] | null {
  let byRegion = subtreesByTree.get(ancestors);
  if (byRegion === undefined) {
    byRegion = new Map();
    subtreesByTree.set(ancestors, byRegion);
  }
  const held = byRegion.get(regionId);
  if (held !== undefined) return held;
  const own = ancestors[regionId] ?? [regionId];
  const homes =
    own.length <= 1
      ? null
      : Object.entries(ancestors)
          .filter(([, chain]) => chain.includes(regionId))
          .map(([homeId]) => homeId);
  byRegion.set(regionId, homes);
  return homes;
}
const subtreesByTree = new WeakMap<object, Map<string, string[] | null>>();

/**
 * The segment tree cut to what counting for `segmentIds` needs: each segment whose scope holds one of them, with
 * only those among its scope roots, and their FEEDS. The counts then have rows for these segments only, each exactly
 * what the whole tree gives it: a row of segment S comes from operations in S's scope and, for supply, from buyers
 * in the segments S feeds — both kept.
 */
export function segmentTreeFor(structure: Structure, segmentIds: readonly string[]): Structure {
  const wanted = new Set(segmentIds);
  const scopeRoots: Record<string, string[]> = {};
  for (const [segmentId, roots] of Object.entries(structure.scopeRoots)) {
    const kept = roots.filter((root) => wanted.has(root));
    if (kept.length > 0) scopeRoots[segmentId] = kept;
  }
  const feeds = Object.fromEntries(
    Object.entries(structure.feeds).filter(([segmentId]) => wanted.has(segmentId)),
  );
  return { ancestors: structure.ancestors, scopeRoots, feeds };
}

/**
 * What the given firms contribute to the counts of one region (and its nation) under one filter — their own
 * enterprise counts and every supply pair they are part of — so that a scenario can subtract them. Work grows with
 * these firms and their links only.
 */
export async function readContributions(
  executor: Executor,
  request: ContributionsRequest & {
    readonly regionId: string;
    /** The region's nation, whose counts the firms leave too (for the location quotient). */
    readonly nationId?: string | null;
  },
): Promise<Map<string, RegionCounts>> {
  if (request.firmIds.length === 0) return new Map();
  const part = contributionsPart(request, { regions: '$contributionRegions', standalone: true });
  const wanted = [request.regionId, ...(request.nationId ? [request.nationId] : [])];
  const [row] = await executor.read('scenario-counts', {
    cypher: `${part.query.cypher}\nRETURN ${part.columns.join(', ')}`,
    params: { ...part.query.params, contributionRegions: wanted },
  });
  return part.from(row, wanted);
}

/**
 * The Cypher list of the regions a report's scenario is subtracted from, in gapFactsQuery's scope: its first region
 * and that region's nation when it has one (the `nations` column: what factsFrom asks of the contributions).
 */
export const FIRST_REGION_AND_NATION = `[$regionIds[0]] + [nation IN nations WHERE nation[0] = $regionIds[0] AND nation[1] IS NOT NULL | nation[1]]`;

/**
 * The filter's admitted codes (aggregates.ts `admits`, as a list a statement can test codes against): a code is
 * admitted when every source it needs is in the filter.
 */
function admittedCodes(sources: Sources): number[] {
  const mask = filterMask(filterKey(sources));
  return Array.from({ length: 8 }, (_, code) => code).filter((code) => admits(mask, [code]));
}

/**
 * The CALL subqueries that count the firms' contributions, the columns they leave, and how to read the counts of
 * the wanted regions from a row holding those columns: readContributions runs them alone; a report whose trees are
 * cached runs them inside its facts statement (checkedGapFacts), saving a round trip. `regions` is the Cypher list
 * of the regions to count for (a parameter, or FIRST_REGION_AND_NATION inside the facts statement); `from` must be
 * asked for those. Their parameters (`$firmIds`, `$excludeSegmentIds`, `$scopeRoots`, `$feeds`, …) must not clash
 * with the host's.
 *
 * The counts are summed per (region, segment) in the statement, not per home in this process: the rows per home,
 * code set and supplier homes were 125 KB for a segment of 133 firms at 200,000 firms, and decoding and summing
 * them took longer than counting them.
 */
export function contributionsPart(
  request: ContributionsRequest,
  host: { readonly regions: string; readonly standalone: boolean },
): {
  readonly query: CypherQuery;
  readonly columns: readonly string[];
  from(row: Row | undefined, wanted: readonly string[]): Map<string, RegionCounts>;
} {
  const { structure } = request;
  const excluded = request.excludeSegmentIds ?? [];
  const supplyRegionId = request.supplyRegionId;
  const buyerHomeIds =
    supplyRegionId === undefined ? null : subtreeHomes(structure.ancestors, supplyRegionId);
  // Every count in ONE walk: what the firms count with all their operations, and (a segment scenario) in each row's
  // `keptCodes`, what they count without the excluded ones.
  const { query, columns } = contributionsQuery(
    {
      firmIds: request.firmIds,
      buyerHomeIds,
      ...(excluded.length > 0 ? { excludeSegmentIds: excluded } : {}),
      ...(request.localSupplierIds ? { localSupplierIds: request.localSupplierIds } : {}),
    },
    request.segmentIds ? segmentTreeFor(structure, request.segmentIds) : structure,
    host,
  );
  const from = (row: Row | undefined, wanted: readonly string[]): Map<string, RegionCounts> => {
    const lost = new Map<string, RegionCounts>(wanted.map((id) => [id, new Map()]));
    const countsOf = (regionId: string, segmentId: string): SegmentCounts | undefined => {
      const region = lost.get(regionId);
      if (region === undefined) return undefined;
      let counts = region.get(segmentId);
      if (counts === undefined) region.set(segmentId, (counts = { ...NO_COUNTS }));
      return counts;
    };
    for (const entry of (row?.['f0'] as unknown[][] | undefined) ?? []) {
      const [regionId, segmentId, ...values] = entry;
      const counts = countsOf(String(regionId), String(segmentId));
      if (counts === undefined) continue;
      const [n, leading, highTech, listed, listedWithRevenue, listedRevenue] = values.map(Number);
      counts.enterprises += n!;
      counts.leading += leading!;
      counts.highTech += highTech!;
      counts.listed += listed!;
      counts.listedWithRevenue += listedWithRevenue!;
      counts.listedRevenue += listedRevenue!;
    }
    for (const entry of (row?.['s0'] as unknown[][] | undefined) ?? []) {
      const [regionId, segmentId, local, outside] = entry;
      const counts = countsOf(String(regionId), String(segmentId));
      if (counts === undefined) continue;
      counts.localSupplyEdges += Number(local);
      counts.outsideSupplyEdges += Number(outside);
    }
    return lost;
  };
  return {
    query: {
      cypher: query.cypher,
      params: {
        ...query.params,
        admittedCodes: admittedCodes(request.sources),
        supplyRegionId: buyerHomeIds === null ? null : supplyRegionId,
      },
    },
    columns,
    from,
  };
}

/**
 * Cypher: whether region `home` (an id) is `regionId` or lies under it, as the region tree's ancestor lists say —
 * walked up from the home (a few steps), never down from the region (a nation has every region under it).
 */
const WITHIN = (home: string, regionId: string) =>
  `${regionId} IN COLLECT { MATCH (:${L.Region} { id: ${home} })-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]->(over:${L.Region}) RETURN over.id }`;

/**
 * What the firms take from each wanted region's counts, per segment: columns `f0` ([region, segment, enterprises,
 * leading, high-tech, listed, listed with revenue, revenue]) and `s0` ([region, segment, local pairs, outside
 * pairs]). A row of the counting statements (aggregates.ts) is lost when the filter admits its codes and — in a
 * segment scenario — not its `keptCodes` (what would still count without the excluded operations; kept codes are
 * some of the codes, so what stays also counted before). A home's rows count for each wanted region over it. A
 * supply pair is local to a region when one of its supplier's homes lies under it: for the one supply region that
 * is a test against its subtree's homes (`$buyerHomeIds`, the homes its buyers were read from), else a walk up from
 * each supplier home. Each count is collected inside its own CALL, so that a count with no rows still leaves the
 * statement its one row.
 */
function contributionsQuery(
  scope: FirmScope,
  structure: Structure,
  host: { readonly regions: string; readonly standalone: boolean },
): { query: CypherQuery; columns: string[] } {
  const firms = firmCountsQuery(scope, structure);
  const supply = supplyCountsQuery(scope, structure);
  const stays = splitsKept(scope) ? 'any(code IN keptCodes WHERE code IN $admittedCodes)' : 'false';
  const counted = 'any(code IN codes WHERE code IN $admittedCodes)';
  return {
    query: {
      cypher: `WITH ${host.standalone ? '' : '*, '}reduce(regions = [], id IN ${host.regions} | CASE WHEN id IN regions THEN regions ELSE regions + id END) AS contributionRegions
       // The scope firms, found by id once for both counts (SCOPE_FIRMS).
       CALL {
         UNWIND $firmIds AS firmId
         MATCH (scopeFirm:${L.Enterprise} { id: firmId })
         RETURN collect(scopeFirm) AS ${SCOPE_FIRMS}
       }
       CALL (contributionRegions, ${SCOPE_FIRMS}) {
         CALL (${SCOPE_FIRMS}) { ${firms.cypher} }
         WITH homeId, segmentId, n, leading, highTech, listed, listedWithRevenue, listedRevenue,
              ${counted} AS counted, ${stays} AS stays
         WHERE counted AND NOT stays
         WITH homeId, collect([segmentId, n, leading, highTech, listed, listedWithRevenue, listedRevenue]) AS rows
         UNWIND [regionId IN contributionRegions WHERE ${WITHIN('homeId', 'regionId')}] AS regionId
         UNWIND rows AS lost
         WITH regionId, lost[0] AS segmentId, sum(lost[1]) AS n, sum(lost[2]) AS leading, sum(lost[3]) AS highTech,
              sum(lost[4]) AS listed, sum(lost[5]) AS listedWithRevenue, sum(lost[6]) AS listedRevenue
         RETURN collect([regionId, segmentId, n, leading, highTech, listed, listedWithRevenue, listedRevenue]) AS f0
       }
       CALL (contributionRegions, ${SCOPE_FIRMS}) {
         CALL (${SCOPE_FIRMS}) { ${supply.cypher} }
         WITH homeId, segmentId, supplierHomes, n, ${counted} AS counted, ${stays} AS stays
         WHERE counted AND NOT stays
         // One supply region: its buyers were read from its subtree's homes only. Else every wanted region over the
         // buyer's home.
         UNWIND CASE WHEN $supplyRegionId IS NOT NULL THEN [$supplyRegionId]
                     ELSE [regionId IN contributionRegions WHERE ${WITHIN('homeId', 'regionId')}] END AS regionId
         WITH regionId, segmentId, n,
              CASE WHEN $supplyRegionId IS NOT NULL THEN any(home IN supplierHomes WHERE home IN $buyerHomeIds)
                   ELSE any(home IN supplierHomes WHERE ${WITHIN('home', 'regionId')}) END AS local
         WITH regionId, segmentId, sum(CASE WHEN local THEN n ELSE 0 END) AS localPairs,
              sum(CASE WHEN local THEN 0 ELSE n END) AS outsidePairs
         RETURN collect([regionId, segmentId, localPairs, outsidePairs]) AS s0
       }`,
      params: { ...firms.params, ...supply.params },
    },
    columns: ['f0', 's0'],
  };
}

/**
 * Which of the given ids exist with each label (unknown ids are reported as BAD_USER_INPUT by the callers), and how
 * current the aggregates are — one statement, so a report learns both before it reads any fact.
 */
export async function checkRequest(
  executor: Executor,
  checks: readonly { argument: string; label: string; id: string }[],
): Promise<{ missing: string[]; basis: AggregateBasis }> {
  // Label-specific, index-backed existence checks; labels come from the closed list.
  const params: Record<string, unknown> = {};
  const expressions = checks.map((check, index) => {
    params[`id${index}`] = check.id;
    return `CASE WHEN EXISTS { MATCH (:${assertLabel(check.label)} { id: $id${index} }) } THEN null ELSE ${index} END`;
  });
  const [row] = await executor.read(
    'request-check',
    cypher(
      `${BASIS_SUBQUERY}
       RETURN [missing IN [${expressions.join(', ')}] WHERE missing IS NOT NULL] AS missing, asOf, pendingChanges,
              structureVersion, maxOperations, ranksReady`,
      params,
    ),
  );
  return {
    missing: ((row?.['missing'] as number[] | undefined) ?? []).map((index) => checks[index]!.argument),
    basis: basisFrom(row),
  };
}

/** The supply links of the candidates that can still reach the top (see src/analytics/candidates.ts). */
export async function readCandidateLinks(
  executor: Executor,
  request: { regionId: string; ids: readonly string[]; sources: Sources },
): Promise<Map<string, Pick<CandidateFacts, 'suppliesLocal' | 'buysFromLocal' | 'indirect'>>> {
  if (request.ids.length === 0) return new Map();
  const rows = await executor.read(
    'target-links',
    cypher(
      `MATCH (region:${L.Region} { id: $regionId })
       WITH ${REGION_SUBTREE('region')} AS regions
       UNWIND $ids AS id
       MATCH (e:${L.Enterprise} { id: id })
       RETURN e.id AS id,
         COLLECT { MATCH (e)-[s:${T.SUPPLIES}]->(l:${L.Enterprise})-[:${T.LOCATED_IN}]->(x:${L.Region})
                   WHERE x IN regions AND s.source IN $sources AND l.source IN $sources
                   RETURN { enterpriseId: l.id, enterpriseName: l.name, products: coalesce(s.products, []) } ORDER BY l.id } AS suppliesLocal,
         COLLECT { MATCH (l:${L.Enterprise})-[s:${T.SUPPLIES}]->(e) MATCH (l)-[:${T.LOCATED_IN}]->(x:${L.Region})
                   WHERE x IN regions AND s.source IN $sources AND l.source IN $sources
                   RETURN { enterpriseId: l.id, enterpriseName: l.name, products: coalesce(s.products, []) } ORDER BY l.id } AS buysFromLocal,
         COLLECT { MATCH (e)-[s1:${T.SUPPLIES}]->(m:${L.Enterprise})-[s2:${T.SUPPLIES}]->(l:${L.Enterprise})-[:${T.LOCATED_IN}]->(x:${L.Region})
                   WHERE x IN regions AND s1.source IN $sources AND s2.source IN $sources AND m <> e AND l <> e
                     AND NOT EXISTS { MATCH (m)-[:${T.LOCATED_IN}]->(y:${L.Region}) WHERE y IN regions }
                   WITH DISTINCT m, l ORDER BY m.id, l.id LIMIT 3
                   RETURN { viaId: m.id, viaName: m.name, toId: l.id, toName: l.name } } AS indirect`,
      { regionId: request.regionId, ids: request.ids, sources: request.sources },
    ),
  );
  return new Map(
    rows.map((row) => [
      String(row['id']),
      {
        suppliesLocal: row['suppliesLocal'] as CandidateFacts['suppliesLocal'],
        buysFromLocal: row['buysFromLocal'] as CandidateFacts['buysFromLocal'],
        indirect: row['indirect'] as CandidateFacts['indirect'],
      },
    ]),
  );
}

/**
 * The linkage factor of each listed firm (1: supplies a local firm, 0.7: buys from one, 0.4: supplies an outside
 * firm that supplies a local one, 0: none), under exactly the conditions readCandidateLinks lists its links by, but
 * without listing them: each firm stops at its first link of the best kind, so a walk can score hundreds of firms
 * exactly for the cost of a few index rows each (targetFirms, candidates.ts). Firms not found are left out.
 *
 * With `indirectOnly` only the indirect link is looked for (0.4 or 0): for firms the caller knows to have no direct
 * link to the region, or whose score cannot reach its top whatever their linkage — targetFirms once its linked read
 * has listed every firm with a direct link that could (candidates.ts). Walking a firm's supply links both ways to
 * find none was a fifth to two fifths of the linkage's db hits: the firms the bench's three heaviest walk rounds chose
 * at 200,000 firms (34–69 a round), read alone, took 9,397 / 12,233 / 10,336 db hits, indirect only 7,374 / 7,390 /
 * 6,833 (warm, one at a time: 4.3 → 3.4 and 3.7 → 2.8 ms for the two largest, a round trip included).
 */
export async function readCandidateLinkage(
  executor: Executor,
  request: { regionId: string; ids: readonly string[]; sources: Sources; indirectOnly?: boolean },
): Promise<Map<string, number>> {
  if (request.ids.length === 0) return new Map();
  const part = candidateLinkagePart(request.regionId, { indirectOnly: request.indirectOnly });
  const [row] = await executor.read(
    'target-linkage',
    cypher(`${part.cypher}\nRETURN linkage`, { ...part.params, ids: request.ids, sources: request.sources }),
  );
  return linkageFrom(row);
}

/**
 * readCandidateLinkage's read as a CALL subquery returning one row with `linkage`: [id, linkage factor] of each firm
 * of `$ids` found (linkageFrom reads it). It reads the firms and the sources of the statement it goes out with
 * (`$ids`, `$sources`: the facts of the firms a walk round chose, candidates.ts, which would otherwise need a
 * statement more for their linkage); its own parameter is `linkageRegionId`. `indirectOnly`: as readCandidateLinkage.
 */
export function candidateLinkagePart(
  regionId: string,
  options: { indirectOnly?: boolean | undefined } = {},
): CypherQuery {
  const direct = `WHEN EXISTS { MATCH (e)-[s:${T.SUPPLIES}]->(l:${L.Enterprise})
                       WHERE s.source IN $sources AND l.source IN $sources AND ${locatedInRegions('l')} } THEN 1.0
         WHEN EXISTS { MATCH (l:${L.Enterprise})-[s:${T.SUPPLIES}]->(e)
                       WHERE s.source IN $sources AND l.source IN $sources AND ${locatedInRegions('l')} } THEN 0.7`;
  // The indirect link goes through an outside firm m that supplies a local one. m's homes are tested before its own
  // links are walked, and each home test reads the firm's kept home ids (locatedInRegions): walking m's and then
  // each customer's LOCATED_IN to test it against the region's nodes was most of a walk round's db hits (the bench's
  // six cities at 200,000 firms, the rounds that read linkage: 43,778 db hits before, 28,033 after). A SUPPLIES link
  // only ever joins two enterprises (src/ingest/batches.ts), so neither end's label is read.
  return cypher(
    `CALL {
       MATCH (region:${L.Region} { id: $linkageRegionId })
       WITH ${REGION_SUBTREE('region')} AS regions
       WITH regions, [region IN regions | region.id] AS regionIds
       UNWIND $ids AS id
       MATCH (e:${L.Enterprise} { id: id })
       RETURN collect([e.id, CASE
         ${options.indirectOnly === true ? '' : direct}
         WHEN EXISTS { MATCH (e)-[s1:${T.SUPPLIES}]->(m)
                       WHERE s1.source IN $sources AND m <> e AND NOT ${locatedInRegions('m')}
                         AND EXISTS { MATCH (m)-[s2:${T.SUPPLIES}]->(l)
                                      WHERE s2.source IN $sources AND l <> e AND ${locatedInRegions('l')} } } THEN 0.4
         ELSE 0.0 END]) AS linkage
     }`,
    { linkageRegionId: regionId },
  );
}

/** The `linkage` column of candidateLinkagePart, by firm id. */
export function linkageFrom(row: Row | undefined): Map<string, number> {
  return new Map(
    ((row?.['linkage'] as [string, number][] | undefined) ?? []).map(([id, linkage]) => [
      String(id),
      Number(linkage),
    ]),
  );
}

/** Segment ids in the scope of each gap segment (the segment and its narrower segments). */
export async function readSegmentScopes(
  executor: Executor,
  segmentIds: readonly string[],
): Promise<Map<string, string>> {
  const rows = await executor.read(
    'segment-scopes',
    cypher(
      `UNWIND $segmentIds AS gapId
       MATCH (d:${L.ChainSegment})-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(:${L.ChainSegment} { id: gapId })
       RETURN d.id AS scopeId, gapId ORDER BY gapId`,
      { segmentIds },
    ),
  );
  // A narrower segment may sit under several gap segments (a gap and its parent). Deterministic rule: a segment
  // that is itself a gap maps to itself; otherwise to the first gap id in order.
  const scopeToGap = new Map<string, string>();
  for (const row of rows) {
    const scopeId = String(row['scopeId']);
    const gapId = String(row['gapId']);
    if (scopeId === gapId || !scopeToGap.has(scopeId)) scopeToGap.set(scopeId, gapId);
  }
  for (const id of segmentIds) scopeToGap.set(id, id);
  return scopeToGap;
}

/** A measure applying to the request's chains or gap segments, with what its eligibility rule needs. */
export interface IncentiveFacts {
  readonly id: string;
  readonly offerable: boolean;
  /** It applies to one of the chains, directly or through their industries. */
  readonly wholeScope: boolean;
  /** The given segments it names. */
  readonly scopeSegmentIds: string[];
  /** Its eligibility clauses as stored (JSON text; '[]' for none). */
  readonly eligibilityJson: string;
}

/**
 * Policy measures applying to a chain, its industries or the given segments, with their offerability and conditions
 * — one statement per request, whatever the number of firms (the rule is applied per firm in memory).
 */
export async function readIncentives(
  executor: Executor,
  chainIds: readonly string[],
  segmentIds: readonly string[],
): Promise<IncentiveFacts[]> {
  const rows = await executor.read(
    'incentives',
    cypher(
      `MATCH (m:${L.PolicyMeasure})
       WITH m,
            EXISTS { (m)-[:${T.APPLIES_TO}]->(c:${L.IndustrialChain}) WHERE c.id IN $chainIds }
              OR EXISTS { (m)-[:${T.APPLIES_TO}]->(:${L.Industry})<-[:${T.BELONGS_TO}]-(c:${L.IndustrialChain}) WHERE c.id IN $chainIds } AS wholeScope,
            [(m)-[:${T.APPLIES_TO}]->(s:${L.ChainSegment}) WHERE s.id IN $segmentIds | s.id] AS scopeSegmentIds
       WHERE wholeScope OR size(scopeSegmentIds) > 0
       RETURN m.id AS id, coalesce(m.offerable, true) AS offerable, wholeScope, scopeSegmentIds,
              coalesce(m.eligibilityJson, '[]') AS eligibilityJson
       ORDER BY m.number, m.id`,
      { chainIds, segmentIds },
    ),
  );
  return rows.map((row) => ({
    id: String(row['id']),
    offerable: row['offerable'] === true,
    wholeScope: row['wholeScope'] === true,
    scopeSegmentIds: (row['scopeSegmentIds'] as string[]).map(String),
    eligibilityJson: String(row['eligibilityJson']),
  }));
}

export interface SupplyLossRow {
  readonly buyerId: string;
  readonly products: string[];
  readonly lostSupplierIds: string[];
}

/** Whose supply a loss takes away (supplyLossesQuery: readSegmentLosses, readFirmLoss). */
interface SupplyLossRequest {
  readonly regionId: string;
  readonly removed: readonly string[];
  readonly sources: Sources;
  /**
   * A segment scenario: only the supply links of that segment are lost — from a removed firm operating in one of
   * `segmentIds` (the segment and its narrower segments) to a buyer operating in one of `fedSegmentIds` (what those
   * segments, or the segment's broader ones, feed: how the aggregates attribute a supply pair to a segment) — and
   * a buyer is left without local supply when no other local firm supplies it from those segments.
   */
  readonly segment?: { segmentIds: readonly string[]; fedSegmentIds: readonly string[] };
  /**
   * A segment scenario whose operations' keys are current (HOME_INDEX_SUBQUERY): the other local firms of the segment
   * come from the `operates_in_home` index, once, instead of walking every supplier of each buyer.
   */
  readonly homeIndex?: boolean;
}

/**
 * Losing a segment: its local firms (localEnterprisesOfSegmentQuery, first `limit` by id) and the buyers their loss
 * leaves without local supply (supplyLossesQuery, for the segment scope `segment`), in one statement. The losses are
 * read only when there are at most `maxFirms` firms (the caller refuses more).
 */
export async function readSegmentLosses(
  executor: Executor,
  request: Parameters<typeof localEnterprisesOfSegmentQuery>[0] & {
    readonly maxFirms: number;
    readonly segment: { segmentIds: readonly string[]; fedSegmentIds: readonly string[] };
    /**
     * Also read what readSegmentLossStart reads but the stored count — the segment's chains and whether the index
     * is current — in this statement (the index side: its firm read is bounded by `limit`, so no stored count need
     * refuse a large region first). The caller must read again from the walked side when it was not current.
     */
    readonly withStart?: boolean;
  },
): Promise<{
  removed: string[];
  losses: SupplyLossRow[];
  /** The removed firms with a SUPPLIES link to a firm located in the region (sorted; none when not read). */
  localSupplierIds: string[];
  /** With `withStart`: the segment's chains and whether the index was current. */
  start?: { chainIds: string[]; homeIndexReady: boolean };
}> {
  const locals = localEnterprisesOfSegmentQuery({ ...request, withFirm: true });
  const losses = supplyLossesQuery({
    regionId: request.regionId,
    removed: 'variable',
    sources: request.sources,
    segment: request.segment,
    homeIndex: request.side === 'index',
  });
  const [row] = await executor.read(
    'segment-losses',
    cypher(
      `${request.withStart ? `${HOME_INDEX_SUBQUERY} ${SEGMENT_CHAINS_SUBQUERY}` : ''}
       CALL { CALL { ${locals.cypher} } RETURN collect(id) AS removed, collect(firm) AS lostFirms }
       OPTIONAL CALL {
         WITH removed, lostFirms
         WITH removed, lostFirms WHERE size(removed) > 0 AND size(removed) <= $maxFirms
         ${losses.cypher}
       }
       RETURN removed, losses, localSupplierIds${request.withStart ? ', homeIndexReady, chainIds' : ''}`,
      { ...locals.params, ...losses.params, maxFirms: request.maxFirms },
    ),
  );
  return {
    removed: ((row?.['removed'] as string[] | undefined) ?? []).map(String),
    losses: lossesFrom(row),
    localSupplierIds: ((row?.['localSupplierIds'] as string[] | null | undefined) ?? []).map(String).sort(),
    ...(request.withStart
      ? { start: { chainIds: chainIdsFrom(row), homeIndexReady: row?.['homeIndexReady'] === true } }
      : {}),
  };
}

/** Cypher (a CALL, given `$segmentId`) returning `chainIds`: the chains of the segment (none when unknown). */
const SEGMENT_CHAINS_SUBQUERY = `CALL {
         OPTIONAL MATCH (segment:${L.ChainSegment} { id: $segmentId })
         WHERE segment.chainId IS NOT NULL
         RETURN collect(DISTINCT segment.chainId) AS chainIds
       }`;

const chainIdsFrom = (row: Row | undefined): string[] =>
  [...new Set((row?.['chainIds'] as string[] | undefined) ?? [])].sort();

/**
 * Losing one firm: the chains it operates in and the local firms its loss leaves without supply (supplyLossesQuery),
 * in one statement.
 */
export async function readFirmLoss(
  executor: Executor,
  request: { readonly enterpriseId: string; readonly regionId: string; readonly sources: Sources },
): Promise<{ chainIds: string[]; losses: SupplyLossRow[] }> {
  const losses = supplyLossesQuery({ ...request, removed: [request.enterpriseId] });
  const [row] = await executor.read(
    'firm-loss',
    cypher(
      `CALL {
         MATCH (:${L.Enterprise} { id: $enterpriseId })-[op:${T.OPERATES_IN}]->(s:${L.ChainSegment})
         WHERE op.source IN $sources
         RETURN collect(DISTINCT s.chainId) AS chainIds
       }
       CALL { ${losses.cypher} }
       RETURN chainIds, losses`,
      { ...losses.params, enterpriseId: request.enterpriseId },
    ),
  );
  return {
    // collect() leaves out segments without a chain.
    chainIds: ((row?.['chainIds'] as string[] | undefined) ?? []).slice().sort(),
    losses: lossesFrom(row),
  };
}

/** The `losses` column of supplyLossesQuery. */
function lossesFrom(row: Row | undefined): SupplyLossRow[] {
  return ((row?.['losses'] as Row[] | undefined) ?? []).map((loss) => ({
    buyerId: String(loss['buyerId']),
    products: [...new Set(loss['products'] as string[])],
    lostSupplierIds: [...new Set(loss['lostSupplierIds'] as string[])].sort(),
  }));
}

/**
 * The buyers a loss leaves without local supply, as one row with a column `losses`, in buyer name order, run as a
 * CALL subquery (readFirmLoss, readSegmentLosses): local firms that buy from the removed enterprises and have no
 * other local supplier operating in any segment the removed ones supply from. With the removed firms as a variable
 * (readSegmentLosses) the row also has `localSupplierIds`: the removed firms with a SUPPLIES link to a firm located
 * in the region, whatever the link's and the buyer's sources and segments.
 */
function supplyLossesQuery(
  request: Omit<SupplyLossRequest, 'removed'> & { readonly removed: readonly string[] | 'variable' },
): CypherQuery {
  const segment = request.segment ?? null;
  // The removed firms' ids: a parameter, or the variable `removed` of an enclosing statement (readSegmentLosses),
  // which every WITH then carries along with `lostFirms`, their nodes.
  const variable = request.removed === 'variable';
  const removed = variable ? 'removed' : '$removed';
  const viaIndex = segment !== null && request.homeIndex === true;
  const carry = (variable ? 'removed, ' : '') + (viaIndex ? 'stillSupplied, ' : '');
  // Losing a segment removes every local firm of it the sources admit, so the other local suppliers "from those
  // segments" are only the few whose operation or firm the sources leave out. Read from the index once, with the
  // buyers they supply, they replace a walk over every supplier of each buyer: a buyer with 10,000 suppliers at a
  // million firms cost 110,000 db hits, for a question whose answer was no.
  const stillSupplied = viaIndex
    ? `CALL (${variable ? 'removed, ' : ''}regions) {
         UNWIND $segmentIds AS segmentId
         UNWIND regions AS x
         MATCH (other)-[:${T.OPERATES_IN} { rankSegmentId: segmentId, rankHomeId: x.id }]->()
         WHERE NOT other.id IN ${removed}
         WITH DISTINCT other
         MATCH (other)-[s:${T.SUPPLIES}]->(supplied:${L.Enterprise})
         WHERE s.source IN $sources
         RETURN collect(DISTINCT supplied) AS stillSupplied
       }`
    : '';
  // Whether a firm lies in the region. With the keys current (viaIndex: no write pending since the refresh that
  // computed them), from the ids of its homes the firm keeps (candidates.ts RANK_BODY), one property read where the
  // walk reads every relationship of the firm; walked for a firm without them. Most buyers of a segment's firms lie
  // outside the region: losing bio-antibiotic-apis in a city at a million firms walked 1,148 buyers' relationships
  // (10,439 of the statement's 26,673 db hits) to keep 74 of them.
  const inRegion = (firm: string) => (viaIndex ? locatedInRegions(firm) : walkedInRegions(firm));
  // The enclosing statement's firms (`lostFirms`, the nodes of `removed`) were found there local, in the segment's
  // scope and admitted by the sources: they are walked from as they are, and the buyer's home, one key read, is
  // tested before its sources. Found again by id and checked again, the 378 lost firms of the bench's largest
  // segment loss at a million firms cost 8,000 of the statement's 18,000 db hits.
  const buyerFed = segment
    ? `AND EXISTS { MATCH (buyer)-[op:${T.OPERATES_IN}]->(t:${L.ChainSegment}) WHERE t.id IN $fedSegmentIds AND op.source IN $sources }`
    : '';
  // The enclosing statement's firms' links to buyers in the region are walked once, the buyer's home (one key read)
  // tested first, into `localLinks`; the sources are tested after. Who among the firms supplies the region at all
  // (`localSupplierIds`) then comes with the losses: the scenario's counts (aggregates.ts firmSupplyCountsQuery) walk
  // the links out of those firms only. The bench's largest segment loss at a million firms, upstream, walked its
  // 378 firms' 1,148 links there again to find no buyer in the region: 4,700 of its counting statement's 11,351 db
  // hits. (A SUPPLIES link only ever joins enterprises — its one write path, src/ingest/batches.ts — so the buyer's
  // label is not tested.)
  const localLinks = variable
    ? `CALL (lostFirms, regions${viaIndex ? ', regionIds' : ''}) {
         UNWIND lostFirms AS lost
         MATCH (lost)-[supply:${T.SUPPLIES}]->(buyer)
         WHERE ${inRegion('buyer')}
         RETURN collect(DISTINCT lost.id) AS localSupplierIds, collect([lost, supply, buyer]) AS localLinks
       }`
    : '';
  const lostSupply = variable
    ? `UNWIND localLinks AS link
       WITH ${carry}regions, link[0] AS lost, link[1] AS supply, link[2] AS buyer
       WHERE supply.source IN $sources AND buyer.source IN $sources${segment ? '' : ' AND NOT buyer.id IN removed'} ${buyerFed}`
    : `MATCH (lost:${L.Enterprise})-[supply:${T.SUPPLIES}]->(buyer:${L.Enterprise})
       WHERE lost.id IN ${removed} AND (${segment ? 'true' : `NOT buyer.id IN ${removed}`}) AND supply.source IN $sources AND buyer.source IN $sources
         AND ${inRegion('lost')}
         AND ${inRegion('buyer')}
         ${segment ? `AND EXISTS { MATCH (lost)-[op:${T.OPERATES_IN}]->(d:${L.ChainSegment}) WHERE d.id IN $segmentIds AND op.source IN $sources }` : ''}
         ${buyerFed}`;
  const keep = variable ? 'removed, lostFirms, ' : '';
  // Per buyer, from the lost links: whether it keeps another local supplier, and its row of `losses`.
  const strandedBuyers = `${lostSupply}
       WITH ${carry}regions, buyer, collect(lost) AS lostSuppliers, collect(supply) AS supplies
       ${
         viaIndex
           ? 'WITH buyer, lostSuppliers, supplies WHERE NOT buyer IN stillSupplied'
           : `WITH ${carry}regions, buyer, lostSuppliers, supplies,
            ${
              segment
                ? `COLLECT { MATCH (seg:${L.ChainSegment}) WHERE seg.id IN $segmentIds RETURN seg }`
                : `COLLECT { UNWIND lostSuppliers AS l MATCH (l)-[:${T.OPERATES_IN}]->(seg:${L.ChainSegment}) RETURN DISTINCT seg }`
            } AS segments
       WHERE NOT EXISTS {
         MATCH (other:${L.Enterprise})-[s:${T.SUPPLIES}]->(buyer)
         WHERE NOT other.id IN ${removed} AND s.source IN $sources
           AND EXISTS { MATCH (other)-[:${T.LOCATED_IN}]->(x:${L.Region}) WHERE x IN regions }
           AND EXISTS { MATCH (other)-[:${T.OPERATES_IN}]->(seg:${L.ChainSegment}) WHERE seg IN segments }
       }`
       }
       WITH buyer, supplies, lostSuppliers ORDER BY buyer.name, buyer.id
       RETURN collect({ buyerId: buyer.id,
                        products: reduce(all = [], s IN supplies | all + coalesce(s.products, [])),
                        lostSupplierIds: [l IN lostSuppliers | l.id] }) AS losses`;
  return cypher(
    `MATCH (region:${L.Region} { id: $regionId })
       WITH ${keep}${REGION_SUBTREE('region')} AS regions
       ${viaIndex ? `WITH ${keep}regions, [x IN regions | x.id] AS regionIds` : ''}
       ${stillSupplied}
       ${
         variable
           ? `${localLinks}
       // In a subquery of its own, so that a loss with no lost link still returns its row (with localSupplierIds).
       CALL (${carry}regions, localLinks) {
         ${strandedBuyers}
       }
       RETURN losses, localSupplierIds`
           : strandedBuyers
       }`,
    {
      regionId: request.regionId,
      ...(variable ? {} : { removed: request.removed }),
      sources: request.sources,
      segmentIds: segment?.segmentIds ?? [],
      fedSegmentIds: segment?.fedSegmentIds ?? [],
    },
  );
}

/**
 * Losing a segment, before any firm is read: the chains the segment belongs to (as readChainsOf) and how many local
 * enterprises operate in it, narrower segments included, from the stored aggregates (a scenario that would leave
 * out too many is refused before any firm is read), and whether its local firms can be read from the
 * `operates_in_home` index (HOME_INDEX_SUBQUERY), in one statement. An unknown segment or region gives no chain
 * and 0.
 */
export async function readSegmentLossStart(
  executor: Executor,
  request: { segmentId: string; regionId: string; sources: Sources },
): Promise<{ chainIds: string[]; localCount: number; homeIndexReady: boolean }> {
  const [row] = await executor.read(
    'segment-loss-start',
    cypher(
      `${REGION_AGGREGATES_SUBQUERY}
       ${HOME_INDEX_SUBQUERY}
       ${SEGMENT_CHAINS_SUBQUERY}
       RETURN aggregates, chainIds, homeIndexReady`,
      {
        aggregateRegionIds: [request.regionId],
        aggregateFilter: filterKey(request.sources),
        segmentId: request.segmentId,
      },
    ),
  );
  return {
    chainIds: chainIdsFrom(row),
    // Decoded through the cache of stored texts (the same region's counts are read by its reports too).
    localCount:
      aggregatesFrom(row?.['aggregates'], filterKey(request.sources))
        .get(request.regionId)
        ?.get(request.segmentId)?.enterprises ?? 0,
    homeIndexReady: row?.['homeIndexReady'] === true,
  };
}

/**
 * Local enterprises operating in a segment (its narrower segments included) — what "losing the segment" removes —
 * first `limit` by id. No index joins a segment to a region, so they are found from whichever side has fewer
 * relationships to walk, counted from the degrees first (no firm read): the region's located firms, each checked for
 * an operation in the segment, or the segment's operations, each checked for a home in the region. Reading the
 * segment's side always walked every firm of the segment in the country: 51 ms for bio-health-services in a city at
 * 200,000 firms, five times as many firms at a million. The region's side still walked every firm of the city and
 * its operations (25,000 db hits for a city at a million firms, for 10–30 firms found), so when the keys kept on each
 * operation are current (HOME_INDEX_SUBQUERY) the firms come from the `operates_in_home` index instead, one seek
 * per (segment, home region): `side: 'index'`. `side` forces one (tests compare the three). The index side reads
 * neither end's label nor the segment's id: an OPERATES_IN link only ever runs from an enterprise to a segment (its
 * one write path, src/ingest/batches.ts), and its kept `rankSegmentId` is that segment's id while the keys are
 * current, the one case this side is read in (a statement that finds them not current is read again from the walked
 * side). Checked, they cost 3 db hits a firm found: losing bio-antibiotic-apis in a city at 200,000 firms (82 firms,
 * each found twice: here, and as another local supplier in supplyLossesQuery's `stillSupplied`), 2,118 → 1,790.
 */
export function localEnterprisesOfSegmentQuery(request: {
  segmentId: string;
  regionId: string;
  sources: Sources;
  limit: number;
  side?: 'region' | 'segment' | 'index';
  /**
   * Also return each firm's node (`firm`), for a statement that goes on from the firms found (readSegmentLosses):
   * found again by id, each was read and checked a second time.
   */
  withFirm?: boolean;
}): CypherQuery {
  const found = request.withFirm
    ? 'WITH DISTINCT e ORDER BY e.id LIMIT toInteger($limit) RETURN e.id AS id, e AS firm'
    : 'RETURN DISTINCT e.id AS id ORDER BY id LIMIT toInteger($limit)';
  if (request.side === 'index') {
    return cypher(
      `MATCH (region:${L.Region} { id: $regionId }), (segment:${L.ChainSegment} { id: $segmentId })
       WITH ${REGION_SUBTREE('region')} AS regions,
            COLLECT { MATCH (s:${L.ChainSegment})-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(segment) RETURN DISTINCT s.id } AS scope
       UNWIND scope AS segmentId
       UNWIND regions AS x
       MATCH (e)-[op:${T.OPERATES_IN} { rankSegmentId: segmentId, rankHomeId: x.id }]->()
       WHERE e.source IN $sources AND op.source IN $sources
       ${found}`,
      {
        segmentId: request.segmentId,
        regionId: request.regionId,
        sources: request.sources,
        limit: request.limit,
      },
    );
  }
  return cypher(
    `MATCH (region:${L.Region} { id: $regionId }), (segment:${L.ChainSegment} { id: $segmentId })
     WITH ${REGION_SUBTREE('region')} AS regions,
          COLLECT { MATCH (s:${L.ChainSegment})-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(segment) RETURN DISTINCT s } AS scope
     WITH regions, scope,
          coalesce($side, CASE
            WHEN reduce(n = 0, x IN regions | n + COUNT { (x)<-[:${T.LOCATED_IN}]-() })
                 <= reduce(n = 0, s IN scope | n + COUNT { (s)<-[:${T.OPERATES_IN}]-() })
            THEN 'region' ELSE 'segment' END) AS side
     CALL {
       WITH regions, scope, side
       WITH regions, scope WHERE side = 'region'
       UNWIND regions AS x
       MATCH (x)<-[:${T.LOCATED_IN}]-(e:${L.Enterprise})-[op:${T.OPERATES_IN}]->(s)
       WHERE s IN scope AND e.source IN $sources AND op.source IN $sources
       RETURN e
       UNION
       WITH regions, scope, side
       WITH regions, scope WHERE side = 'segment'
       UNWIND scope AS s
       MATCH (s)<-[op:${T.OPERATES_IN}]-(e:${L.Enterprise})
       WHERE e.source IN $sources AND op.source IN $sources
         AND EXISTS { MATCH (e)-[:${T.LOCATED_IN}]->(x:${L.Region}) WHERE x IN regions }
       RETURN e
     }
     ${found}`,
    {
      segmentId: request.segmentId,
      regionId: request.regionId,
      sources: request.sources,
      limit: request.limit,
      side: request.side ?? null,
    },
  );
}

/** Runs localEnterprisesOfSegmentQuery: the ids, in order. */
export async function readLocalEnterprisesOfSegment(
  executor: Executor,
  request: Parameters<typeof localEnterprisesOfSegmentQuery>[0],
): Promise<string[]> {
  const rows = await executor.read('segment-locals', localEnterprisesOfSegmentQuery(request));
  return rows.map((row) => String(row['id']));
}

/** The chain a segment belongs to (none for an unknown segment). */
export async function readChainsOf(executor: Executor, request: { segmentId: string }): Promise<string[]> {
  const rows = await executor.read(
    'chains-of',
    cypher(
      `MATCH (segment:${L.ChainSegment} { id: $segmentId })
       WHERE segment.chainId IS NOT NULL
       RETURN collect(DISTINCT segment.chainId) AS chainIds`,
      { segmentId: request.segmentId },
    ),
  );
  return [...new Set((rows[0]?.['chainIds'] as string[] | undefined) ?? [])].sort();
}
