import type { SegmentFacts, Stage } from './gaps.js';
import type { CandidateFacts } from './targets.js';
import { badUserInput } from '../errors.js';
import { cypher, type CypherQuery } from '../data/cypher.js';
import type { Executor } from '../data/executor.js';
import {
  assertLabel,
  MAX_REGION_DEPTH,
  MAX_SEGMENT_DEPTH,
  NodeLabel as L,
  PROVENANCE_SOURCES,
  RelationshipType as T,
} from '../data/model.js';

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
       RETURN collect({ regionId: region.id, firms: firms, platforms: platforms }) AS regions
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
  feeds: string[];
  downstreamAll: number;
  downstreamInChain: number;
}

interface LocalFirm {
  id: string;
  leading: boolean;
  highTech: boolean;
  segments: string[];
  suppliers: { id: string; local: boolean; segments: string[] }[];
}

interface RegionRow {
  regionId: string;
  firms: LocalFirm[];
  platforms: [string, string][];
}

export interface GapFactsRow extends SegmentFacts {
  readonly chainId: string;
  readonly scenario: number;
  readonly regionId: string;
}

/** Counts each segment's figures from the structure and the regions' local firms. Pure. */
export function gapFactsFrom(
  structure: readonly StructureRow[],
  regions: readonly RegionRow[],
  scenarios: readonly (readonly string[])[],
): GapFactsRow[] {
  const rows: GapFactsRow[] = [];
  for (const region of regions) {
    scenarios.forEach((excludedIds, scenario) => {
      const excluded = new Set(excludedIds);
      const firms = region.firms.filter((firm) => !excluded.has(firm.id));
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
        rows.push({
          chainId: segment.chainId,
          scenario,
          regionId: region.regionId,
          segmentId: segment.segmentId,
          name: segment.name,
          nameEn: segment.nameEn ?? null,
          stage: segment.stage,
          localEnterpriseIds: locals.map((firm) => firm.id).sort(),
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
  );
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
