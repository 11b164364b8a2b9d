import { cypher, type CypherQuery } from '../../src/data/cypher.js';
import type { Executor } from '../../src/data/executor.js';
import {
  MAX_REGION_DEPTH,
  MAX_SEGMENT_DEPTH,
  NodeLabel as L,
  DEFAULT_ANALYTICS_SOURCES,
  RelationshipType as T,
} from '../../src/data/model.js';
import {
  assessSegment,
  compareAssessments,
  STATUS_RANK,
  summarise,
  summariseByStage,
  withDefaults,
  type GapAssessment,
  type GapThresholds,
  type SegmentFacts,
  type Stage,
  type ThresholdsInput,
} from '../../src/analytics/gaps.js';
import {
  haversineKm,
  linkageBonus as linkageBonusOf,
  rankCandidates,
  withDefaultWeights,
  type CandidateFacts,
  type WeightsInput,
} from '../../src/analytics/targets.js';

/**
 * The test oracle of the analytics differential test (issue 12): a frozen copy of the analytics as they were before
 * aggregates — every request recounts from the firms themselves. The fact statements below are copied verbatim from
 * src/analytics/facts.ts at commit 4624354 (that file is being replaced by aggregates and an index walk, so the
 * oracle must not import it); the four report functions at the end mirror src/analytics/reports.ts but return only
 * the DATA of each report (ids instead of node projections), using the pure rules of gaps.ts and targets.ts, which
 * define what the answers mean and stay shared.
 */

export type Sources = readonly string[];

export function sourcesOrAll(sources: readonly string[] | null | undefined): Sources {
  // The service's default (issue 15): real data only.
  return sources && sources.length > 0 ? sources : DEFAULT_ANALYTICS_SOURCES;
}

/** A traversal depth, validated before any statement is built (variable-length bounds must be literals). */
export function traversalDepth(value: unknown, max: number, argument = 'depth'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`${argument} must be a whole number from 1 to ${max}`);
  }
  return value;
}

// The region and its sub-regions, bound to `regions` (a list) for membership tests.
const REGION_SUBTREE = (regionVariable: string) =>
  `COLLECT { MATCH (sub:${L.Region})-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]->(${regionVariable}) RETURN sub }`;

export interface GapFactsRequest {
  readonly chainIds: readonly string[];
  readonly regionIds: readonly string[];
  /** Each scenario is a list of enterprise ids to leave out (the empty list is the graph as it is). */
  readonly scenarios: readonly (readonly string[])[];
  readonly sources: Sources;
  readonly maxDepth: number;
  /** Restrict to this segment and its narrower segments. */
  readonly segmentScopeId?: string | null;
  /**
   * A segment scenario: the scenario's firms are not left out but lose their operations in these segments (and, with
   * them, the supply they were counted for through those operations).
   */
  readonly dropSegmentIds?: readonly string[];
}

/**
 * One statement, two parts, and no expansion from a segment to all of its firms (tens of thousands at province
 * scale):
 * - the chains' structure: each segment with its scope (itself and its narrower segments), the segments it feeds,
 *   and how many it reaches downstream;
 * - per region, its local enterprises (found from the region subtree, a small share of all firms) with their segments
 *   and their suppliers (local or not, with the suppliers' segments), and its platforms with the segments they
 *   support.
 * The per-segment figures are then counted in JavaScript (`gapFactsFrom`), scenarios included.
 */
export function gapFactsQuery(request: GapFactsRequest): CypherQuery {
  const depth = traversalDepth(request.maxDepth, 12, 'maxDepth');
  return cypher(
    `CALL {
       UNWIND $chainIds AS chainId
       MATCH (chain:${L.IndustrialChain} { id: chainId })
       WITH chain, COLLECT { MATCH (s:${L.ChainSegment})-[:${T.IN_CHAIN}]->(chain) WHERE s.source IN $sources RETURN s } AS segments
       WITH chain, size(segments) AS chainSize,
            CASE WHEN $segmentScopeId IS NULL THEN segments
                 ELSE [s IN segments WHERE EXISTS { (s)-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(:${L.ChainSegment} { id: $segmentScopeId }) }] END AS inScope
       UNWIND inScope AS s
       CALL (s, chain) {
         OPTIONAL MATCH p = ANY SHORTEST (s)(()-[f:${T.FEEDS} WHERE f.source IN $sources]->()){1,${depth}}(t:${L.ChainSegment})
         WHERE t <> s AND t.source IN $sources
         RETURN count(DISTINCT t) AS downstreamAll,
                count(DISTINCT CASE WHEN EXISTS { (t)-[:${T.IN_CHAIN}]->(chain) } THEN t END) AS downstreamInChain
       }
       RETURN collect({
         chainId: chain.id, chainSize: chainSize, segmentId: s.id, name: s.name, nameEn: s.nameEn, stage: s.stage,
         scope: COLLECT { MATCH (d:${L.ChainSegment})-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(s) RETURN d.id },
         broader: COLLECT { MATCH up = (s)-[:${T.SUBSEGMENT_OF}*1..${MAX_SEGMENT_DEPTH}]->(b:${L.ChainSegment})
                            WHERE b.source IN $sources
                            RETURN [b.id, b.name, COLLECT { MATCH (d:${L.ChainSegment})-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(b) RETURN d.id }]
                            ORDER BY length(up), b.id },
         feeds: COLLECT { MATCH (s)-[f:${T.FEEDS}]->(t:${L.ChainSegment}) WHERE f.source IN $sources RETURN t.id },
         downstreamAll: downstreamAll, downstreamInChain: downstreamInChain
       }) AS segments
     }
     CALL {
       UNWIND $regionIds AS regionId
       MATCH (region:${L.Region} { id: regionId })
       WITH region, ${REGION_SUBTREE('region')} AS regions
       CALL (region, regions) {
         MATCH (region)<-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]-(:${L.Region})<-[located:${T.LOCATED_IN}]-(e:${L.Enterprise})
         WHERE located.source IN $sources AND e.source IN $sources
         RETURN collect({
           id: e.id, leading: coalesce(e.leading, false), highTech: coalesce(e.highTech, false),
           listed: e.stockCode IS NOT NULL, revenue: e.revenueCnyMillion,
           segments: COLLECT { MATCH (e)-[op:${T.OPERATES_IN}]->(d:${L.ChainSegment}) WHERE op.source IN $sources AND d.source IN $sources RETURN d.id },
           suppliers: COLLECT {
             MATCH (e)<-[supply:${T.SUPPLIES}]-(supplier:${L.Enterprise})
             WHERE supply.source IN $sources AND supplier.source IN $sources
             RETURN DISTINCT {
               id: supplier.id,
               local: EXISTS { MATCH (supplier)-[:${T.LOCATED_IN}]->(y:${L.Region}) WHERE y IN regions },
               segments: COLLECT { MATCH (supplier)-[:${T.OPERATES_IN}]->(d:${L.ChainSegment}) RETURN d.id }
             }
           }
         }) AS firms
       }
       CALL (region) {
         MATCH (region)<-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]-(:${L.Region})<-[:${T.LOCATED_IN}]-(p:${L.Platform})-[support:${T.SUPPORTS}]->(d:${L.ChainSegment})
         WHERE p.source IN $sources AND support.source IN $sources
         RETURN collect([p.id, d.id]) AS platforms
       }
       // The nation of the location quotient (issue 15): the root of the region's tree, when there is one root; its
       // listed firms, each with its segments, recounted from scratch.
       CALL (region) {
         MATCH (region)-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]->(root:${L.Region})
         WHERE NOT EXISTS { (root)-[:${T.PART_OF}]->(:${L.Region}) }
         WITH collect(DISTINCT root) AS roots
         RETURN CASE WHEN size(roots) = 1 THEN roots[0].id END AS nationId,
                CASE WHEN size(roots) = 1 THEN COLLECT {
                  MATCH (nation:${L.Region} { id: roots[0].id })<-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]-(:${L.Region})<-[located:${T.LOCATED_IN}]-(e:${L.Enterprise})
                  WHERE located.source IN $sources AND e.source IN $sources AND e.stockCode IS NOT NULL
                  WITH DISTINCT e
                  RETURN { id: e.id, revenue: e.revenueCnyMillion,
                           segments: COLLECT { MATCH (e)-[op:${T.OPERATES_IN}]->(d:${L.ChainSegment}) WHERE op.source IN $sources AND d.source IN $sources RETURN d.id } }
                } ELSE [] END AS nationFirms
       }
       RETURN collect({ regionId: region.id, firms: firms, platforms: platforms, nationId: nationId, nationFirms: nationFirms }) AS regions
     }
     RETURN segments, regions`,
    {
      chainIds: request.chainIds,
      regionIds: request.regionIds,
      sources: request.sources,
      segmentScopeId: request.segmentScopeId ?? null,
    },
  );
}

interface StructureRow {
  chainId: string;
  chainSize: number;
  segmentId: string;
  name: string;
  nameEn: string | null;
  stage: Stage;
  scope: string[];
  /** Broader segments, nearest first: [id, name, scope]. */
  broader: [string, string, string[]][];
  feeds: string[];
  downstreamAll: number;
  downstreamInChain: number;
}

interface LocalFirm {
  id: string;
  leading: boolean;
  highTech: boolean;
  listed: boolean;
  revenue: number | null;
  segments: readonly string[];
  suppliers: { id: string; local: boolean; segments: readonly string[] }[];
}

interface RegionRow {
  regionId: string;
  firms: LocalFirm[];
  platforms: [string, string][];
  nationId: string | null;
  nationFirms: { id: string; revenue: number | null; segments: string[] }[];
}

/**
 * The location quotient from scratch (issue 15): listed firms with a segment, in the region and in the nation, each
 * once; weighed by revenue when every listed firm of the nation has one. Null without a nation, with fewer than 5
 * listed firms of the nation in the segment, or without a listed firm in the region.
 */
function oracleQuotient(
  region: RegionRow,
  firms: readonly LocalFirm[],
  excluded: ReadonlySet<string>,
  scope: ReadonlySet<string>,
  keep: (firmId: string, segmentIds: readonly string[]) => readonly string[],
): { value: number | null; basis: 'LISTED_FIRMS' | 'LISTED_REVENUE' | null } {
  if (region.nationId === null) return { value: null, basis: null };
  // The scenario's firms leave the nation as they leave the region: whole, or their operations in the dropped segments.
  const nation = region.nationFirms
    .filter((firm) => !excluded.has(firm.id))
    .map((firm) => ({ ...firm, segments: keep(firm.id, firm.segments) }))
    .filter((firm) => firm.segments.length > 0);
  const local = firms.filter((firm) => firm.listed && firm.segments.length > 0);
  const byRevenue = nation.length > 0 && nation.every((firm) => firm.revenue !== null);
  const weigh = (
    list: readonly { revenue: number | null; segments: readonly string[] }[],
    inScope: boolean,
  ) =>
    list
      .filter((firm) => !inScope || firm.segments.some((id) => scope.has(id)))
      .reduce((sum, firm) => sum + (byRevenue ? firm.revenue! : 1), 0);
  const [rs, r, ns, n] = [weigh(local, true), weigh(local, false), weigh(nation, true), weigh(nation, false)];
  // Fewer than 5 listed firms of the nation in the segment: too thin a basis (src/analytics/scale.ts).
  const nationalFirms = nation.filter((firm) => firm.segments.some((id) => scope.has(id))).length;
  if (nationalFirms < 5 || ns <= 0 || r <= 0 || n <= 0) return { value: null, basis: null };
  return {
    value: Math.round((rs / r / (ns / n)) * 1e4) / 1e4,
    basis: byRevenue ? 'LISTED_REVENUE' : 'LISTED_FIRMS',
  };
}

export interface GapFactsRow extends SegmentFacts {
  /** Today's recount lists the local firms; the count the pure functions read is their number. */
  readonly localEnterpriseIds: readonly string[];
  readonly chainId: string;
  readonly scenario: number;
  readonly regionId: string;
}

/** Counts each segment's figures from the structure and the regions' local firms. Pure. */
export function gapFactsFrom(
  structure: readonly StructureRow[],
  regions: readonly RegionRow[],
  scenarios: readonly (readonly string[])[],
  dropSegmentIds?: readonly string[],
): GapFactsRow[] {
  const rows: GapFactsRow[] = [];
  const dropped = dropSegmentIds ? new Set(dropSegmentIds) : null;
  for (const region of regions) {
    scenarios.forEach((scenarioIds, scenario) => {
      // Whole firms leave (an enterprise scenario), or the scenario's firms lose their operations in the dropped
      // segments, as buyers and as suppliers (a segment scenario).
      const excluded = new Set(dropped ? [] : scenarioIds);
      const shrunk = new Set(dropped ? scenarioIds : []);
      const keep = (firmId: string, segmentIds: readonly string[]) =>
        shrunk.has(firmId) ? segmentIds.filter((id) => !dropped!.has(id)) : segmentIds;
      const firms = region.firms
        .filter((firm) => !excluded.has(firm.id))
        .map((firm) => ({
          ...firm,
          segments: keep(firm.id, firm.segments),
          suppliers: firm.suppliers.map((supplier) => ({
            ...supplier,
            segments: keep(supplier.id, supplier.segments),
          })),
        }));
      for (const segment of structure) {
        const scope = new Set(segment.scope);
        const feeds = new Set(segment.feeds);
        const locals = firms.filter((firm) => firm.segments.some((id) => scope.has(id)));
        const platforms = new Set(
          region.platforms.filter(([, segmentId]) => scope.has(segmentId)).map(([platformId]) => platformId),
        );
        // Supply edges into local firms of the segments this one feeds, from suppliers operating in this segment.
        let localSupplyEdges = 0;
        let outsideSupplyEdges = 0;
        for (const buyer of firms) {
          if (!buyer.segments.some((id) => feeds.has(id))) continue;
          for (const supplier of buyer.suppliers) {
            if (excluded.has(supplier.id) || !supplier.segments.some((id) => scope.has(id))) continue;
            if (supplier.local) localSupplyEdges += 1;
            else outsideSupplyEdges += 1;
          }
        }
        // Its own quotient, else the nearest broader segment's that has one (its own national basis too thin).
        let quotient = oracleQuotient(region, firms, excluded, scope, keep);
        let quotientSegment: [string, string | null] | null =
          quotient.value === null ? null : [segment.segmentId, null];
        for (const [broaderId, broaderName, broaderScope] of quotient.value === null ? segment.broader : []) {
          const broader = oracleQuotient(region, firms, excluded, new Set(broaderScope), keep);
          if (broader.value !== null) {
            quotient = broader;
            quotientSegment = [broaderId, broaderName];
            break;
          }
        }
        rows.push({
          locationQuotient: quotient.value,
          locationQuotientBasis: quotient.basis,
          locationQuotientSegmentId: quotientSegment?.[0] ?? null,
          locationQuotientSegmentName: quotientSegment?.[1] ?? null,
          chainId: segment.chainId,
          scenario,
          regionId: region.regionId,
          segmentId: segment.segmentId,
          name: segment.name,
          nameEn: segment.nameEn ?? null,
          stage: segment.stage,
          localEnterpriseIds: locals.map((firm) => firm.id).sort(),
          localEnterpriseCount: locals.length,
          leadingCount: locals.filter((firm) => firm.leading).length,
          highTechCount: locals.filter((firm) => firm.highTech).length,
          platformCount: platforms.size,
          localSupplyEdges,
          outsideSupplyEdges,
          downstreamAll: Number(segment.downstreamAll),
          downstreamInChain: Number(segment.downstreamInChain),
          chainSize: Number(segment.chainSize),
        });
      }
    });
  }
  return rows;
}

export async function readGapFacts(executor: Executor, request: GapFactsRequest): Promise<GapFactsRow[]> {
  const [row] = await executor.read('gap-facts', gapFactsQuery(request));
  return gapFactsFrom(
    (row?.['segments'] as StructureRow[] | undefined) ?? [],
    (row?.['regions'] as RegionRow[] | undefined) ?? [],
    request.scenarios,
    request.dropSegmentIds,
  );
}

export interface CandidateRequest {
  readonly regionId: string;
  /** Every segment in the scope of a gap, mapped to the gap segment it belongs to. */
  readonly scopeToGap: ReadonlyMap<string, string>;
  readonly sources: Sources;
  readonly priorityRegionIds: readonly string[];
}

/** Every region with its parent and coordinates (thousands at most), enough to place any firm. */
type RegionIndex = Map<string, { parentId: string | null; lat: number | null; lon: number | null }>;

/**
 * Phase 1 of target-firm ranking, one statement: the region index, and the outside enterprises operating in the gaps'
 * segments with the facts of the cheap factors only (fit, capability, proximity, breadth). It expands from the scope
 * segments; nothing per candidate beyond counting hosted platforms.
 */
export function candidatesQuery(request: CandidateRequest): CypherQuery {
  return cypher(
    `CALL {
       MATCH (r:${L.Region})
       RETURN collect({ id: r.id, lat: r.lat, lon: r.lon, parentId: [(r)-[:${T.PART_OF}]->(p) | p.id][0] }) AS regionIndex
     }
     CALL {
       MATCH (region:${L.Region} { id: $regionId })
       WITH ${REGION_SUBTREE('region')} AS regions
       UNWIND $scopeIds AS scopeId
       MATCH (d:${L.ChainSegment} { id: scopeId })<-[op:${T.OPERATES_IN}]-(e:${L.Enterprise})-[:${T.LOCATED_IN}]->(home:${L.Region})
       WHERE op.source IN $sources AND e.source IN $sources AND NOT home IN regions
       WITH e, home, collect({ segmentId: d.id, segmentName: d.name, role: op.role, mainProducts: coalesce(op.mainProducts, []) }) AS operations
       ORDER BY e.id
       RETURN collect({
         id: e.id, name: e.name, sizeBand: e.sizeBand, leading: coalesce(e.leading, false), highTech: coalesce(e.highTech, false),
         operations: operations, homeId: home.id,
         platformsHosted: COUNT { MATCH (e)<-[:${T.HOSTED_BY}]-(p:${L.Platform}) WHERE p.source IN $sources }
       }) AS candidates
     }
     RETURN regionIndex, candidates`,
    { regionId: request.regionId, scopeIds: [...request.scopeToGap.keys()], sources: request.sources },
  );
}

/** The region's own coordinates, or its nearest ancestor's. */
function positionOf(regionId: string, regions: RegionIndex): { lat: number; lon: number } | null {
  for (
    let current: string | null = regionId, steps = 0;
    current !== null && steps <= MAX_REGION_DEPTH;
    steps += 1
  ) {
    const region = regions.get(current);
    if (!region) return null;
    if (region.lat !== null && region.lon !== null) return { lat: region.lat, lon: region.lon };
    current = region.parentId;
  }
  return null;
}

function isWithin(regionId: string, ancestors: ReadonlySet<string>, regions: RegionIndex): boolean {
  for (
    let current: string | null = regionId, steps = 0;
    current !== null && steps <= MAX_REGION_DEPTH;
    steps += 1
  ) {
    if (ancestors.has(current)) return true;
    current = regions.get(current)?.parentId ?? null;
  }
  return false;
}

export async function readCandidates(
  executor: Executor,
  request: CandidateRequest,
): Promise<CandidateFacts[]> {
  const [result] = await executor.read('target-candidates', candidatesQuery(request));
  type IndexRow = { id: string; lat: number | null; lon: number | null; parentId: string | null };
  const regions: RegionIndex = new Map(
    ((result?.['regionIndex'] as IndexRow[] | undefined) ?? []).map((region) => [
      region.id,
      { parentId: region.parentId ?? null, lat: region.lat ?? null, lon: region.lon ?? null },
    ]),
  );
  const origin = positionOf(request.regionId, regions);
  const priority = new Set(request.priorityRegionIds);
  type CandidateRow = {
    id: string;
    name: string;
    sizeBand: string;
    leading: boolean;
    highTech: boolean;
    homeId: string;
    platformsHosted: number;
    operations: { segmentId: string; segmentName: string; role: string; mainProducts: string[] }[];
  };
  return ((result?.['candidates'] as CandidateRow[] | undefined) ?? []).map((row) => {
    const position = positionOf(row.homeId, regions);
    const operations = row.operations
      .map((operation) => ({
        ...operation,
        gapSegmentId: request.scopeToGap.get(operation.segmentId) ?? operation.segmentId,
      }))
      .sort((a, b) => (a.segmentId < b.segmentId ? -1 : a.segmentId > b.segmentId ? 1 : 0));
    return {
      id: row.id,
      name: row.name,
      sizeBand: row.sizeBand,
      leading: row.leading,
      highTech: row.highTech,
      platformsHosted: Number(row.platformsHosted),
      operations,
      suppliesLocal: [],
      buysFromLocal: [],
      indirect: [],
      inPriorityRegion: isWithin(row.homeId, priority, regions),
      distanceKm: origin && position ? Math.round(haversineKm(origin, position) * 10) / 10 : null,
    };
  });
}

/** Phase 2: the supply links of the candidates that can still reach the top (see reports.ts). */
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

/** Policy measures applying to a chain, its industries or the given segments. */
export async function readIncentiveIds(
  executor: Executor,
  chainIds: readonly string[],
  segmentIds: readonly string[],
): Promise<string[]> {
  const rows = await executor.read(
    'incentives',
    cypher(
      `MATCH (m:${L.PolicyMeasure})
       WHERE EXISTS { (m)-[:${T.APPLIES_TO}]->(c:${L.IndustrialChain}) WHERE c.id IN $chainIds }
          OR EXISTS { (m)-[:${T.APPLIES_TO}]->(:${L.Industry})<-[:${T.BELONGS_TO}]-(c:${L.IndustrialChain}) WHERE c.id IN $chainIds }
          OR EXISTS { (m)-[:${T.APPLIES_TO}]->(s:${L.ChainSegment}) WHERE s.id IN $segmentIds }
       RETURN m.id AS id ORDER BY m.number, m.id`,
      { chainIds, segmentIds },
    ),
  );
  return rows.map((row) => String(row['id']));
}

export interface SupplyLossRow {
  readonly buyerId: string;
  readonly products: string[];
  readonly lostSupplierIds: string[];
}

/**
 * Local firms that buy from the removed enterprises and have no other local supplier operating in any segment the
 * removed ones supply from.
 */
export async function readSupplyLosses(
  executor: Executor,
  request: { regionId: string; removed: readonly string[]; sources: Sources; segmentId?: string | null },
): Promise<SupplyLossRow[]> {
  // A segment scenario loses the links of that segment only: from a removed firm operating in the segment (or a
  // narrower one) to a buyer operating in a segment that the segment, a narrower or a broader one feeds.
  const inSegment = `(:${L.ChainSegment})-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(:${L.ChainSegment} { id: $segmentId })`;
  const segmentMode = request.segmentId !== null && request.segmentId !== undefined;
  const rows = await executor.read(
    'supply-losses',
    cypher(
      `MATCH (region:${L.Region} { id: $regionId })
       WITH ${REGION_SUBTREE('region')} AS regions
       MATCH (lost:${L.Enterprise})-[supply:${T.SUPPLIES}]->(buyer:${L.Enterprise})
       WHERE lost.id IN $removed AND ($segmentId IS NOT NULL OR NOT buyer.id IN $removed) AND supply.source IN $sources AND buyer.source IN $sources
         AND EXISTS { MATCH (lost)-[:${T.LOCATED_IN}]->(x:${L.Region}) WHERE x IN regions }
         AND EXISTS { MATCH (buyer)-[:${T.LOCATED_IN}]->(x:${L.Region}) WHERE x IN regions }
         AND ($segmentId IS NULL OR (
           EXISTS { MATCH (lost)-[op:${T.OPERATES_IN}]->${inSegment} WHERE op.source IN $sources }
           AND EXISTS {
             MATCH (buyer)-[op:${T.OPERATES_IN}]->(:${L.ChainSegment})<-[f:${T.FEEDS}]-(feeder:${L.ChainSegment})
             WHERE op.source IN $sources AND f.source IN $sources
               AND (EXISTS { MATCH (feeder)-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(:${L.ChainSegment} { id: $segmentId }) }
                    OR EXISTS { MATCH (:${L.ChainSegment} { id: $segmentId })-[:${T.SUBSEGMENT_OF}*1..${MAX_SEGMENT_DEPTH}]->(feeder) })
           }))
       WITH regions, buyer, collect(lost) AS lostSuppliers, collect(supply) AS supplies
       WITH regions, buyer, lostSuppliers, supplies,
            CASE WHEN $segmentId IS NULL
                 THEN COLLECT { UNWIND lostSuppliers AS l MATCH (l)-[:${T.OPERATES_IN}]->(seg:${L.ChainSegment}) RETURN DISTINCT seg }
                 ELSE COLLECT { MATCH (seg:${L.ChainSegment})-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(:${L.ChainSegment} { id: $segmentId }) RETURN DISTINCT seg }
            END AS segments
       WHERE NOT EXISTS {
         MATCH (other:${L.Enterprise})-[s:${T.SUPPLIES}]->(buyer)
         WHERE NOT other.id IN $removed AND s.source IN $sources
           AND EXISTS { MATCH (other)-[:${T.LOCATED_IN}]->(x:${L.Region}) WHERE x IN regions }
           AND EXISTS { MATCH (other)-[:${T.OPERATES_IN}]->(seg:${L.ChainSegment}) WHERE seg IN segments }
       }
       RETURN buyer.id AS buyerId,
              reduce(all = [], s IN supplies | all + coalesce(s.products, [])) AS products,
              [l IN lostSuppliers | l.id] AS lostSupplierIds
       ORDER BY buyer.name, buyer.id`,
      {
        regionId: request.regionId,
        removed: request.removed,
        sources: request.sources,
        segmentId: segmentMode ? request.segmentId : null,
      },
    ),
  );
  return rows.map((row) => ({
    buyerId: String(row['buyerId']),
    products: [...new Set(row['products'] as string[])],
    lostSupplierIds: [...new Set(row['lostSupplierIds'] as string[])].sort(),
  }));
}

/** Local enterprises operating in a segment (its narrower segments included) — what "losing the segment" removes. */
export async function readLocalEnterprisesOfSegment(
  executor: Executor,
  request: { segmentId: string; regionId: string; sources: Sources },
): Promise<string[]> {
  const rows = await executor.read(
    'segment-locals',
    cypher(
      `MATCH (region:${L.Region} { id: $regionId })
       WITH ${REGION_SUBTREE('region')} AS regions
       MATCH (e:${L.Enterprise})-[op:${T.OPERATES_IN}]->(:${L.ChainSegment})-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(:${L.ChainSegment} { id: $segmentId })
       WHERE e.source IN $sources AND op.source IN $sources
         AND EXISTS { MATCH (e)-[:${T.LOCATED_IN}]->(x:${L.Region}) WHERE x IN regions }
       RETURN DISTINCT e.id AS id ORDER BY id`,
      request,
    ),
  );
  return rows.map((row) => String(row['id']));
}

/** A segment and its narrower segments. */
async function readSegmentScope(executor: Executor, segmentId: string): Promise<string[]> {
  const rows = await executor.read(
    'segment-scope',
    cypher(
      `MATCH (d:${L.ChainSegment})-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(:${L.ChainSegment} { id: $segmentId })
       RETURN DISTINCT d.id AS id`,
      { segmentId },
    ),
  );
  return rows.map((row) => String(row['id']));
}

/** The chains an enterprise, or a segment, belongs to. */
export async function readChainsOf(
  executor: Executor,
  request: { enterpriseId?: string; segmentId?: string; sources: Sources },
): Promise<string[]> {
  const rows = await executor.read(
    'chains-of',
    cypher(
      `OPTIONAL MATCH (e:${L.Enterprise} { id: $enterpriseId })-[op:${T.OPERATES_IN}]->(s:${L.ChainSegment})
       WHERE op.source IN $sources
       WITH collect(DISTINCT s.chainId) AS fromEnterprise
       OPTIONAL MATCH (segment:${L.ChainSegment} { id: $segmentId })
       RETURN [c IN fromEnterprise + [segment.chainId] WHERE c IS NOT NULL] AS chainIds`,
      {
        enterpriseId: request.enterpriseId ?? null,
        segmentId: request.segmentId ?? null,
        sources: request.sources,
      },
    ),
  );
  return [...new Set((rows[0]?.['chainIds'] as string[] | undefined) ?? [])].sort();
}

// ---------------------------------------------------------------------------------------------------------------
// The four reports' data, mirroring src/analytics/reports.ts (validation and node projection left out: the oracle is
// only asked valid questions about existing ids).

export interface OracleContext {
  readonly executor: Executor;
  readonly priorityRegionIds: readonly string[];
  /** MAX_TRAVERSAL_DEPTH of the app under test (the downstream reach of criticality). */
  readonly maxTraversalDepth: number;
}

/**
 * How many of a gap's local enterprises are compared id by id (the lead pages `ChainGap.localEnterprises`; the count
 * is compared in full through `localEnterpriseCount`).
 */
export const LOCAL_ENTERPRISES_COMPARED = 5;

type OracleSources = readonly string[] | null | undefined;

export interface GapData {
  segment: { id: string };
  status: string;
  criticality: number;
  score: number;
  reasons: { code: string; text: string; textZh: string }[];
  localEnterpriseCount: number;
  leadingCount: number;
  highTechCount: number;
  platformCount: number;
  localSupplyEdges: number;
  outsideSupplyEdges: number;
  downstreamSegmentCount: number;
  downstreamSegmentCountAllChains: number;
  locationQuotient: number | null;
  locationQuotientBasis: string | null;
  locationQuotientSegment: { id: string } | null;
  /** The first LOCAL_ENTERPRISES_COMPARED local enterprises by id. */
  localEnterprises: { id: string }[];
}

/** The local firm ids of an assessment made from one of this oracle's rows. */
const idsOf = (facts: SegmentFacts): readonly string[] => (facts as GapFactsRow).localEnterpriseIds;

function assess(rows: readonly GapFactsRow[], thresholds: GapThresholds): GapAssessment[] {
  return rows.map((row) => assessSegment(row, thresholds)).sort(compareAssessments);
}

export function gapData(assessment: GapAssessment): GapData {
  const { facts } = assessment;
  return {
    segment: { id: facts.segmentId },
    status: assessment.status,
    criticality: assessment.criticality,
    score: assessment.score,
    reasons: assessment.reasons.map(({ code, text, textZh }) => ({ code, text, textZh })),
    localEnterpriseCount: idsOf(facts).length,
    leadingCount: facts.leadingCount,
    highTechCount: facts.highTechCount,
    platformCount: facts.platformCount,
    localSupplyEdges: facts.localSupplyEdges,
    outsideSupplyEdges: facts.outsideSupplyEdges,
    downstreamSegmentCount: facts.downstreamInChain,
    downstreamSegmentCountAllChains: facts.downstreamAll,
    locationQuotient: facts.locationQuotient ?? null,
    locationQuotientBasis: facts.locationQuotientBasis ?? null,
    locationQuotientSegment: facts.locationQuotientSegmentId ? { id: facts.locationQuotientSegmentId } : null,
    localEnterprises: [...idsOf(facts)]
      .sort()
      .slice(0, LOCAL_ENTERPRISES_COMPARED)
      .map((id) => ({ id })),
  };
}

export async function oracleChainGaps(
  context: OracleContext,
  args: { chainId: string; regionId: string; thresholds?: ThresholdsInput | null; sources?: OracleSources },
) {
  const thresholds = withDefaults(args.thresholds);
  const rows = await readGapFacts(context.executor, {
    chainIds: [args.chainId],
    regionIds: [args.regionId],
    scenarios: [[]],
    sources: sourcesOrAll(args.sources),
    maxDepth: context.maxTraversalDepth,
  });
  const assessments = assess(rows, thresholds);
  return {
    chain: { id: args.chainId },
    region: { id: args.regionId },
    thresholds,
    gaps: assessments.map(gapData),
    stages: summariseByStage(assessments),
    total: summarise(assessments),
  };
}

export async function oracleCompareRegions(
  context: OracleContext,
  args: {
    chainId: string;
    regionIds: readonly string[];
    thresholds?: ThresholdsInput | null;
    sources?: OracleSources;
  },
) {
  const thresholds = withDefaults(args.thresholds);
  const regionIds = [...new Set(args.regionIds)];
  const rows = await readGapFacts(context.executor, {
    chainIds: [args.chainId],
    regionIds,
    scenarios: [[]],
    sources: sourcesOrAll(args.sources),
    maxDepth: context.maxTraversalDepth,
  });
  const byRegion = new Map(
    regionIds.map((id) => [
      id,
      assess(
        rows.filter((row) => row.regionId === id),
        thresholds,
      ),
    ]),
  );
  const segmentIds = [...new Set(rows.map((row) => row.segmentId))];
  const order = new Map(
    (byRegion.get(regionIds[0]!) ?? []).map((assessment, index) => [assessment.facts.segmentId, index]),
  );
  const orderedSegments = segmentIds.sort(
    (a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || (a < b ? -1 : a > b ? 1 : 0),
  );
  return {
    chain: { id: args.chainId },
    regions: regionIds.map((id) => ({
      region: { id },
      stages: summariseByStage(byRegion.get(id) ?? []),
      total: summarise(byRegion.get(id) ?? []),
    })),
    segments: orderedSegments.map((segmentId) => ({
      segment: { id: segmentId },
      byRegion: regionIds.map((regionId) => {
        const assessment = byRegion
          .get(regionId)
          ?.find((candidate) => candidate.facts.segmentId === segmentId);
        return {
          region: { id: regionId },
          // No region in these graphs declares CENSUS: a segment without a row has no recorded firm, UNKNOWN.
          status: assessment?.status ?? 'UNKNOWN',
          localEnterpriseCount: assessment ? idsOf(assessment.facts).length : 0,
        };
      }),
    })),
  };
}

export async function oracleTargetFirms(
  context: OracleContext,
  args: {
    chainId?: string | null;
    segmentId?: string | null;
    regionId: string;
    first?: number | null;
    weights?: WeightsInput | null;
    thresholds?: ThresholdsInput | null;
    sources?: OracleSources;
  },
) {
  const thresholds = withDefaults(args.thresholds);
  const weights = withDefaultWeights(args.weights);
  const first = args.first ?? 10;
  const sources = sourcesOrAll(args.sources);
  const chainIds = args.chainId
    ? [args.chainId]
    : await readChainsOf(context.executor, { segmentId: args.segmentId!, sources });
  const rows = await readGapFacts(context.executor, {
    chainIds,
    regionIds: [args.regionId],
    scenarios: [[]],
    sources,
    maxDepth: context.maxTraversalDepth,
    segmentScopeId: args.segmentId ?? null,
  });
  const gaps = assess(rows, thresholds).filter((assessment) => assessment.status !== 'COVERED');
  const gapById = new Map(
    gaps.map((gap) => [
      gap.facts.segmentId,
      { segmentId: gap.facts.segmentId, name: gap.facts.name, score: gap.score },
    ]),
  );
  const scopeToGap =
    gaps.length > 0
      ? await readSegmentScopes(context.executor, [...gapById.keys()])
      : new Map<string, string>();
  const candidates =
    gaps.length > 0
      ? await readCandidates(context.executor, {
          regionId: args.regionId,
          scopeToGap,
          sources,
          priorityRegionIds: context.priorityRegionIds,
        })
      : [];
  // Today's two phases, pruning included (it is exact: linkage adds at most `linkageBonus` points).
  const withoutLinkage = rankCandidates(candidates, gapById, weights);
  const linkageBonus = linkageBonusOf(weights);
  const kthBest = first > 0 && withoutLinkage.length > first ? withoutLinkage[first - 1]!.score : -Infinity;
  const contenders =
    first === 0
      ? []
      : withoutLinkage.filter((recommendation) => recommendation.score + linkageBonus >= kthBest);
  const links = await readCandidateLinks(context.executor, {
    regionId: args.regionId,
    ids: contenders.map((recommendation) => recommendation.candidate.id),
    sources,
  });
  const ranked = rankCandidates(
    contenders.map((recommendation) => ({
      ...recommendation.candidate,
      ...links.get(recommendation.candidate.id),
    })),
    gapById,
    weights,
  ).slice(0, first);
  const incentiveIds =
    ranked.length > 0 ? await readIncentiveIds(context.executor, chainIds, [...gapById.keys()]) : [];
  const gapObjects = new Map(gaps.map((gap) => [gap.facts.segmentId, gapData(gap)]));
  return {
    region: { id: args.regionId },
    gaps: gaps.map((gap) => gapObjects.get(gap.facts.segmentId)!),
    weights,
    recommendations: ranked.map((recommendation) => ({
      enterprise: { id: recommendation.candidate.id },
      score: recommendation.score,
      factors: recommendation.factors.map(({ name, value, weight, explanation }) => ({
        name,
        value,
        weight,
        explanation,
      })),
      fills: recommendation.fills.map((segmentId) => gapObjects.get(segmentId)!),
      evidence: recommendation.evidence.map(({ factor, description, nodes, relationships }) => ({
        factor,
        description,
        nodes: nodes.map(({ kind, id, name }) => ({ kind, id, name })),
        relationships,
      })),
      incentives: incentiveIds.map((id) => ({ id })),
      distanceKm: recommendation.candidate.distanceKm,
    })),
  };
}

export async function oracleImpactOfLosing(
  context: OracleContext,
  args: {
    enterpriseId?: string | null;
    segmentId?: string | null;
    regionId: string;
    thresholds?: ThresholdsInput | null;
    sources?: OracleSources;
  },
) {
  const thresholds = withDefaults(args.thresholds);
  const sources = sourcesOrAll(args.sources);
  const removed = args.enterpriseId
    ? [args.enterpriseId]
    : await readLocalEnterprisesOfSegment(context.executor, {
        segmentId: args.segmentId!,
        regionId: args.regionId,
        sources,
      });
  const chainIds = await readChainsOf(context.executor, {
    ...(args.enterpriseId ? { enterpriseId: args.enterpriseId } : {}),
    ...(args.segmentId ? { segmentId: args.segmentId } : {}),
    sources,
  });
  const rows =
    chainIds.length > 0 && removed.length > 0
      ? await readGapFacts(context.executor, {
          chainIds,
          regionIds: [args.regionId],
          scenarios: [[], removed],
          sources,
          maxDepth: context.maxTraversalDepth,
          // Losing a segment takes the firms' capacity in it (the segment and its narrower ones), not the firms.
          ...(args.segmentId
            ? { dropSegmentIds: await readSegmentScope(context.executor, args.segmentId) }
            : {}),
        })
      : [];
  const key = (row: GapFactsRow) => `${row.chainId}|${row.segmentId}`;
  const before = new Map(
    rows.filter((row) => row.scenario === 0).map((row) => [key(row), assessSegment(row, thresholds)]),
  );
  const changes = rows
    .filter((row) => row.scenario === 1)
    .map((row) => ({ before: before.get(key(row))!, after: assessSegment(row, thresholds) }))
    .filter(
      ({ before: was, after }) =>
        (after.status === 'MISSING' || after.status === 'UNKNOWN' || after.status === 'DEPENDENT') &&
        STATUS_RANK[after.status] < STATUS_RANK[was.status],
    )
    .sort((a, b) => compareAssessments(a.after, b.after));
  const losses =
    removed.length > 0
      ? await readSupplyLosses(context.executor, {
          regionId: args.regionId,
          removed,
          sources,
          segmentId: args.segmentId ?? null,
        })
      : [];
  return {
    region: { id: args.regionId },
    enterprise: args.enterpriseId ? { id: args.enterpriseId } : null,
    segment: args.segmentId ? { id: args.segmentId } : null,
    segmentsAffected: changes.map(({ before: was, after }) => ({
      segment: { id: after.facts.segmentId },
      before: was.status,
      after: after.status,
      localEnterprisesBefore: idsOf(was.facts).length,
      localEnterprisesAfter: idsOf(after.facts).length,
    })),
    // Every loss and every lost supplier: a caller cuts them to the pages it asked for.
    firmsLosingLocalSupply: losses.map((loss) => ({
      enterprise: { id: loss.buyerId },
      // The statement gathers products in match order, which no answer promises: compared as a sorted set.
      products: [...loss.products].sort(),
      lostSuppliers: loss.lostSupplierIds.map((id) => ({ id })),
      lostSupplierCount: loss.lostSupplierIds.length,
    })),
    firmsLosingLocalSupplyCount: losses.length,
  };
}
