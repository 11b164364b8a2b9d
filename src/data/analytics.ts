import type { SegmentFacts, Stage } from '../analytics/gaps.js';
import type { CandidateFacts } from '../analytics/targets.js';
import { haversineKm } from '../analytics/targets.js';
import { badUserInput } from '../errors.js';
import { cypher, type CypherQuery } from './cypher.js';
import type { Executor } from './executor.js';
import {
  assertLabel,
  MAX_REGION_DEPTH,
  MAX_SEGMENT_DEPTH,
  NodeLabel as L,
  PROVENANCE_SOURCES,
  RelationshipType as T,
} from './model.js';

/**
 * Fact-gathering statements of the chain analytics. Each gathers, in one statement, everything the pure functions
 * in src/analytics need; statuses and scores are computed there, where they can be explained and tested.
 */

export type Sources = readonly string[];

export function sourcesOrAll(sources: readonly string[] | null | undefined): Sources {
  return sources && sources.length > 0 ? sources : PROVENANCE_SOURCES;
}

/** A traversal depth, validated before any statement is built (variable-length bounds must be literals). */
export function traversalDepth(value: unknown, max: number, argument = 'depth'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw badUserInput(argument, `must be a whole number from 1 to ${max}`);
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
}

export function gapFactsQuery(request: GapFactsRequest): CypherQuery {
  const depth = traversalDepth(request.maxDepth, 12, 'maxDepth');
  return cypher(
    `UNWIND $chainIds AS chainId
     MATCH (chain:${L.IndustrialChain} { id: chainId })
     WITH chain, COLLECT { MATCH (s:${L.ChainSegment})-[:${T.IN_CHAIN}]->(chain) WHERE s.source IN $sources RETURN s } AS segments
     WITH chain, segments, size(segments) AS chainSize,
          CASE WHEN $segmentScopeId IS NULL THEN segments
               ELSE [s IN segments WHERE EXISTS { (s)-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(:${L.ChainSegment} { id: $segmentScopeId }) }] END AS inScope
     UNWIND $regionIds AS regionId
     MATCH (region:${L.Region} { id: regionId })
     WITH chain, chainSize, inScope, regionId, ${REGION_SUBTREE('region')} AS regions
     UNWIND range(0, size($scenarios) - 1) AS scenario
     WITH chain, chainSize, inScope, regionId, regions, scenario, $scenarios[scenario] AS excluded
     UNWIND inScope AS s
     CALL (s) {
       RETURN COLLECT { MATCH (d:${L.ChainSegment})-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(s) RETURN d } AS scope
     }
     // Every CALL expands outwards from the segments in scope (bound nodes), never from a label scan: at province
     // scale a chain's segments hold tens of thousands of firms, and only their links are visited.
     CALL (scope, regions, excluded) {
       UNWIND scope AS d
       MATCH (d)<-[op:${T.OPERATES_IN}]-(e:${L.Enterprise})
       WHERE op.source IN $sources AND e.source IN $sources AND NOT e.id IN excluded
       MATCH (e)-[located:${T.LOCATED_IN}]->(x:${L.Region})
       WHERE x IN regions AND located.source IN $sources
       WITH DISTINCT e
       RETURN collect(e.id) AS localIds,
              sum(CASE WHEN e.leading THEN 1 ELSE 0 END) AS leadingCount,
              sum(CASE WHEN e.highTech THEN 1 ELSE 0 END) AS highTechCount
     }
     CALL (scope, regions) {
       UNWIND scope AS d
       MATCH (d)<-[support:${T.SUPPORTS}]-(p:${L.Platform})-[:${T.LOCATED_IN}]->(x:${L.Region})
       WHERE x IN regions AND p.source IN $sources AND support.source IN $sources
       RETURN count(DISTINCT p) AS platformCount
     }
     CALL (s, scope, regions, excluded) {
       // Supply edges into local firms of the segments this one feeds, from suppliers operating in this segment:
       // local buyers first (a small share of a segment's firms), then their suppliers.
       MATCH (s)-[feed:${T.FEEDS}]->(t:${L.ChainSegment})<-[:${T.OPERATES_IN}]-(buyer:${L.Enterprise})-[:${T.LOCATED_IN}]->(bx:${L.Region})
       WHERE feed.source IN $sources AND bx IN regions AND buyer.source IN $sources AND NOT buyer.id IN excluded
       WITH DISTINCT buyer
       MATCH (buyer)<-[supply:${T.SUPPLIES}]-(supplier:${L.Enterprise})
       WHERE supply.source IN $sources AND supplier.source IN $sources AND NOT supplier.id IN excluded
         AND EXISTS { MATCH (supplier)-[:${T.OPERATES_IN}]->(d:${L.ChainSegment}) WHERE d IN scope }
       WITH DISTINCT supplier, buyer
       WITH supplier, EXISTS { MATCH (supplier)-[:${T.LOCATED_IN}]->(y:${L.Region}) WHERE y IN regions } AS supplierLocal
       RETURN sum(CASE WHEN supplierLocal THEN 1 ELSE 0 END) AS localSupplyEdges,
              sum(CASE WHEN supplierLocal THEN 0 ELSE 1 END) AS outsideSupplyEdges
     }
     CALL (s, chain) {
       OPTIONAL MATCH p = ANY SHORTEST (s)(()-[f:${T.FEEDS} WHERE f.source IN $sources]->()){1,${depth}}(t:${L.ChainSegment})
       WHERE t <> s AND t.source IN $sources
       RETURN count(DISTINCT t) AS downstreamAll,
              count(DISTINCT CASE WHEN EXISTS { (t)-[:${T.IN_CHAIN}]->(chain) } THEN t END) AS downstreamInChain
     }
     RETURN chain.id AS chainId, scenario, regionId, s.id AS segmentId, s.name AS name, s.nameEn AS nameEn, s.stage AS stage,
            localIds, leadingCount, highTechCount, platformCount, localSupplyEdges, outsideSupplyEdges,
            downstreamAll, downstreamInChain, chainSize`,
    {
      chainIds: request.chainIds,
      regionIds: request.regionIds,
      scenarios: request.scenarios,
      sources: request.sources,
      segmentScopeId: request.segmentScopeId ?? null,
    },
  );
}

export interface GapFactsRow extends SegmentFacts {
  readonly chainId: string;
  readonly scenario: number;
  readonly regionId: string;
}

export async function readGapFacts(executor: Executor, request: GapFactsRequest): Promise<GapFactsRow[]> {
  const rows = await executor.read('gap-facts', gapFactsQuery(request));
  return rows.map((row) => ({
    chainId: String(row['chainId']),
    scenario: Number(row['scenario']),
    regionId: String(row['regionId']),
    segmentId: String(row['segmentId']),
    name: String(row['name']),
    nameEn: (row['nameEn'] as string | null) ?? null,
    stage: row['stage'] as Stage,
    localEnterpriseIds: (row['localIds'] as string[]).slice().sort(),
    leadingCount: Number(row['leadingCount']),
    highTechCount: Number(row['highTechCount']),
    platformCount: Number(row['platformCount']),
    localSupplyEdges: Number(row['localSupplyEdges']),
    outsideSupplyEdges: Number(row['outsideSupplyEdges']),
    downstreamAll: Number(row['downstreamAll']),
    downstreamInChain: Number(row['downstreamInChain']),
    chainSize: Number(row['chainSize']),
  }));
}

/** Which of the given ids exist with each label: unknown ids are reported as BAD_USER_INPUT by the callers. */
export async function missingIds(
  executor: Executor,
  checks: readonly { argument: string; label: string; id: string }[],
): Promise<string[]> {
  if (checks.length === 0) return [];
  // Label-specific, index-backed existence checks; labels come from the closed list.
  const params: Record<string, unknown> = {};
  const expressions = checks.map((check, index) => {
    params[`id${index}`] = check.id;
    return `CASE WHEN EXISTS { MATCH (:${assertLabel(check.label)} { id: $id${index} }) } THEN null ELSE ${index} END`;
  });
  const rows = await executor.read(
    'id-check',
    cypher(`RETURN [missing IN [${expressions.join(', ')}] WHERE missing IS NOT NULL] AS missing`, params),
  );
  return ((rows[0]?.['missing'] as number[] | undefined) ?? []).map((index) => checks[index]!.argument);
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
  // A narrower segment may sit under several gap segments (a gap and its parent): it maps to the narrowest one,
  // which is the gap listed with the longest... simplest deterministic rule: the first gap id in order, unless the
  // scope id is itself a gap.
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
  request: { regionId: string; removed: readonly string[]; sources: Sources },
): Promise<SupplyLossRow[]> {
  const rows = await executor.read(
    'supply-losses',
    cypher(
      `MATCH (region:${L.Region} { id: $regionId })
       WITH ${REGION_SUBTREE('region')} AS regions
       MATCH (lost:${L.Enterprise})-[supply:${T.SUPPLIES}]->(buyer:${L.Enterprise})
       WHERE lost.id IN $removed AND NOT buyer.id IN $removed AND supply.source IN $sources AND buyer.source IN $sources
         AND EXISTS { MATCH (lost)-[:${T.LOCATED_IN}]->(x:${L.Region}) WHERE x IN regions }
         AND EXISTS { MATCH (buyer)-[:${T.LOCATED_IN}]->(x:${L.Region}) WHERE x IN regions }
       WITH regions, buyer, collect(lost) AS lostSuppliers, collect(supply) AS supplies
       WITH regions, buyer, lostSuppliers, supplies,
            COLLECT { UNWIND lostSuppliers AS l MATCH (l)-[:${T.OPERATES_IN}]->(seg:${L.ChainSegment}) RETURN DISTINCT seg } AS segments
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
      { regionId: request.regionId, removed: request.removed, sources: request.sources },
    ),
  );
  return rows.map((row) => ({
    buyerId: String(row['buyerId']),
    products: [...new Set(row['products'] as string[])],
    lostSupplierIds: (row['lostSupplierIds'] as string[]).slice().sort(),
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
