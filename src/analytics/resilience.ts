import { hydrate } from '../data/graph/hydrate.js';
import type { Selection } from '../data/graph/selection.js';
import { pageSize } from '../data/graph/translate.js';
import { cypher, type CypherQuery } from '../data/cypher.js';
import { NodeLabel as L, RelationshipType as T } from '../data/model.js';
import { AppError, clip, ErrorCode } from '../errors.js';
import type { Structure } from './aggregates.js';
import { sourcesOrDefault, type Sources } from './facts.js';
import { assessSegment, type GapStatus, type ThresholdsInput } from './gaps.js';
import {
  aggregateStructure,
  basisObject,
  gapFacts,
  prepare,
  validThresholds,
  type AnalyticsContext,
} from './reports.js';

/**
 * Resilience of a chain in a region: its single points of failure — local firms whose loss would leave a segment
 * with no local firm, or a local buyer with no local supplier of some segment — and the segment scope a segment
 * scenario (impactOfLosing a segment) takes away.
 *
 * Cost: one statement reads the chain's local firms (through each chain segment's OPERATES_IN links, keeping those
 * located in the region's subtree) and the supply links among them; it runs only when the stored aggregates say the
 * region has at most MAX_SCENARIO_FIRMS local firms in the chain (each chain's top-level segments summed, an upper
 * bound), and it stops reading at that many firms and at MAX_RESILIENCE_LINKS links, refusing with QUERY_TOO_COMPLEX
 * rather than answering from part of the data.
 */

/** Most local supply links among the chain's local firms one chainResilience request reads (MAX_RESILIENCE_LINKS). */
export const DEFAULT_MAX_RESILIENCE_LINKS = 5000;

/** Default number of single points of failure listed. */
export const DEFAULT_RESILIENCE_FIRST = 10;

// --- The pure part: who is a single point of failure, and how much it matters ---

export interface ResilienceSegment {
  readonly id: string;
  readonly name: string;
  /** Share of the chain's other segments reachable downstream (gaps.ts criticalityOf). */
  readonly criticality: number;
  /** The segment's status now, under the request's thresholds. */
  readonly status: GapStatus;
}

export interface ResilienceFirm {
  readonly id: string;
  readonly name: string;
  /** The chain segments it operates in directly (links with an admitted provenance). */
  readonly segmentIds: readonly string[];
}

export interface ResilienceLink {
  readonly supplierId: string;
  readonly buyerId: string;
  readonly products: readonly string[];
}

export interface ResilienceInput {
  /** The chain's segments. */
  readonly segments: readonly ResilienceSegment[];
  /** Each segment with itself and its broader segments (aggregates.ts Structure). */
  readonly scopeRoots: Readonly<Record<string, readonly string[]>>;
  /** Each segment with the segments it feeds and the FEEDS link's provenance. */
  readonly feeds: Readonly<Record<string, readonly (readonly [string, string | null])[]>>;
  readonly sources: Sources;
  /** The chain's local firms. */
  readonly firms: readonly ResilienceFirm[];
  /** Supply links between local firms (one per supplier and buyer). */
  readonly links: readonly ResilienceLink[];
}

export interface BrokenSegment {
  readonly segmentId: string;
  /** The segment the firm operates in directly (the broken one or one of its narrower segments). */
  readonly viaSegmentId: string;
  readonly criticality: number;
  readonly status: GapStatus;
  /** 1 + criticality: what the segment adds to the impact. */
  readonly weight: number;
}

export interface StrandedBuyer {
  readonly buyerId: string;
  /** The segments whose products only this firm supplies locally to the buyer. */
  readonly segmentIds: readonly string[];
  readonly products: readonly string[];
}

export interface SinglePointOfFailure {
  readonly firmId: string;
  readonly impact: number;
  readonly segmentsBroken: readonly BrokenSegment[];
  readonly buyersStranded: readonly StrandedBuyer[];
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The single points of failure, most impact first (ties by firm id). A firm is one when
 * - it is the only local firm of a chain segment (counting, as the gap statuses do, a firm in a narrower segment as
 *   operating in the broader one): losing it makes that segment MISSING (断链); or
 * - it is a local buyer's only local supplier of a segment's products: a supply link counts for segment S when the
 *   supplier operates in S (or a narrower segment) and the buyer directly in a segment S feeds — the rule the
 *   aggregates count local supply by.
 *
 * impact = Σ over the segments it alone carries of (1 + criticality) + the number of distinct buyers it strands.
 * A broken segment weighs 1 to 2 (more the further its products reach downstream in the chain), a stranded buyer 1:
 * a segment going MISSING is at least as bad as one firm losing its local supply, and the chain-wide reach of the
 * segment decides how much worse.
 */
export function singlePointsOfFailure(input: ResilienceInput): SinglePointOfFailure[] {
  const segments = new Map(input.segments.map((segment) => [segment.id, segment]));
  // The chain segments each firm counts in (its direct segments and their broader ones), with the direct one.
  const scopeOf = new Map<string, Map<string, string>>();
  for (const firm of input.firms) {
    const scope = new Map<string, string>();
    for (const direct of [...firm.segmentIds].sort(byString)) {
      for (const root of input.scopeRoots[direct] ?? [direct]) {
        if (segments.has(root) && !scope.has(root)) scope.set(root, direct);
      }
    }
    scopeOf.set(firm.id, scope);
  }
  const firmsOf = new Map<string, string[]>();
  for (const [firmId, scope] of scopeOf) {
    for (const segmentId of scope.keys()) {
      const list = firmsOf.get(segmentId) ?? [];
      list.push(firmId);
      firmsOf.set(segmentId, list);
    }
  }
  const broken = new Map<string, BrokenSegment[]>();
  for (const [segmentId, firmIds] of firmsOf) {
    if (firmIds.length !== 1) continue;
    const firmId = firmIds[0]!;
    const segment = segments.get(segmentId)!;
    const list = broken.get(firmId) ?? [];
    list.push({
      segmentId,
      viaSegmentId: scopeOf.get(firmId)!.get(segmentId)!,
      criticality: segment.criticality,
      status: segment.status,
      weight: round(1 + segment.criticality),
    });
    broken.set(firmId, list);
  }
  // Local suppliers of each (buyer, segment), and the products of each link.
  const direct = new Map(input.firms.map((firm) => [firm.id, new Set(firm.segmentIds)]));
  const suppliersOf = new Map<string, { buyerId: string; segmentId: string; suppliers: Set<string> }>();
  const productsOf = new Map<string, readonly string[]>();
  for (const link of input.links) {
    if (link.supplierId === link.buyerId) continue;
    const supplierScope = scopeOf.get(link.supplierId);
    const buyerSegments = direct.get(link.buyerId);
    if (!supplierScope || !buyerSegments) continue;
    productsOf.set(`${link.supplierId}|${link.buyerId}`, link.products);
    for (const segmentId of supplierScope.keys()) {
      const feedsBuyer = (input.feeds[segmentId] ?? []).some(
        ([target, source]) => source !== null && input.sources.includes(source) && buyerSegments.has(target),
      );
      if (!feedsBuyer) continue;
      const key = `${link.buyerId}|${segmentId}`;
      const entry = suppliersOf.get(key) ?? {
        buyerId: link.buyerId,
        segmentId,
        suppliers: new Set<string>(),
      };
      entry.suppliers.add(link.supplierId);
      suppliersOf.set(key, entry);
    }
  }
  const stranded = new Map<string, Map<string, Set<string>>>();
  for (const { buyerId, segmentId, suppliers } of suppliersOf.values()) {
    if (suppliers.size !== 1) continue;
    const [firmId] = suppliers as unknown as [string];
    const byBuyer = stranded.get(firmId) ?? new Map<string, Set<string>>();
    const segmentIds = byBuyer.get(buyerId) ?? new Set<string>();
    segmentIds.add(segmentId);
    byBuyer.set(buyerId, segmentIds);
    stranded.set(firmId, byBuyer);
  }
  const firmIds = [...new Set([...broken.keys(), ...stranded.keys()])];
  return firmIds
    .map((firmId) => {
      const segmentsBroken = (broken.get(firmId) ?? []).sort(
        (a, b) => b.weight - a.weight || byString(a.segmentId, b.segmentId),
      );
      const buyersStranded = [...(stranded.get(firmId) ?? new Map<string, Set<string>>())]
        .map(([buyerId, segmentIds]) => ({
          buyerId,
          segmentIds: [...segmentIds].sort(byString),
          products: [...new Set(productsOf.get(`${firmId}|${buyerId}`) ?? [])],
        }))
        .sort((a, b) => byString(a.buyerId, b.buyerId));
      const impact = round(
        segmentsBroken.reduce((sum, segment) => sum + 1 + segment.criticality, 0) + buyersStranded.length,
      );
      return { firmId, impact, segmentsBroken, buyersStranded };
    })
    .sort((a, b) => b.impact - a.impact || byString(a.firmId, b.firmId));
}

// --- The read ---

/**
 * The chain's local firms (at most `maxFirms` + 1, by id) with their direct chain segments, and the supply links
 * among them (at most `maxLinks` + 1). One statement.
 */
export function resilienceQuery(request: {
  segmentIds: readonly string[];
  homeIds: readonly string[];
  sources: Sources;
  maxFirms: number;
  maxLinks: number;
}): CypherQuery {
  return cypher(
    `CALL {
       UNWIND $segmentIds AS segmentId
       MATCH (d:${L.ChainSegment} { id: segmentId })<-[op:${T.OPERATES_IN}]-(e:${L.Enterprise})-[loc:${T.LOCATED_IN}]->(home:${L.Region})
       WHERE home.id IN $homeIds AND d.source IN $sources AND op.source IN $sources AND e.source IN $sources
         AND loc.source IN $sources
       WITH e, collect(DISTINCT d.id) AS segmentIds
       ORDER BY e.id LIMIT toInteger($maxFirms) + 1
       RETURN collect({ id: e.id, name: e.name, segmentIds: segmentIds }) AS firms, collect(e) AS nodes
     }
     CALL (firms, nodes) {
       WITH [firm IN firms | firm.id] AS firmIds, nodes
       UNWIND CASE WHEN size(nodes) > $maxFirms THEN [] ELSE nodes END AS supplier
       MATCH (supplier)-[supply:${T.SUPPLIES}]->(buyer:${L.Enterprise})
       WHERE buyer.id IN firmIds AND supply.source IN $sources
       WITH supplier, buyer, collect(supply) AS supplies
       ORDER BY supplier.id, buyer.id LIMIT toInteger($maxLinks) + 1
       RETURN collect({ supplierId: supplier.id, buyerId: buyer.id,
                        products: reduce(all = [], s IN supplies | all + coalesce(s.products, [])) }) AS links
     }
     RETURN firms, links`,
    {
      segmentIds: request.segmentIds,
      homeIds: request.homeIds,
      sources: request.sources,
      maxFirms: request.maxFirms,
      maxLinks: request.maxLinks,
    },
  );
}

/** The region and every region under it (from the structure's ancestor lists). */
function subtreeOf(structure: Structure, regionId: string): string[] {
  return Object.entries(structure.ancestors)
    .filter(([, ancestors]) => ancestors.includes(regionId))
    .map(([id]) => id)
    .sort();
}

type PathNode = { kind: string; id: string; name: string };

export async function chainResilience(
  context: AnalyticsContext & { readonly maxResilienceLinks?: number },
  args: {
    chainId: string;
    regionId: string;
    sources?: readonly string[] | null;
    first?: number | null;
    thresholds?: ThresholdsInput | null;
  },
  selection: Selection,
) {
  const thresholds = validThresholds(args.thresholds);
  const first = pageSize(args.first, context.limits, {
    argument: 'first',
    fallback: DEFAULT_RESILIENCE_FIRST,
  });
  const sources = sourcesOrDefault(args.sources);
  const prepared = await prepare(context, [
    { argument: 'chainId', label: L.IndustrialChain, id: args.chainId },
    { argument: 'regionId', label: L.Region, id: args.regionId },
  ]);
  // The chain's segments with their stored counts, criticality and status (no firm read).
  const {
    rows,
    basis,
    facts: factsBasis,
  } = await gapFacts(context, prepared, {
    chainIds: [args.chainId],
    regionIds: [args.regionId],
    sources,
    maxDepth: context.limits.maxTraversalDepth,
  });
  const structure = await aggregateStructure(context, prepared);
  const segmentIds = new Set(rows.map((row) => row.segmentId));
  // Every local firm of the chain counts in at least one top-level segment: their counts summed bound the firms.
  const localFirmsBound = rows
    .filter((row) =>
      (structure.scopeRoots[row.segmentId] ?? [row.segmentId]).every(
        (root) => root === row.segmentId || !segmentIds.has(root),
      ),
    )
    .reduce((sum, row) => sum + row.localEnterpriseCount, 0);
  const maxFirms = context.maxScenarioFirms;
  const maxLinks = context.maxResilienceLinks ?? DEFAULT_MAX_RESILIENCE_LINKS;
  const tooLarge = (what: string) =>
    new AppError(
      ErrorCode.QUERY_TOO_COMPLEX,
      `chainResilience of chain '${clip(args.chainId)}' in region '${clip(args.regionId)}' would read ${what}; ask for a smaller region or narrower sources`,
    );
  if (localFirmsBound > maxFirms) {
    throw tooLarge(`up to ${localFirmsBound} local enterprises, more than ${maxFirms} (MAX_SCENARIO_FIRMS)`);
  }
  const [row] = await context.executor.read(
    'chain-resilience',
    resilienceQuery({
      segmentIds: [...segmentIds],
      homeIds: subtreeOf(structure, args.regionId),
      sources,
      maxFirms,
      maxLinks,
    }),
  );
  const firms = (row?.['firms'] as ResilienceFirm[] | undefined) ?? [];
  const links = (row?.['links'] as ResilienceLink[] | undefined) ?? [];
  // The stored counts may lag pending writes: the read itself is bounded too.
  if (firms.length > maxFirms) {
    throw tooLarge(`more than ${maxFirms} local enterprises (MAX_SCENARIO_FIRMS)`);
  }
  if (links.length > maxLinks) {
    throw tooLarge(`more than ${maxLinks} local supply links (MAX_RESILIENCE_LINKS)`);
  }
  const segments = rows.map((facts) => {
    const assessment = assessSegment(
      facts,
      thresholds,
      factsBasis.completeness.get(args.regionId) ?? 'PARTIAL',
    );
    return {
      id: facts.segmentId,
      name: facts.name,
      criticality: assessment.criticality,
      status: assessment.status,
    };
  });
  const all = singlePointsOfFailure({
    segments,
    scopeRoots: structure.scopeRoots,
    feeds: structure.feeds,
    sources,
    firms,
    links,
  });
  const listed = all.slice(0, first);
  const firmName = new Map(firms.map((firm) => [firm.id, firm.name]));
  const segmentName = new Map(segments.map((segment) => [segment.id, segment.name]));
  const firmNode = (id: string): PathNode => ({ kind: L.Enterprise, id, name: firmName.get(id) ?? id });
  const segmentNode = (id: string): PathNode => ({
    kind: L.ChainSegment,
    id,
    name: segmentName.get(id) ?? id,
  });
  const nodes = await hydrate(
    context.executor,
    selection,
    [
      { typeName: 'IndustrialChain', ids: [args.chainId], at: ['chain'] },
      { typeName: 'Region', ids: [args.regionId], at: ['region'] },
      {
        typeName: 'Enterprise',
        ids: listed.map((point) => point.firmId),
        at: ['singlePointsOfFailure', 'enterprise'],
      },
      {
        typeName: 'ChainSegment',
        ids: listed.flatMap((point) => point.segmentsBroken.map((segment) => segment.segmentId)),
        at: ['singlePointsOfFailure', 'segmentsBroken', 'segment'],
      },
      {
        typeName: 'Enterprise',
        ids: listed.flatMap((point) => point.buyersStranded.map((buyer) => buyer.buyerId)),
        at: ['singlePointsOfFailure', 'buyersStranded', 'enterprise'],
      },
      {
        typeName: 'ChainSegment',
        ids: listed.flatMap((point) => point.buyersStranded.flatMap((buyer) => buyer.segmentIds)),
        at: ['singlePointsOfFailure', 'buyersStranded', 'segments'],
      },
    ],
    context.limits,
  );
  return {
    chain: nodes.ref(args.chainId),
    region: nodes.ref(args.regionId),
    singlePointsOfFailure: listed.map((point) => ({
      enterprise: nodes.ref(point.firmId),
      impact: point.impact,
      segmentsBroken: point.segmentsBroken.map((segment) => ({
        segment: nodes.ref(segment.segmentId),
        criticality: segment.criticality,
        status: segment.status,
        weight: segment.weight,
      })),
      buyersStranded: point.buyersStranded.map((buyer) => ({
        enterprise: nodes.ref(buyer.buyerId),
        segments: buyer.segmentIds.map((id) => nodes.ref(id)),
        products: [...buyer.products],
      })),
      paths: [
        ...point.segmentsBroken.map((segment) => ({
          kind: 'SOLE_LOCAL_FIRM' as const,
          description: `${firmName.get(point.firmId) ?? point.firmId} is the only local enterprise in ${segmentName.get(segment.segmentId) ?? segment.segmentId}`,
          nodes: [
            firmNode(point.firmId),
            segmentNode(segment.viaSegmentId),
            ...(segment.viaSegmentId === segment.segmentId ? [] : [segmentNode(segment.segmentId)]),
          ],
          relationships: [
            T.OPERATES_IN,
            ...(segment.viaSegmentId === segment.segmentId ? [] : [T.SUBSEGMENT_OF]),
          ],
        })),
        ...point.buyersStranded.map((buyer) => ({
          kind: 'SOLE_LOCAL_SUPPLIER' as const,
          description: `${firmName.get(point.firmId) ?? point.firmId} is the only local supplier of ${buyer.segmentIds
            .map((id) => segmentName.get(id) ?? id)
            .join(', ')} to ${firmName.get(buyer.buyerId) ?? buyer.buyerId}`,
          nodes: [firmNode(point.firmId), firmNode(buyer.buyerId)],
          relationships: [T.SUPPLIES],
        })),
      ],
    })),
    totalCount: all.length,
    localEnterpriseCount: firms.length,
    localSupplyLinkCount: links.length,
    basis: basisObject(basis, factsBasis, [args.regionId]),
  };
}
