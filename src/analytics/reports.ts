import type { Executor } from '../data/executor.js';
import { hydrate, hydrationPart, type Hydrated, type HydrationRequest } from '../data/graph/hydrate.js';
import { selectedFields, selectionsAt, type Selection } from '../data/graph/selection.js';
import { pageSize, type TranslationLimits } from '../data/graph/translate.js';
import { NodeLabel, PROVENANCE_SOURCES } from '../data/model.js';
import { AppError, badUserInput, clip, ErrorCode } from '../errors.js';
import { byPriority, gapRelatedness, priorityOf } from './feasibility.js';
import {
  NO_COUNTS,
  rankIndexVersionSubquery,
  type AggregateBasis,
  type RegionCounts,
  type Structure,
} from './aggregates.js';
import { comparability, illustrativeShare, leastComplete } from './basis.js';
import {
  gapFactsFrom,
  gapStructureKey,
  LOCAL_ENTERPRISE_SCAN_LIMIT,
  readAggregateStructure,
  checkRequest,
  readChainsOf,
  readFirmLoss,
  contributionsPart,
  FIRST_REGION_AND_NATION,
  readContributions,
  readGapFactParts,
  readIncentives,
  readSegmentLossStart,
  readSegmentLosses,
  sourcesOrDefault,
  type ContributionsRequest,
  type GapFactsRequest,
  type GapFactsRow,
  type StructureRow,
  type SupplyLossRow,
} from './facts.js';
import { readRankedCandidates } from './candidates.js';
import { firmForEligibility, incentivesFor, measuresForEligibility } from './incentives.js';
import {
  assessSegment,
  compareAssessments,
  STATUS_RANK,
  summarise,
  summariseByStage,
  withDefaults,
  type DataCompleteness,
  type GapAssessment,
  type GapThresholds,
  type ThresholdsInput,
} from './gaps.js';
import type { AggregateRefresher } from './refresher.js';
import { STRUCTURE_REFRESH_OPERATION, type CachedStructures } from './structureCache.js';
import { gapScopes, segmentScenarioScope } from './segmentScope.js';
import { withDefaultWeights, type TargetWeights, type WeightsInput } from './targets.js';

/**
 * The analytics operations: validate the arguments, gather facts (one statement each), compute with the pure
 * functions of gaps.ts and targets.ts, then project the nodes the result mentions (one statement). Results are plain
 * objects keyed by field name, with node projections where the schema has nodes.
 */

export interface AnalyticsContext {
  readonly executor: Executor;
  readonly limits: TranslationLimits;
  readonly priorityRegionIds: readonly string[];
  /** Folds pending writes into the aggregates before an answer. */
  readonly refresher: AggregateRefresher;
  /** Most firms a scenario (impactOfLosing a segment) may leave out. */
  readonly maxScenarioFirms: number;
  /** The most rank-index rows one targetFirms request may read (TARGET_SCAN_LIMIT). */
  readonly targetScanLimit: number;
  /** The most supply links of the region's firms targetFirms lists to find the firms linked to it (TARGET_LINK_LIMIT). */
  readonly targetLinkLimit: number;
  /** The most firms the region may have for that list to be tried (TARGET_LINK_FIRMS_LIMIT). */
  readonly targetLinkFirmsLimit: number;
}

type Sources = readonly string[] | null | undefined;

export function validThresholds(input: ThresholdsInput | null | undefined): GapThresholds {
  const thresholds = withDefaults(input);
  for (const key of ['minEnterprises', 'minLeading', 'minPlatforms'] as const) {
    if (!Number.isInteger(thresholds[key]) || thresholds[key] < 0 || thresholds[key] > 1000) {
      throw badUserInput(`thresholds.${key}`, 'must be a whole number from 0 to 1000');
    }
  }
  if (!(thresholds.maxOutsideSupplyShare >= 0 && thresholds.maxOutsideSupplyShare <= 1)) {
    throw badUserInput('thresholds.maxOutsideSupplyShare', 'must be between 0 and 1');
  }
  // Below 1 would call a segment strong where the region is below the national share.
  if (!(thresholds.strongLocationQuotient >= 1 && thresholds.strongLocationQuotient <= 1000)) {
    throw badUserInput(
      'thresholds.strongLocationQuotient',
      'must be a number from 1 to 1000 (1000 turns the scale rule off in practice)',
    );
  }
  return thresholds;
}

function validWeights(input: WeightsInput | null | undefined): TargetWeights {
  const weights = withDefaultWeights(input);
  for (const [key, value] of Object.entries(weights)) {
    if (!Number.isFinite(value) || value < 0 || value > 1000)
      throw badUserInput(`weights.${key}`, 'must be a number from 0 to 1000');
  }
  if (Object.values(weights).every((value) => value === 0))
    throw badUserInput('weights', 'at least one weight must be above 0');
  return weights;
}

/**
 * Refuses unknown ids, then folds pending writes into the aggregates (waiting at most AGGREGATE_WAIT_MS) so that
 * the facts read next include every write made before the request.
 */
export async function prepare(
  context: AnalyticsContext,
  checks: readonly { argument: string; label: string; id: string }[],
): Promise<Prepared> {
  const { missing, basis } = await checkRequest(context.executor, checks);
  if (missing.length > 0) {
    const check = checks.find((candidate) => candidate.argument === missing[0])!;
    throw badUserInput(check.argument, `no ${check.label} with id '${clip(check.id)}'`);
  }
  if (basis.pendingChanges > 0 || basis.asOf === null) await context.refresher.catchUp();
  return { structureVersion: basis.structureVersion };
}

/** What a report learnt before reading facts. */
export interface Prepared {
  /** The structure version seen by the request's check: the key of the structures this process cached. */
  readonly structureVersion: number;
}

/** The cache key of the region and segment trees (aggregateStructure). */
const AGGREGATE_STRUCTURE_KEY = 'aggregate-structure';

/** The region and segment trees, from this process's cache when the structure has not changed since. */
export function aggregateStructure(context: AnalyticsContext, prepared: Prepared): Promise<Structure> {
  return context.refresher.cachedStructure(
    AGGREGATE_STRUCTURE_KEY,
    prepared.structureVersion,
    context.executor,
    readAggregateStructure,
  );
}

/**
 * The region and segment trees read again in the background when their entry is due, for a statement that used them
 * from the cache without going through aggregateStructure (checkedGapFacts peeks at them).
 */
function refreshTreesAhead(context: AnalyticsContext, version: number): void {
  context.refresher.refreshStructureAhead(AGGREGATE_STRUCTURE_KEY, version, (executor) =>
    readAggregateStructure(executor, STRUCTURE_REFRESH_OPERATION),
  );
}

/** A process cache for a report's structures (AggregateRefresher.cachedStructure), under the request's structure version. */
function structuresOf(context: AnalyticsContext, prepared: Prepared): CachedStructures {
  return (key, load) =>
    context.refresher.cachedStructure(key, prepared.structureVersion, context.executor, load);
}

/** The chains' structure of `request` (gapStructureKey), read again in the background when its entry is due. */
function refreshGapStructureAhead(
  context: AnalyticsContext,
  request: GapFactsRequest,
  version: number,
): void {
  context.refresher.refreshStructureAhead(gapStructureKey(request), version, async (executor) => {
    const parts = await readGapFactParts(executor, request, STRUCTURE_REFRESH_OPERATION);
    return parts.structure;
  });
}

function assess(
  rows: readonly GapFactsRow[],
  thresholds: GapThresholds,
  completeness: ReadonlyMap<string, DataCompleteness>,
): GapAssessment[] {
  return rows
    .map((row) => assessSegment(row, thresholds, completeness.get(row.regionId) ?? 'PARTIAL'))
    .sort(compareAssessments);
}

/** What gapFacts learns of the data basis of each region. */
interface FactsBasis {
  readonly sources: readonly string[];
  readonly completeness: ReadonlyMap<string, DataCompleteness>;
  readonly aggregates: ReadonlyMap<string, RegionCounts>;
  readonly realAggregates: ReadonlyMap<string, RegionCounts>;
  /** The report's segments (the counts the share is over). */
  readonly segmentIds: readonly string[];
}

/**
 * The basis of an answer over the given regions, as the API reports it: the sources applied, the (least)
 * completeness, the illustrative share of what was counted (from the stored aggregates: no firm is read), and how
 * current the counts are.
 */
export function basisObject(
  basis: AggregateBasis & { readonly asOf: string },
  facts: FactsBasis,
  regionIds: readonly string[],
) {
  // Over several regions (compareRegions) the counts are summed region by region. Only the report's segments
  // count in the share: a region's stored counts hold every segment of every chain, not worth summing.
  const sum = (byRegion: ReadonlyMap<string, RegionCounts>): RegionCounts => {
    const total: RegionCounts = new Map();
    for (const segmentId of facts.segmentIds) {
      let enterprises = 0;
      let counted = false;
      for (const regionId of regionIds) {
        const counts = byRegion.get(regionId)?.get(segmentId);
        if (counts === undefined) continue;
        enterprises += counts.enterprises;
        counted = true;
      }
      if (counted) total.set(segmentId, { ...NO_COUNTS, enterprises });
    }
    return total;
  };
  return {
    sources: PROVENANCE_SOURCES.filter((source) => facts.sources.includes(source)),
    completeness: leastComplete(regionIds.map((id) => facts.completeness.get(id) ?? 'PARTIAL')),
    illustrativeShare: illustrativeShare(sum(facts.aggregates), sum(facts.realAggregates), facts.segmentIds),
    asOf: basis.asOf,
    current: basis.pendingChanges === 0,
    pendingChanges: basis.pendingChanges,
  };
}

/**
 * The gap facts of the request's regions, read from the aggregates (`prepare` has folded in pending writes, or
 * waited as long as it may: then the answer comes from the counts as they are and says so in its basis). Each
 * scenario (a list of firms to leave out; the empty list is the graph as it is) subtracts what those
 * firms contribute to the first region.
 */
export async function gapFacts(
  context: AnalyticsContext,
  prepared: Prepared,
  request: GapFactsRequest,
  scenarios: readonly (readonly string[])[] = [[]],
  segmentLoss?: SegmentLoss,
): Promise<GapFactsResult> {
  // The structure part (a shortest-path search per segment) comes from this process's cache while the structure
  // version is the one the request's check saw; a write to the shape since then reads it afresh.
  const structures = context.refresher.structures;
  const key = gapStructureKey(request);
  const cached = structures.get<StructureRow[]>(key, prepared.structureVersion);
  let parts = await readGapFactParts(context.executor, {
    ...request,
    ...(cached ? { cachedSegmentIds: cached.map((row) => row.segmentId) } : {}),
  });
  let structure = cached;
  if (structure && parts.basis.structureVersion !== prepared.structureVersion) {
    // The shape changed between the check and this read: read it with the facts, so both agree.
    parts = await readGapFactParts(context.executor, request);
    structure = undefined;
  }
  if (structure) refreshGapStructureAhead(context, request, prepared.structureVersion);
  if (structure === undefined) {
    structure = parts.structure;
    // Under the older of the two versions seen: a write to the shape that committed while this statement ran may
    // or may not be in what it read, and a later request seeing the newer version must read it again.
    structures.set(key, Math.min(prepared.structureVersion, parts.basis.structureVersion), structure);
  }
  return factsFrom(context, prepared, request, parts, structure, scenarios, segmentLoss, null);
}

/**
 * A segment scenario (impactOfLosing a segment): the left-out firms lose only their operations in
 * `excludeSegmentIds`, and `localSupplierIds` are those of them known to supply a firm of the region
 * (readContributions).
 */
type SegmentLoss = Pick<ContributionsRequest, 'excludeSegmentIds' | 'localSupplierIds'>;

type GapFactParts = Awaited<ReturnType<typeof readGapFactParts>>;
type GapFactsResult = Awaited<ReturnType<typeof factsFrom>>;

/** A scenario's contributions read within the facts statement (checkedGapFacts): its firms, and how to count them. */
interface ReadContributions {
  readonly firmIds: readonly string[];
  counts(wanted: readonly string[]): Map<string, RegionCounts>;
}

/**
 * The facts of a read (`gapFacts`, `checkedGapFacts`), with each scenario's firms subtracted — from `alreadyRead`
 * when the facts statement counted that scenario's firms too, else in a statement of their own.
 */
async function factsFrom(
  context: AnalyticsContext,
  prepared: Prepared,
  request: GapFactsRequest,
  parts: GapFactParts,
  structure: readonly StructureRow[],
  scenarios: readonly (readonly string[])[],
  segmentLoss: SegmentLoss | undefined,
  alreadyRead: ReadContributions | null,
) {
  if (parts.localsCut) {
    throw new AppError(
      ErrorCode.QUERY_TOO_COMPLEX,
      `ChainGap.localEnterprises lists from at most ${LOCAL_ENTERPRISE_SCAN_LIMIT} local enterprises and region '${clip(request.regionIds[0]!)}' has more: page through enterprises(filter: { regionId, segmentId }) instead, or leave localEnterprises out (localEnterpriseCount is always there)`,
    );
  }
  const asOf = parts.basis.asOf;
  if (asOf === null) {
    const cause = context.refresher?.failure;
    throw new AppError(
      ErrorCode.SERVICE_BUSY,
      `The analytics counts are being built for the first time; try again in a minute${
        cause ? ` (the last attempt failed: ${clip(cause.message, 200)})` : ''
      }`,
    );
  }
  const regionId = request.regionIds[0]!;
  // Each region's nation (the root of its tree), read with the facts.
  const nationId = parts.nations.get(regionId) ?? null;
  const subtractions = [];
  for (const firmIds of scenarios) {
    subtractions.push(
      firmIds.length === 0
        ? null
        : alreadyRead !== null && alreadyRead.firmIds === firmIds
          ? alreadyRead.counts([regionId, ...(nationId ? [nationId] : [])])
          : await readContributions(context.executor, {
              firmIds,
              regionId,
              sources: request.sources,
              structure: await aggregateStructure(context, prepared),
              segmentIds: structure.map((row) => row.segmentId),
              nationId,
              supplyRegionId: regionId,
              ...segmentLoss,
            }),
    );
  }
  return {
    rows: gapFactsFrom(structure, parts.aggregates, request.regionIds, subtractions, parts.nations),
    basis: { ...parts.basis, asOf },
    localIds: parts.localIds,
    aggregates: parts.aggregates,
    facts: {
      sources: request.sources,
      completeness: parts.completeness,
      aggregates: parts.aggregates,
      realAggregates: parts.realAggregates,
      segmentIds: [...new Set(structure.map((row) => row.segmentId))],
    },
  };
}

/** An argument a report must find, with the label it must have. */
export interface RequestCheck {
  readonly argument: string;
  readonly label: string;
  readonly id: string;
}

/**
 * `prepare` and `gapFacts` — and, when `hydration` is given and the chains' structure is cached (so the segments
 * are known before the read), the projection of the nodes the report shows; and, when the region and segment trees
 * are cached, what a scenario's firms contribute (a scenario of one firm list) — in ONE statement: on a settled
 * store an analytics report then costs one round trip. The arguments are checked in that statement; when it finds
 * writes not yet folded into the aggregates, or a structure newer than the cached one, the report catches up and
 * reads again the usual way (`nodes` is then null: the caller hydrates).
 */
export async function checkedGapFacts(
  context: AnalyticsContext,
  checks: readonly RequestCheck[],
  request: GapFactsRequest,
  options: {
    readonly scenarios?: readonly (readonly string[])[];
    readonly segmentLoss?: SegmentLoss;
    /** What to project, given the cached structure rows (a superset of the ids the report mentions is fine). */
    readonly hydration?: (structure: readonly StructureRow[]) => {
      readonly selection: Selection;
      readonly requests: readonly HydrationRequest[];
    };
  } = {},
): Promise<{ prepared: Prepared; facts: GapFactsResult; nodes: Hydrated | null }> {
  const scenarios = options.scenarios ?? [[]];
  const structures = context.refresher.structures;
  const key = gapStructureKey(request);
  const cached = structures.peek<StructureRow[]>(key);
  const hydration = cached && options.hydration ? options.hydration(cached.value) : null;
  const part = hydration ? hydrationPart(hydration.selection, hydration.requests, context.limits) : null;
  // A scenario's firms (one list of them) are counted in the same statement when this process holds the region and
  // segment trees the count needs (otherwise factsFrom reads the trees, then the contributions).
  const scenarioFirms = [...new Set(scenarios.filter((firmIds) => firmIds.length > 0))];
  const trees = scenarioFirms.length === 1 ? structures.peek<Structure>(AGGREGATE_STRUCTURE_KEY) : undefined;
  const contributions =
    trees === undefined
      ? null
      : contributionsPart(
          {
            firmIds: scenarioFirms[0]!,
            sources: request.sources,
            structure: trees.value,
            ...options.segmentLoss,
            ...(cached ? { segmentIds: cached.value.map((row) => row.segmentId) } : {}),
            // A scenario is asked of one region (factsFrom subtracts it there and from its nation).
            ...(request.regionIds.length === 1 ? { supplyRegionId: request.regionIds[0]! } : {}),
          },
          { regions: FIRST_REGION_AND_NATION, standalone: false },
        );
  const extras = [part?.query ? { query: part.query, columns: part.columns } : null, contributions].filter(
    (extra) => extra !== null,
  );
  const parts = await readGapFactParts(context.executor, {
    ...request,
    checks,
    ...(cached ? { cachedSegmentIds: cached.value.map((row) => row.segmentId) } : {}),
    ...(extras.length > 0
      ? {
          extra: {
            query: {
              cypher: extras.map((extra) => extra.query.cypher).join('\n'),
              params: Object.fromEntries(extras.flatMap((extra) => Object.entries(extra.query.params))),
            },
            columns: extras.flatMap((extra) => extra.columns),
          },
        }
      : {}),
  });
  const missing = parts.missing[0];
  if (missing !== undefined) {
    const check = checks[missing]!;
    throw badUserInput(check.argument, `no ${check.label} with id '${clip(check.id)}'`);
  }
  const prepared: Prepared = { structureVersion: parts.basis.structureVersion };
  const settled = parts.basis.pendingChanges === 0 && parts.basis.asOf !== null;
  if (!settled || (cached !== undefined && cached.version !== parts.basis.structureVersion)) {
    if (!settled) await context.refresher.catchUp();
    return {
      prepared,
      facts: await gapFacts(context, prepared, request, scenarios, options.segmentLoss),
      nodes: null,
    };
  }
  const structure = cached?.value ?? parts.structure;
  if (cached === undefined) structures.set(key, parts.basis.structureVersion, structure);
  else refreshGapStructureAhead(context, request, cached.version);
  if (trees !== undefined && trees.version === parts.basis.structureVersion)
    refreshTreesAhead(context, trees.version);
  return {
    prepared,
    facts: await factsFrom(
      context,
      prepared,
      request,
      parts,
      structure,
      scenarios,
      options.segmentLoss,
      // Counted with the trees of the version this statement saw: else counted again by factsFrom.
      contributions !== null && trees!.version === parts.basis.structureVersion
        ? { firmIds: scenarioFirms[0]!, counts: (wanted) => contributions.from(parts.row, wanted) }
        : null,
    ),
    nodes: part ? part.from(parts.row) : null,
  };
}

/** The largest `first` any selected `localEnterprises` below these paths asks for (0 when none is selected). */
function localEnterprisesWanted(
  selection: Selection,
  gapPaths: readonly (readonly string[])[],
  limits: TranslationLimits,
): number {
  let wanted = 0;
  for (const gapPath of gapPaths) {
    for (const at of selectionsAt(selection, gapPath)) {
      for (const [key, field] of selectedFields(at.selection, 'localEnterprises')) {
        const first = pageSize(field.args['first'], limits, {
          argument: `${[...at.path, key].join('.')}.first`,
          fallback: DEFAULT_LOCAL_ENTERPRISES,
        });
        wanted = Math.max(wanted, first);
      }
    }
  }
  return wanted;
}

/** targetFirms' refusal while the rank keys of every firm are being written (AggregateBasis.ranksReady). */
function rankKeysBeingBuilt(context: AnalyticsContext): AppError {
  const cause = context.refresher.failure;
  return new AppError(
    ErrorCode.SERVICE_BUSY,
    `The target-firm ranking keys are being built (a first build, a rebuild or an upgrade writes every firm's); try again in a few minutes${
      cause ? ` (the last attempt failed: ${clip(cause.message, 200)})` : ''
    }`,
  );
}

/**
 * Whether a recommendation below `recommendations` selects its evidence or a factor's explanation: only then are
 * the ranked firms' supply links listed (readRankedCandidates' `explain`); scores and factor values need none.
 */
function wantsExplanations(selection: Selection): boolean {
  return selectionsAt(selection, ['recommendations']).some(
    (at) =>
      selectedFields(at.selection, 'evidence').length > 0 ||
      selectionsAt(at.selection, ['factors']).some(
        (factors) => selectedFields(factors.selection, 'explanation').length > 0,
      ),
  );
}

/** Whether a recommendation below `recommendations` selects its `incentives` or `eligibleIncentives`. */
function wantsIncentives(selection: Selection): boolean {
  return selectionsAt(selection, ['recommendations']).some(
    (at) =>
      selectedFields(at.selection, 'incentives').length > 0 ||
      selectedFields(at.selection, 'eligibleIncentives').length > 0,
  );
}

/** How chainGaps orders its gaps: SCORE (worst first, the default) or PRIORITY (feasibility.ts). */
export type GapOrder = 'SCORE' | 'PRIORITY';

/** Whether a ChainGap below these paths selects `relatedness` or `priority` (else they are not computed). */
function wantsFeasibility(selection: Selection, gapPaths: readonly (readonly string[])[]): boolean {
  return gapPaths.some((gapPath) =>
    selectionsAt(selection, gapPath).some(
      (at) =>
        selectedFields(at.selection, 'relatedness').length > 0 ||
        selectedFields(at.selection, 'priority').length > 0,
    ),
  );
}

/**
 * The relatedness of each assessed segment in the region (feasibility.ts): from the region's own aggregates (already
 * read), the chains' structure and the homes' presence (both cached per process), never from the firms.
 */
async function relatednessFor(
  context: AnalyticsContext,
  prepared: Prepared,
  request: {
    regionId: string;
    sources: readonly string[];
    basis: AggregateBasis & { readonly asOf: string };
    aggregates: ReadonlyMap<string, RegionCounts>;
  },
  assessments: readonly GapAssessment[],
): Promise<Map<string, number>> {
  return gapRelatedness(structuresOf(context, prepared), {
    regionId: request.regionId,
    regionCounts: request.aggregates.get(request.regionId),
    segmentIds: [...new Set(assessments.map((assessment) => assessment.facts.segmentId))],
    sources: request.sources,
    asOf: request.basis.asOf,
    structure: await aggregateStructure(context, prepared),
  });
}

/** PRIORITY order: priority, then score, then the SCORE order. */
function priorityOrder(relatedness: ReadonlyMap<string, number>) {
  return byPriority<GapAssessment>(
    (assessment) => priorityOf(assessment.score, relatedness.get(assessment.facts.segmentId) ?? 0),
    compareAssessments,
  );
}

/** Page size of ChainGap.localEnterprises when `first` is left out. */
export const DEFAULT_LOCAL_ENTERPRISES = 20;

/**
 * A ChainGap object: the assessment with references to its nodes, projected for each path where the client selected
 * them (the same object serves `gaps` and `recommendations.fills` of targetFirms).
 */
function gapObject(
  assessment: GapAssessment,
  nodes: Hydrated,
  localIds: ReadonlyMap<string, readonly string[]>,
  relatedness: ReadonlyMap<string, number> = new Map(),
) {
  const { facts } = assessment;
  const related = relatedness.get(facts.segmentId) ?? 0;
  return {
    segment: nodes.ref(facts.segmentId),
    status: assessment.status,
    criticality: assessment.criticality,
    score: assessment.score,
    relatedness: related,
    priority: priorityOf(assessment.score, related),
    locationQuotient: facts.locationQuotient ?? null,
    locationQuotientBasis: facts.locationQuotientBasis ?? null,
    locationQuotientSegment:
      facts.locationQuotientSegmentId === null || facts.locationQuotientSegmentId === undefined
        ? null
        : nodes.ref(facts.locationQuotientSegmentId),
    reasons: assessment.reasons,
    localEnterpriseCount: facts.localEnterpriseCount,
    leadingCount: facts.leadingCount,
    highTechCount: facts.highTechCount,
    platformCount: facts.platformCount,
    localSupplyEdges: facts.localSupplyEdges,
    outsideSupplyEdges: facts.outsideSupplyEdges,
    downstreamSegmentCount: facts.downstreamInChain,
    downstreamSegmentCountAllChains: facts.downstreamAll,
    localEnterprises: (localIds.get(facts.segmentId) ?? []).map((id) => nodes.ref(id)),
  };
}

function gapHydration(
  gapPath: readonly string[],
  assessments: readonly GapAssessment[],
  localIds: ReadonlyMap<string, readonly string[]>,
): HydrationRequest[] {
  return [
    {
      typeName: 'ChainSegment',
      ids: assessments.map((assessment) => assessment.facts.segmentId),
      at: [...gapPath, 'segment'],
    },
    {
      typeName: 'Enterprise',
      ids: assessments.flatMap((assessment) => localIds.get(assessment.facts.segmentId) ?? []),
      at: [...gapPath, 'localEnterprises'],
    },
    {
      typeName: 'ChainSegment',
      ids: assessments.flatMap((assessment) => assessment.facts.locationQuotientSegmentId ?? []),
      at: [...gapPath, 'locationQuotientSegment'],
    },
  ];
}

/**
 * What gapHydration projects, from the structure alone (before the counts are read): every segment of the report,
 * and every broader segment its location quotient may fall back to (a superset of those it does).
 */
function structureHydration(
  gapPath: readonly string[],
  structure: readonly StructureRow[],
): HydrationRequest[] {
  return [
    { typeName: 'ChainSegment', ids: structure.map((row) => row.segmentId), at: [...gapPath, 'segment'] },
    {
      typeName: 'ChainSegment',
      ids: [
        ...structure.map((row) => row.segmentId),
        ...structure.flatMap((row) => (row.broader ?? []).map(([id]) => id)),
      ],
      at: [...gapPath, 'locationQuotientSegment'],
    },
  ];
}

export async function chainGapReport(
  context: AnalyticsContext,
  args: {
    chainId: string;
    regionId: string;
    thresholds?: ThresholdsInput | null;
    sources?: Sources;
    orderBy?: GapOrder | null;
  },
  selection: Selection,
) {
  const thresholds = validThresholds(args.thresholds);
  const sources = sourcesOrDefault(args.sources);
  const firstLocals = localEnterprisesWanted(selection, [['gaps']], context.limits);
  const fixedNodes = [
    { typeName: 'IndustrialChain', ids: [args.chainId], at: ['chain'] },
    { typeName: 'Region', ids: [args.regionId], at: ['region'] },
  ];
  const {
    prepared,
    facts: { rows, basis, localIds, aggregates, facts },
    nodes: read,
  } = await checkedGapFacts(
    context,
    [
      { argument: 'chainId', label: NodeLabel.IndustrialChain, id: args.chainId },
      { argument: 'regionId', label: NodeLabel.Region, id: args.regionId },
    ],
    {
      chainIds: [args.chainId],
      regionIds: [args.regionId],
      sources,
      maxDepth: context.limits.maxTraversalDepth,
      localEnterprises: firstLocals,
    },
    // The local enterprises listed are known only after the read: then the nodes are projected afterwards.
    firstLocals > 0
      ? {}
      : {
          hydration: (structure) => ({
            selection,
            requests: [...fixedNodes, ...structureHydration(['gaps'], structure)],
          }),
        },
  );
  const byScore = assess(rows, thresholds, facts.completeness);
  const orderBy = args.orderBy ?? 'SCORE';
  const relatedness =
    orderBy === 'PRIORITY' || wantsFeasibility(selection, [['gaps']])
      ? await relatednessFor(
          context,
          prepared,
          { regionId: args.regionId, sources, basis, aggregates },
          byScore,
        )
      : new Map<string, number>();
  const assessments = orderBy === 'PRIORITY' ? [...byScore].sort(priorityOrder(relatedness)) : byScore;
  const nodes =
    read ??
    (await hydrate(
      context.executor,
      selection,
      [...fixedNodes, ...gapHydration(['gaps'], assessments, localIds)],
      context.limits,
    ));
  return {
    chain: nodes.ref(args.chainId),
    region: nodes.ref(args.regionId),
    thresholds,
    gaps: assessments.map((assessment) => gapObject(assessment, nodes, localIds, relatedness)),
    stages: summariseByStage(assessments),
    total: summarise(assessments),
    basis: basisObject(basis, facts, [args.regionId]),
  };
}

export const MAX_COMPARED_REGIONS = 10;

export async function compareRegions(
  context: AnalyticsContext,
  args: {
    chainId: string;
    regionIds: readonly string[];
    thresholds?: ThresholdsInput | null;
    sources?: Sources;
  },
  selection: Selection,
) {
  const thresholds = validThresholds(args.thresholds);
  const regionIds = [...new Set(args.regionIds)];
  if (regionIds.length < 2 || regionIds.length > MAX_COMPARED_REGIONS) {
    throw badUserInput('regionIds', `give 2 to ${MAX_COMPARED_REGIONS} different regions`);
  }
  const nodeRequests = (segmentIds: readonly string[]): HydrationRequest[] => [
    { typeName: 'IndustrialChain', ids: [args.chainId], at: ['chain'] },
    { typeName: 'Region', ids: regionIds, at: ['regions', 'region'] },
    { typeName: 'Region', ids: regionIds, at: ['segments', 'byRegion', 'region'] },
    { typeName: 'ChainSegment', ids: segmentIds, at: ['segments', 'segment'] },
  ];
  const {
    facts: { rows, basis, facts },
    nodes: read,
  } = await checkedGapFacts(
    context,
    [
      { argument: 'chainId', label: NodeLabel.IndustrialChain, id: args.chainId },
      ...regionIds.map((id, index) => ({ argument: `regionIds[${index}]`, label: NodeLabel.Region, id })),
    ],
    {
      chainIds: [args.chainId],
      regionIds,
      sources: sourcesOrDefault(args.sources),
      maxDepth: context.limits.maxTraversalDepth,
    },
    {
      hydration: (structure) => ({
        selection,
        requests: nodeRequests(structure.map((row) => row.segmentId)),
      }),
    },
  );
  // Each region assessed once, in one pass over the rows; each segment's assessment per region is then a lookup
  // (the report objects below are built from these, never recomputed per segment or per field).
  const rowsOf = new Map<string, GapFactsRow[]>(regionIds.map((id) => [id, []]));
  for (const row of rows) rowsOf.get(row.regionId)?.push(row);
  const byRegion = new Map(
    regionIds.map((id) => [id, assess(rowsOf.get(id) ?? [], thresholds, facts.completeness)]),
  );
  const bySegment = new Map<string, Map<string, GapAssessment>>();
  for (const [id, assessments] of byRegion) {
    const of = new Map<string, GapAssessment>();
    // The first (worst) assessment of a segment, as a search of the report would find.
    for (const assessment of assessments)
      if (!of.has(assessment.facts.segmentId)) of.set(assessment.facts.segmentId, assessment);
    bySegment.set(id, of);
  }
  const segmentIds = [...new Set(rows.map((row) => row.segmentId))];
  const nodes =
    read ?? (await hydrate(context.executor, selection, nodeRequests(segmentIds), context.limits));
  // Segments in the order of the first region's report (worst first there), then by id.
  const order = new Map(
    (byRegion.get(regionIds[0]!) ?? []).map((assessment, index) => [assessment.facts.segmentId, index]),
  );
  const orderedSegments = segmentIds.sort(
    (a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const regionBases = regionIds.map((id) => ({ id, basis: basisObject(basis, facts, [id]) }));
  const { comparable, note } = comparability(
    regionBases.map(({ id, basis: regionBasis }) => ({ regionId: id, ...regionBasis })),
  );
  return {
    chain: nodes.ref(args.chainId),
    regions: regionBases.map(({ id, basis: regionBasis }) => ({
      region: nodes.ref(id),
      stages: summariseByStage(byRegion.get(id) ?? []),
      total: summarise(byRegion.get(id) ?? []),
      basis: regionBasis,
    })),
    comparable,
    comparabilityNote: note,
    segments: orderedSegments.map((segmentId) => ({
      segment: nodes.ref(segmentId),
      byRegion: regionIds.map((regionId) => {
        const assessment = bySegment.get(regionId)?.get(segmentId);
        return {
          region: nodes.ref(regionId),
          status:
            assessment?.status ?? (facts.completeness.get(regionId) === 'CENSUS' ? 'MISSING' : 'UNKNOWN'),
          localEnterpriseCount: assessment?.facts.localEnterpriseCount ?? 0,
        };
      }),
    })),
    basis: basisObject(basis, facts, regionIds),
  };
}

export async function targetFirms(
  context: AnalyticsContext,
  args: {
    chainId?: string | null;
    segmentId?: string | null;
    regionId: string;
    first?: number | null;
    weights?: WeightsInput | null;
    thresholds?: ThresholdsInput | null;
    sources?: Sources;
    ownership?: readonly string[] | null;
    listedOnly?: boolean | null;
  },
  selection: Selection,
) {
  if ((args.chainId ? 1 : 0) + (args.segmentId ? 1 : 0) !== 1) {
    throw badUserInput(args.chainId ? 'segmentId' : 'chainId', 'give exactly one of chainId and segmentId');
  }
  if (args.ownership && args.ownership.length === 0) {
    throw badUserInput(
      'ownership',
      'give at least one ownership type, or leave ownership out for every firm',
    );
  }
  const thresholds = validThresholds(args.thresholds);
  const weights = validWeights(args.weights);
  const first = pageSize(args.first, context.limits, { argument: 'first', fallback: 10 });
  const sources = sourcesOrDefault(args.sources);
  // An unknown segment has no chain; the checks in the facts statement then name it.
  const chainIds = args.chainId
    ? [args.chainId]
    : await readChainsOf(context.executor, { segmentId: args.segmentId! });
  const firstLocals = localEnterprisesWanted(
    selection,
    [['gaps'], ['recommendations', 'fills']],
    context.limits,
  );
  // The checks and the gaps' facts in one statement (checkedGapFacts), as chainGaps reads them.
  const {
    prepared,
    facts: { rows, basis, localIds, aggregates, facts },
  } = await checkedGapFacts(
    context,
    [
      ...(args.chainId ? [{ argument: 'chainId', label: NodeLabel.IndustrialChain, id: args.chainId }] : []),
      ...(args.segmentId
        ? [{ argument: 'segmentId', label: NodeLabel.ChainSegment, id: args.segmentId }]
        : []),
      { argument: 'regionId', label: NodeLabel.Region, id: args.regionId },
    ],
    {
      chainIds,
      regionIds: [args.regionId],
      sources,
      maxDepth: context.limits.maxTraversalDepth,
      segmentScopeId: args.segmentId ?? null,
      localEnterprises: firstLocals,
    },
  );
  // While every firm's rank keys are being written (a first build, a rebuild, an upgrade: after the counts, in
  // batches), the rank index lacks firms and a ranking walked from it would leave them out: wait for the writing as
  // for pending writes (AGGREGATE_WAIT_MS), and refuse, to be asked again, when it takes longer.
  if (basis.ranksReady === false && !(await context.refresher.catchUp())) throw rankKeysBeingBuilt(context);
  const gaps = assess(rows, thresholds, facts.completeness).filter(
    (assessment) => assessment.status !== 'COVERED',
  );
  const gapById = new Map(
    gaps.map((gap) => [
      gap.facts.segmentId,
      { segmentId: gap.facts.segmentId, name: gap.facts.name, score: gap.score },
    ]),
  );
  // The gaps' scopes from the segment tree this process holds (read once, then kept while the structure stands).
  const scopeToGap =
    gaps.length > 0
      ? gapScopes(await aggregateStructure(context, prepared), [...gapById.keys()])
      : new Map<string, string>();
  // The measures and their conditions depend only on the chains and the gaps: read while the ranking runs, so that
  // their round trip does not add to the request's time (each firm's eligibility is then decided in memory).
  // Only when a recommendation's incentives are selected: a ranking asked for scores alone sends one statement less.
  const measuresRead =
    gapById.size > 0 && wantsIncentives(selection)
      ? readIncentives(context.executor, chainIds, [...gapById.keys()])
      : Promise.resolve(undefined);
  // A failed ranking must not leave the read's rejection unhandled.
  measuresRead.catch(() => undefined);
  // Ranked in the database: the gaps' firms read best-first from the rank index until no unread one can reach the
  // top (src/analytics/candidates.ts), then supply links for the few that still can.
  // The ranked firms are projected for the client's selection in the statement that reads their details: the
  // hydration below then reads only what else is selected (none at all for a ranking of firms and scores).
  const ranking = await readRankedCandidates(context.executor, {
    regionId: args.regionId,
    scopeToGap,
    gaps: gapById,
    weights,
    first,
    sources,
    priorityRegionIds: context.priorityRegionIds,
    scanLimit: context.targetScanLimit,
    linkedLimits: { maxLocals: context.targetLinkFirmsLimit, maxLinks: context.targetLinkLimit },
    structures: structuresOf(context, prepared),
    maxOperations: basis.maxOperations ?? null,
    filter: { ownership: args.ownership ?? null, listedOnly: args.listedOnly === true },
    explain: wantsExplanations(selection),
    rankIndexVersion: rankIndexVersionSubquery,
    details: (ids) => {
      const part = hydrationPart(
        selection,
        [{ typeName: 'Enterprise', ids, at: ['recommendations', 'enterprise'] }],
        context.limits,
      );
      return {
        part: part.query === null ? null : { query: part.query, columns: part.columns },
        read: part.from,
      };
    },
  });
  const { ranked, profiles } = ranking;
  // No firm ranked: nothing of them to project.
  const enterprises = ranking.details ?? hydrationPart(selection, [], context.limits).from(undefined);
  const incentiveFacts = await measuresRead;
  const measures = ranked.length > 0 && incentiveFacts ? measuresForEligibility(incentiveFacts) : [];
  const incentivesOf = new Map(
    ranked.map((recommendation) => [
      recommendation.candidate.id,
      incentivesFor(
        measures,
        firmForEligibility(profiles.get(recommendation.candidate.id)!, recommendation.candidate.operations),
      ),
    ]),
  );
  const incentiveIds = [
    ...new Set([...incentivesOf.values()].flat().map((incentive) => incentive.measureId)),
  ];
  const gapsPath = ['gaps'];
  const fillsPath = ['recommendations', 'fills'];
  const nodes = await hydrate(
    context.executor,
    selection,
    [
      { typeName: 'Region', ids: [args.regionId], at: ['region'] },
      ...gapHydration(gapsPath, gaps, localIds),
      ...gapHydration(fillsPath, gaps, localIds),
      {
        typeName: 'PolicyMeasure',
        ids: incentiveIds,
        at: ['recommendations', 'incentives'],
      },
      {
        typeName: 'PolicyMeasure',
        ids: incentiveIds,
        at: ['recommendations', 'eligibleIncentives', 'measure'],
      },
    ],
    context.limits,
  );
  const relatedness = wantsFeasibility(selection, [gapsPath, fillsPath])
    ? await relatednessFor(context, prepared, { regionId: args.regionId, sources, basis, aggregates }, gaps)
    : new Map<string, number>();
  const gapObjects = new Map(
    gaps.map((gap) => [gap.facts.segmentId, gapObject(gap, nodes, localIds, relatedness)]),
  );
  return {
    region: nodes.ref(args.regionId),
    gaps: gaps.map((gap) => gapObjects.get(gap.facts.segmentId)!),
    weights,
    recommendations: ranked.map((recommendation) => ({
      enterprise: enterprises.ref(recommendation.candidate.id),
      score: recommendation.score,
      factors: recommendation.factors,
      fills: recommendation.fills.map((segmentId) => gapObjects.get(segmentId)!),
      evidence: recommendation.evidence,
      incentives: incentivesOf
        .get(recommendation.candidate.id)!
        .map((incentive) => nodes.ref(incentive.measureId)),
      eligibleIncentives: incentivesOf.get(recommendation.candidate.id)!.map((incentive) => ({
        measure: nodes.ref(incentive.measureId),
        eligibility: incentive.eligibility,
        terms: [...incentive.terms],
        reasons: [...incentive.reasons],
        clauses: incentive.clauses.map((clause) => ({
          eligibility: clause.eligibility,
          terms: [...clause.terms],
          reasons: [...clause.reasons],
        })),
      })),
      distanceKm: recommendation.candidate.distanceKm,
    })),
    basis: basisObject(basis, facts, [args.regionId]),
  };
}

export async function impactOfLosing(
  context: AnalyticsContext,
  args: {
    enterpriseId?: string | null;
    segmentId?: string | null;
    regionId: string;
    thresholds?: ThresholdsInput | null;
    sources?: Sources;
  },
  selection: Selection,
) {
  if ((args.enterpriseId ? 1 : 0) + (args.segmentId ? 1 : 0) !== 1) {
    throw badUserInput(
      args.enterpriseId ? 'segmentId' : 'enterpriseId',
      'give exactly one of enterpriseId and segmentId',
    );
  }
  const checks: RequestCheck[] = [
    ...(args.enterpriseId
      ? [{ argument: 'enterpriseId', label: NodeLabel.Enterprise, id: args.enterpriseId }]
      : []),
    ...(args.segmentId ? [{ argument: 'segmentId', label: NodeLabel.ChainSegment, id: args.segmentId }] : []),
    { argument: 'regionId', label: NodeLabel.Region, id: args.regionId },
  ];
  // The page sizes are checked before anything is read.
  const pages = lossPages(selection, context.limits);
  if (args.enterpriseId)
    return impactOfLosingFirm(
      context,
      { ...args, enterpriseId: args.enterpriseId },
      selection,
      checks,
      pages,
    );
  return impactOfLosingSegment(context, { ...args, segmentId: args.segmentId! }, selection, checks, pages);
}

/** Page size of LossImpact.firmsLosingLocalSupply and of SupplyLoss.lostSuppliers when `first` is left out. */
export const DEFAULT_LOSS_PAGE = 20;

/** How many buyers, and lost suppliers of each, a loss report lists: the largest `first` any alias asks for. */
interface LossPages {
  readonly losses: number;
  readonly suppliers: number;
}

/**
 * The page sizes the selection asks for (each alias is cut to its own `first` by the resolvers). Every buyer left
 * without supply is still found — their number is an answer — but only the listed ones, and the first lost suppliers
 * of each, are projected and returned: a hub supplier's loss at a million firms leaves hundreds of buyers.
 */
function lossPages(selection: Selection, limits: TranslationLimits): LossPages {
  let losses = 0;
  let suppliers = 0;
  for (const [key, field] of selectedFields(selection, 'firmsLosingLocalSupply')) {
    losses = Math.max(
      losses,
      pageSize(field.args['first'], limits, { argument: `${key}.first`, fallback: DEFAULT_LOSS_PAGE }),
    );
    for (const [inner, supplierField] of selectedFields(field.selection, 'lostSuppliers')) {
      suppliers = Math.max(
        suppliers,
        pageSize(supplierField.args['first'], limits, {
          argument: `${key}.${inner}.first`,
          fallback: DEFAULT_LOSS_PAGE,
        }),
      );
    }
  }
  return { losses, suppliers };
}

/** The supply losses as a report lists them: how many there are, and the first of them cut to the pages. */
interface PagedLosses {
  readonly count: number;
  readonly listed: readonly (SupplyLossRow & { readonly lostSupplierCount: number })[];
}

function pagedLosses(losses: readonly SupplyLossRow[], pages: LossPages): PagedLosses {
  return {
    count: losses.length,
    listed: losses.slice(0, pages.losses).map((loss) => ({
      ...loss,
      lostSupplierIds: loss.lostSupplierIds.slice(0, pages.suppliers),
      lostSupplierCount: loss.lostSupplierIds.length,
    })),
  };
}

/**
 * Losing a segment in two statements on a settled store whose region and segment trees this process holds: its
 * local firms from the home index with the supply they leave missing, the segment's chains and whether the index is
 * current (readSegmentLosses), then the checks, counts, scenario and projection together (checkedGapFacts). While
 * writes wait to be folded in, the segment's stored local count comes first (readSegmentLossStart: a large region is
 * refused before its firms are walked), and the firms are walked. The trees give the segment's scope before
 * anything is read; they are checked against the structure version that last statement reads, and when the
 * structure moved meanwhile the loss is worked out again from the trees of that version.
 */
async function impactOfLosingSegment(
  context: AnalyticsContext,
  args: { segmentId: string; regionId: string; thresholds?: ThresholdsInput | null; sources?: Sources },
  selection: Selection,
  checks: readonly RequestCheck[],
  pages: LossPages,
) {
  const { segmentId } = args;
  const thresholds = validThresholds(args.thresholds);
  const sources = sourcesOrDefault(args.sources);
  // Leaving firms out costs work per firm (their own counts and links): a segment of a large region is refused,
  // first on the stored count (no firm read), then on the firms found (the count may lag pending writes).
  const tooMany = () =>
    new AppError(
      ErrorCode.QUERY_TOO_COMPLEX,
      `Losing segment '${clip(segmentId)}' in region '${clip(args.regionId)}' would leave out more than ${context.maxScenarioFirms} local enterprises (MAX_SCENARIO_FIRMS); ask for a smaller region`,
    );
  let trees = context.refresher.structures.peek<Structure>(AGGREGATE_STRUCTURE_KEY);
  if (trees === undefined) {
    // Not held yet (this process's first loss or report): the arguments are checked and the trees read first.
    const prepared = await prepare(context, checks);
    trees = { version: prepared.structureVersion, value: await aggregateStructure(context, prepared) };
  }
  for (let attempt = 1; ; attempt += 1) {
    // Losing a segment takes away the local firms' capacity in it — their operations in the segment and its
    // narrower segments, and the supply pairs counted through those — not the firms: their other segments stay.
    const lostScope = segmentScenarioScope(trees.value, segmentId, sources);
    // Its local firms and the buyers they leave without supply, in one statement (none past MAX_SCENARIO_FIRMS).
    const lossesOf = (side: { side?: 'index'; withStart?: boolean }) =>
      readSegmentLosses(context.executor, {
        segmentId,
        regionId: args.regionId,
        sources,
        limit: context.maxScenarioFirms + 1,
        maxFirms: context.maxScenarioFirms,
        segment: lostScope,
        ...side,
      });
    // While the index was current at the last look, the firms come from it, with the segment's chains and whether
    // it still is, in that one statement: the bounded index read needs no stored count to refuse a large region
    // first. When it is not current (a write not yet folded in), the stored count is read first, then the firms
    // are walked from the graph.
    let found = context.refresher.homeIndexReady
      ? await lossesOf({ side: 'index', withStart: true })
      : undefined;
    let chainIds = found?.start?.chainIds ?? [];
    if (found?.start?.homeIndexReady !== true) {
      const start = await readSegmentLossStart(context.executor, {
        segmentId,
        regionId: args.regionId,
        sources,
      });
      context.refresher.homeIndexReady = start.homeIndexReady;
      if (start.localCount > context.maxScenarioFirms) throw tooMany();
      chainIds = start.chainIds;
      found = await lossesOf(start.homeIndexReady ? { side: 'index' } : {});
    }
    const { removed } = found;
    if (removed.length > context.maxScenarioFirms) throw tooMany();
    const losses = pagedLosses(found.losses, pages);
    const { prepared, facts, nodes } = await lossFacts(context, checks, args, selection, {
      chainIds,
      sources,
      removed,
      losses,
      // Their walk for the stranded buyers told which of the firms supply the region at all.
      segmentLoss: { excludeSegmentIds: lostScope.segmentIds, localSupplierIds: found.localSupplierIds },
    });
    // The structure moved after the trees were read: the scope may have changed; once more with the trees of now
    // (a structure that keeps moving is answered from the second reading, as a read racing a write would be).
    if (prepared.structureVersion !== trees.version && attempt === 1) {
      trees = { version: prepared.structureVersion, value: await aggregateStructure(context, prepared) };
      continue;
    }
    return lossReport(context, args, selection, thresholds, facts, losses, nodes);
  }
}

/**
 * The facts of a loss — scenario 0 as it is, scenario 1 without the removed firms (or, for a segment, without their
 * operations in the segment: `segmentLoss`) — checked, counted and projected by checkedGapFacts.
 */
function lossFacts(
  context: AnalyticsContext,
  checks: readonly RequestCheck[],
  args: { enterpriseId?: string | null; segmentId?: string | null; regionId: string },
  selection: Selection,
  loss: {
    readonly chainIds: readonly string[];
    readonly sources: readonly string[];
    readonly removed: readonly string[];
    readonly losses: PagedLosses;
    readonly segmentLoss?: SegmentLoss;
  },
) {
  return checkedGapFacts(
    context,
    checks,
    {
      chainIds: [...loss.chainIds],
      regionIds: [args.regionId],
      sources: loss.sources,
      maxDepth: context.limits.maxTraversalDepth,
    },
    {
      scenarios: [[], loss.removed],
      ...(loss.segmentLoss ? { segmentLoss: loss.segmentLoss } : {}),
      hydration: (structure) => ({
        selection,
        requests: lossHydration(
          args,
          structure.map((row) => row.segmentId),
          loss.losses,
        ),
      }),
    },
  );
}

/**
 * What a loss report projects: its fixed nodes, the changed segments (or every segment of the report, a superset,
 * when projected before the counts are known) and the firms of the supply losses.
 */
function lossHydration(
  args: { enterpriseId?: string | null; segmentId?: string | null; regionId: string },
  segmentIds: readonly string[],
  losses: PagedLosses,
): HydrationRequest[] {
  return [
    { typeName: 'Region', ids: [args.regionId], at: ['region'] },
    ...(args.enterpriseId ? [{ typeName: 'Enterprise', ids: [args.enterpriseId], at: ['enterprise'] }] : []),
    ...(args.segmentId ? [{ typeName: 'ChainSegment', ids: [args.segmentId], at: ['segment'] }] : []),
    { typeName: 'ChainSegment', ids: segmentIds, at: ['segmentsAffected', 'segment'] },
    {
      typeName: 'Enterprise',
      ids: losses.listed.map((loss) => loss.buyerId),
      at: ['firmsLosingLocalSupply', 'enterprise'],
    },
    {
      typeName: 'Enterprise',
      ids: losses.listed.flatMap((loss) => loss.lostSupplierIds),
      at: ['firmsLosingLocalSupply', 'lostSuppliers'],
    },
  ];
}

/**
 * The report of a loss from its facts (scenario 0: as it is, 1: after the loss) and the supply losses; `read` holds
 * its nodes when the facts statement projected them (else they are projected here).
 */
async function lossReport(
  context: AnalyticsContext,
  args: { enterpriseId?: string | null; segmentId?: string | null; regionId: string },
  selection: Selection,
  thresholds: GapThresholds,
  { rows, basis, facts }: Pick<GapFactsResult, 'rows' | 'basis' | 'facts'>,
  losses: PagedLosses,
  read: Hydrated | null,
) {
  const key = (row: GapFactsRow) => `${row.chainId}|${row.segmentId}`;
  const completeness = facts.completeness.get(args.regionId) ?? 'PARTIAL';
  const before = new Map(
    rows
      .filter((row) => row.scenario === 0)
      .map((row) => [key(row), assessSegment(row, thresholds, completeness)]),
  );
  const changes = rows
    .filter((row) => row.scenario === 1)
    .map((row) => ({ before: before.get(key(row))!, after: assessSegment(row, thresholds, completeness) }))
    .filter(
      ({ before: was, after }) =>
        (after.status === 'MISSING' || after.status === 'UNKNOWN' || after.status === 'DEPENDENT') &&
        STATUS_RANK[after.status] < STATUS_RANK[was.status],
    )
    .sort((a, b) => compareAssessments(a.after, b.after));
  const nodes =
    read ??
    (await hydrate(
      context.executor,
      selection,
      lossHydration(
        args,
        changes.map((change) => change.after.facts.segmentId),
        losses,
      ),
      context.limits,
    ));
  return {
    region: nodes.ref(args.regionId),
    enterprise: args.enterpriseId ? nodes.ref(args.enterpriseId) : null,
    segment: args.segmentId ? nodes.ref(args.segmentId) : null,
    segmentsAffected: changes.map(({ before: was, after }) => ({
      segment: nodes.ref(after.facts.segmentId),
      before: was.status,
      after: after.status,
      localEnterprisesBefore: was.facts.localEnterpriseCount,
      localEnterprisesAfter: after.facts.localEnterpriseCount,
    })),
    firmsLosingLocalSupply: losses.listed.map((loss) => ({
      enterprise: nodes.ref(loss.buyerId),
      products: loss.products,
      lostSuppliers: loss.lostSupplierIds.map((id) => nodes.ref(id)),
      lostSupplierCount: loss.lostSupplierCount,
    })),
    firmsLosingLocalSupplyCount: losses.count,
    basis: basisObject(basis, facts, [args.regionId]),
  };
}

/**
 * Losing one firm: its chains and the local firms left without supply (one statement), then the checks, the facts,
 * the firm's own contributions and the nodes (one statement) — two round trips, whatever the region, once this
 * process has cached the chains' structure and the region and segment trees (else up to four).
 */
async function impactOfLosingFirm(
  context: AnalyticsContext,
  args: { enterpriseId: string; regionId: string; thresholds?: ThresholdsInput | null; sources?: Sources },
  selection: Selection,
  checks: readonly RequestCheck[],
  pages: LossPages,
) {
  const thresholds = validThresholds(args.thresholds);
  const sources = sourcesOrDefault(args.sources);
  const removed = [args.enterpriseId];
  const read = await readFirmLoss(context.executor, {
    enterpriseId: args.enterpriseId,
    regionId: args.regionId,
    sources,
  });
  const { chainIds } = read;
  const losses = pagedLosses(read.losses, pages);
  const { facts, nodes } = await lossFacts(context, checks, args, selection, {
    chainIds,
    sources,
    removed,
    losses,
  });
  return lossReport(context, args, selection, thresholds, facts, losses, nodes);
}
