/**
 * Target-firm ranking (产业链招商): pure scoring of outside enterprises against a region's gaps. Every factor is
 * 0–1 with an explanation; the score is 100 × Σ(weight × factor) / Σ(weight). Deterministic: ties by id.
 *
 * Only the weights' proportions matter: they are divided by the largest before anything is summed, so that any
 * valid weights — 5e-324 or 1000 — give the same weighted mean as the same proportions in everyday numbers.
 */

export type TargetFactor = 'FIT' | 'CAPABILITY' | 'LINKAGE' | 'PROXIMITY' | 'BREADTH';

export interface TargetWeights {
  readonly fit: number;
  readonly capability: number;
  readonly linkage: number;
  readonly proximity: number;
  readonly breadth: number;
}

export const DEFAULT_WEIGHTS: TargetWeights = {
  fit: 0.3,
  capability: 0.2,
  linkage: 0.2,
  proximity: 0.15,
  breadth: 0.15,
};

/** Beyond this distance closeness is 0. */
export const PROXIMITY_HORIZON_KM = 2000;

export interface GapInScope {
  readonly segmentId: string;
  readonly name: string;
  /** The gap's score, 0–100. */
  readonly score: number;
}

export interface CandidateOperation {
  /** The gap segment this operation fills (the candidate may operate in one of its narrower segments). */
  readonly gapSegmentId: string;
  /** The segment it actually operates in. */
  readonly segmentId: string;
  readonly segmentName: string;
  readonly role: string;
  readonly mainProducts: readonly string[];
}

export interface SupplyLinkFact {
  readonly enterpriseId: string;
  readonly enterpriseName: string;
  readonly products: readonly string[];
}

export interface IndirectLinkFact {
  readonly viaId: string;
  readonly viaName: string;
  readonly toId: string;
  readonly toName: string;
}

export interface CandidateFacts {
  readonly id: string;
  readonly name: string;
  readonly sizeBand: string;
  readonly leading: boolean;
  readonly highTech: boolean;
  readonly platformsHosted: number;
  readonly operations: readonly CandidateOperation[];
  readonly suppliesLocal: readonly SupplyLinkFact[];
  readonly buysFromLocal: readonly SupplyLinkFact[];
  readonly indirect: readonly IndirectLinkFact[];
  readonly inPriorityRegion: boolean;
  readonly distanceKm: number | null;
}

export interface ScoreFactor {
  readonly name: TargetFactor;
  readonly value: number;
  readonly weight: number;
  readonly explanation: string;
}

export interface EvidencePath {
  readonly factor: TargetFactor;
  readonly description: string;
  readonly nodes: { kind: string; id: string; name: string }[];
  readonly relationships: string[];
}

export interface TargetRecommendation {
  readonly candidate: CandidateFacts;
  readonly score: number;
  readonly factors: ScoreFactor[];
  readonly fills: string[];
  readonly evidence: EvidencePath[];
}

const SIZE_VALUE: Readonly<Record<string, number>> = { LARGE: 1, MEDIUM: 0.7, SMALL: 0.4, MICRO: 0.2 };
const round = (value: number, digits = 4) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Weights as the API receives them: any may be missing or null. */
export type WeightsInput = { readonly [K in keyof TargetWeights]?: TargetWeights[K] | null };

export function withDefaultWeights(weights: WeightsInput | null | undefined): TargetWeights {
  const merged = { ...DEFAULT_WEIGHTS };
  for (const key of Object.keys(DEFAULT_WEIGHTS) as (keyof TargetWeights)[]) {
    const value = weights?.[key];
    if (value !== undefined && value !== null) merged[key] = value;
  }
  return merged;
}

const weightValues = (weights: TargetWeights): number[] => [
  weights.fit,
  weights.capability,
  weights.linkage,
  weights.proximity,
  weights.breadth,
];

/**
 * normaliseWeights of each weights object, kept while the object lives: a ranking calls it for every score and bound
 * it computes (tens of thousands a targetFirms request at province scale, each through toPrecision), with the same
 * request's weights. Weights are read-only (TargetWeights), so an object's normal form cannot go stale.
 */
const normalised = new WeakMap<TargetWeights, TargetWeights>();

/**
 * The weights divided by the largest, so the largest is exactly 1 and the sum lies between 1 and 5. Summing the raw
 * weights instead goes wrong at the extremes: with `fit: 5e-324` alone, weight × factor underflows to 0 or back to
 * 5e-324, and every firm scored 0 or 100. Each ratio is rounded to 6 significant digits (far finer than a score's
 * 0.01), so weights that differ only by a common factor — whose quotients can differ in the last bit — give
 * bit-identical scores and rankings.
 * All-zero (or non-finite) weights give all zeros; the API refuses them before this.
 */
export function normaliseWeights(weights: TargetWeights): TargetWeights {
  const known = normalised.get(weights);
  if (known !== undefined) return known;
  const largest = Math.max(...weightValues(weights));
  const ratio = (value: number) =>
    largest > 0 && Number.isFinite(largest) && value > 0 ? Number((value / largest).toPrecision(6)) : 0;
  const normal: TargetWeights = Object.freeze({
    fit: ratio(weights.fit),
    capability: ratio(weights.capability),
    linkage: ratio(weights.linkage),
    proximity: ratio(weights.proximity),
    breadth: ratio(weights.breadth),
  });
  normalised.set(weights, normal);
  return normal;
}

/** The most points linkage can add to a score (with its factor at 1), for pruning before links are fetched. */
export function linkageBonus(weights: TargetWeights): number {
  const normal = normaliseWeights(weights);
  const total = weightValues(normal).reduce((sum, value) => sum + value, 0);
  return total > 0 ? (100 * normal.linkage) / total : 0;
}

/** Great-circle distance in km. */
export function haversineKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(b.lat - a.lat);
  const dLon = radians(b.lon - a.lon);
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

function fitFactor(
  candidate: CandidateFacts,
  gaps: ReadonlyMap<string, GapInScope>,
  explain: boolean,
): { value: number; explanation: string } {
  let best = 0;
  let bestText = explain ? 'operates in no gap segment' : '';
  for (const operation of candidate.operations) {
    const gap = gaps.get(operation.gapSegmentId);
    if (!gap) continue;
    const value = fitValue(operation.role === 'CORE', gap.score);
    if (value > best) {
      best = value;
      if (!explain) continue;
      const products =
        operation.mainProducts.length > 0 ? ` (${operation.mainProducts.slice(0, 3).join(', ')})` : '';
      bestText = `${operation.role.toLowerCase()} role in ${operation.segmentName}${products}, filling the gap in ${gap.name} (gap score ${gap.score})`;
    }
  }
  return { value: round(best), explanation: bestText };
}

/** Fit of one operation before rounding: a core role counts fully, any other half. */
export function fitValue(core: boolean, gapScore: number): number {
  const roleWeight = core ? 1 : 0.5;
  // A firm that fills a worse gap fits better: scale by the gap's score, with a floor so any gap counts.
  return roleWeight * (0.5 + 0.5 * (gapScore / 100));
}

function capabilityFactor(
  candidate: CandidateFacts,
  explain: boolean,
): { value: number; explanation: string } {
  const size = SIZE_VALUE[candidate.sizeBand] ?? 0.2;
  const platforms = Math.min(1, candidate.platformsHosted / 2);
  const value =
    0.4 * size + 0.25 * (candidate.leading ? 1 : 0) + 0.2 * (candidate.highTech ? 1 : 0) + 0.15 * platforms;
  if (!explain) return { value: round(value), explanation: '' };
  const parts = [
    `${candidate.sizeBand.toLowerCase()} size`,
    candidate.leading ? 'leading enterprise' : null,
    candidate.highTech ? 'high-tech' : null,
    candidate.platformsHosted > 0 ? `hosts ${candidate.platformsHosted} platform(s)` : null,
  ].filter(Boolean);
  return { value: round(value), explanation: parts.join(', ') };
}

/**
 * The linkage factor's values: the firm supplies a local firm, buys from one, or supplies an outside firm that
 * supplies one. A firm with no direct link to a local firm has at most INDIRECT (candidates.ts relies on this).
 */
export const LINKAGE_VALUE = { SUPPLIES_LOCAL: 1, BUYS_FROM_LOCAL: 0.7, INDIRECT: 0.4 } as const;

function linkageFactor(candidate: CandidateFacts): { value: number; explanation: string } {
  if (candidate.suppliesLocal.length > 0) {
    return {
      value: LINKAGE_VALUE.SUPPLIES_LOCAL,
      explanation: `already supplies ${candidate.suppliesLocal.length} local firm(s): ${candidate.suppliesLocal
        .map((link) => link.enterpriseName)
        .slice(0, 3)
        .join(', ')}`,
    };
  }
  if (candidate.buysFromLocal.length > 0) {
    return {
      value: LINKAGE_VALUE.BUYS_FROM_LOCAL,
      explanation: `buys from ${candidate.buysFromLocal.length} local firm(s): ${candidate.buysFromLocal
        .map((link) => link.enterpriseName)
        .slice(0, 3)
        .join(', ')}`,
    };
  }
  if (candidate.indirect.length > 0) {
    const first = candidate.indirect[0]!;
    return {
      value: LINKAGE_VALUE.INDIRECT,
      explanation: `supplies ${first.viaName}, which supplies local firm ${first.toName}`,
    };
  }
  return { value: 0, explanation: 'no supply link with local firms in the graph' };
}

/** The proximity factor's value for a firm placed so (distanceKm as CandidateFacts has it: rounded to 0.1 km). */
export function proximityValue(inPriorityRegion: boolean, distanceKm: number | null): number {
  const closeness = distanceKm === null ? 0 : Math.max(0, 1 - distanceKm / PROXIMITY_HORIZON_KM);
  return round(inPriorityRegion ? 0.6 + 0.4 * closeness : 0.6 * closeness);
}

function proximityFactor(candidate: CandidateFacts): { value: number; explanation: string } {
  const value = proximityValue(candidate.inPriorityRegion, candidate.distanceKm);
  const distance =
    candidate.distanceKm === null ? 'distance unknown' : `${Math.round(candidate.distanceKm)} km away`;
  return {
    value,
    explanation: `${candidate.inPriorityRegion ? 'in a priority region (Beijing–Tianjin–Hebei by default)' : 'outside the priority regions'}, ${distance}`,
  };
}

/** The breadth factor's value for a firm filling `fills` of `gapCount` gaps. */
export function breadthValue(fills: number, gapCount: number): number {
  return round(gapCount === 0 ? 0 : fills / gapCount);
}

function breadthFactor(
  fills: readonly string[],
  gaps: ReadonlyMap<string, GapInScope>,
): { value: number; explanation: string } {
  return {
    value: breadthValue(fills.length, gaps.size),
    explanation: `fills ${fills.length} of ${gaps.size} gap(s) in scope`,
  };
}

function evidenceOf(candidate: CandidateFacts, gaps: ReadonlyMap<string, GapInScope>): EvidencePath[] {
  const self = { kind: 'Enterprise', id: candidate.id, name: candidate.name };
  const evidence: EvidencePath[] = candidate.operations
    .filter((operation) => gaps.has(operation.gapSegmentId))
    .map((operation) => ({
      factor: 'FIT' as const,
      description: `${candidate.name} operates in ${operation.segmentName} as ${operation.role}${
        operation.mainProducts.length > 0 ? `, making ${operation.mainProducts.join(', ')}` : ''
      }`,
      nodes: [self, { kind: 'ChainSegment', id: operation.segmentId, name: operation.segmentName }],
      relationships: ['OPERATES_IN'],
    }));
  for (const link of candidate.suppliesLocal) {
    evidence.push({
      factor: 'LINKAGE',
      description: `${candidate.name} supplies local firm ${link.enterpriseName}${link.products.length > 0 ? ` with ${link.products.join(', ')}` : ''}`,
      nodes: [self, { kind: 'Enterprise', id: link.enterpriseId, name: link.enterpriseName }],
      relationships: ['SUPPLIES'],
    });
  }
  for (const link of candidate.buysFromLocal) {
    evidence.push({
      factor: 'LINKAGE',
      description: `local firm ${link.enterpriseName} supplies ${candidate.name}${link.products.length > 0 ? ` with ${link.products.join(', ')}` : ''}`,
      nodes: [{ kind: 'Enterprise', id: link.enterpriseId, name: link.enterpriseName }, self],
      relationships: ['SUPPLIES'],
    });
  }
  for (const link of candidate.indirect) {
    evidence.push({
      factor: 'LINKAGE',
      description: `${candidate.name} supplies ${link.viaName}, which supplies local firm ${link.toName}`,
      nodes: [
        self,
        { kind: 'Enterprise', id: link.viaId, name: link.viaName },
        { kind: 'Enterprise', id: link.toId, name: link.toName },
      ],
      relationships: ['SUPPLIES', 'SUPPLIES'],
    });
  }
  return evidence;
}

/**
 * 100 × Σ(weight × factor) / Σ(weight) rounded to 0.01, with the normalised weights, for factor values in the order
 * FIT, CAPABILITY, LINKAGE, PROXIMITY, BREADTH. The one place a score is computed: scoreCandidate and the bounds
 * below share it, so a bound computed from factor values at least as high is never below the exact score (sums
 * and products of non-negative doubles, and rounding, are monotone).
 */
export function weightedScore(values: readonly number[], normal: TargetWeights): number {
  const { weights, totalWeight } = weightVectorOf(normal);
  // Summed in factor order from 0, as a reduce would: the same bits whichever way it is written.
  let weighted = 0;
  for (let index = 0; index < weights.length; index += 1) weighted += weights[index]! * (values[index] ?? 0);
  return totalWeight > 0 ? round((100 * weighted) / totalWeight, 2) : 0;
}

/**
 * The weights of a normal form as a list in factor order, and their sum, kept while the object lives: weightedScore
 * runs for every score and bound a ranking computes (tens of thousands a targetFirms request at province scale), and
 * building both each time was most of its cost.
 */
const weightVectors = new WeakMap<TargetWeights, { weights: readonly number[]; totalWeight: number }>();

function weightVectorOf(normal: TargetWeights): { weights: readonly number[]; totalWeight: number } {
  const known = weightVectors.get(normal);
  if (known !== undefined) return known;
  const weights = weightValues(normal);
  const vector = { weights, totalWeight: weights.reduce((sum, weight) => sum + weight, 0) };
  weightVectors.set(normal, vector);
  return vector;
}

/** Scores one candidate against the gaps in scope. */
export function scoreCandidate(
  candidate: CandidateFacts,
  gaps: ReadonlyMap<string, GapInScope>,
  weights: TargetWeights,
  /**
   * False: the same score, factor values and fills, without the explanations and evidence (empty), for a ranking
   * that only compares scores (candidates.ts rescores hundreds of firms a round and explains the ten it returns).
   */
  explain = true,
): TargetRecommendation {
  const fills = [...new Set(candidate.operations.map((operation) => operation.gapSegmentId))]
    .filter((segmentId) => gaps.has(segmentId))
    .sort();
  const normal = normaliseWeights(weights);
  const computed: [TargetFactor, { value: number; explanation: string }, number, number][] = [
    ['FIT', fitFactor(candidate, gaps, explain), weights.fit, normal.fit],
    ['CAPABILITY', capabilityFactor(candidate, explain), weights.capability, normal.capability],
    ['LINKAGE', linkageFactor(candidate), weights.linkage, normal.linkage],
    ['PROXIMITY', proximityFactor(candidate), weights.proximity, normal.proximity],
    ['BREADTH', breadthFactor(fills, gaps), weights.breadth, normal.breadth],
  ];
  return {
    candidate,
    score: weightedScore(
      computed.map(([, factor]) => factor.value),
      normal,
    ),
    // Each factor reports the weight as the caller gave it.
    factors: computed.map(([name, factor, weight]) => ({
      name,
      value: factor.value,
      weight,
      explanation: factor.explanation,
    })),
    fills,
    evidence: explain ? evidenceOf(candidate, gaps) : [],
  };
}

/** Ranks candidates: best score first, ties by id. Candidates that fill no gap in scope are dropped. */
export function rankCandidates(
  candidates: readonly CandidateFacts[],
  gaps: ReadonlyMap<string, GapInScope>,
  weights: TargetWeights,
  /** False: scores only, no explanations or evidence (scoreCandidate). */
  explain = true,
): TargetRecommendation[] {
  return candidates
    .map((candidate) => scoreCandidate(candidate, gaps, weights, explain))
    .filter((recommendation) => recommendation.fills.length > 0)
    .sort(
      (a, b) =>
        b.score - a.score || (a.candidate.id < b.candidate.id ? -1 : a.candidate.id > b.candidate.id ? 1 : 0),
    );
}

/*
 * Bounds for ranking in the database (src/analytics/candidates.ts). A firm's capability is fixed by its own
 * properties and the platforms it hosts, so it is kept per firm as an integer key; the factors that depend on the
 * request (fit, proximity, breadth, linkage) are bounded from above here.
 */

/** The capability key's unit: the key is the rounded capability factor × 10,000, an exact integer. */
export const CAPABILITY_KEY_SCALE = 10_000;

const SIZE_KEY: Readonly<Record<string, number>> = { LARGE: 4000, MEDIUM: 2800, SMALL: 1600, MICRO: 800 };

/**
 * The capability factor × 10,000 as an integer (what the database stores, computed there with the same table):
 * size 800–4000, leading 2500, high-tech 2000, 750 per hosted platform up to two. Equal to
 * round(capability) × 10,000 for every combination (a unit test checks all of them); with every platform counted,
 * it bounds the capability under any `sources` filter, which can only count fewer.
 */
export function capabilityKey(firm: {
  readonly sizeBand: string;
  readonly leading: boolean;
  readonly highTech: boolean;
  readonly platformsHosted: number;
}): number {
  return (
    (SIZE_KEY[firm.sizeBand] ?? 800) +
    (firm.leading ? 2500 : 0) +
    (firm.highTech ? 2000 : 0) +
    750 * Math.min(2, Math.max(0, Math.floor(firm.platformsHosted)))
  );
}

/** Where a walk over one segment's firms (core roles first, then by capability key, descending) has got to. */
export interface WalkFrontier {
  /** The role of the last operation read was CORE. */
  readonly core: boolean;
  readonly capabilityKey: number;
}

export interface UnseenBoundInput {
  /** The score of the gap the walked segment fills. */
  readonly gapScore: number;
  /** The last operation read, or null before the first read. */
  readonly frontier: WalkFrontier | null;
  /** The highest proximity any outside firm can have (≤ 1). */
  readonly maxProximity: number;
  /** The highest breadth an unseen firm can have: gaps still being walked / gaps in scope (≤ 1). */
  readonly maxBreadth: number;
  /**
   * A walk over one role lane only (core roles, or the others, each ordered by capability): its unseen firms are of
   * that lane. Without it, the walk covers both lanes, core roles first.
   */
  readonly lane?: 'core' | 'other';
  /**
   * The highest linkage factor an unseen firm can have: 1 (SUPPLIES_LOCAL) unless every firm with a direct link to
   * the region has been read already, then INDIRECT.
   */
  readonly maxLinkage?: number;
}

/**
 * The highest score any firm not yet read from a segment's walk can have, linkage counted at `maxLinkage`. The
 * walk is ordered core roles first, then capability key descending: while it is among core roles, an unseen firm
 * is a core one with capability ≤ the frontier's or any non-core one; once past them, a non-core one with
 * capability ≤ the frontier's.
 */
export function unseenBound(input: UnseenBoundInput, weights: TargetWeights): number {
  const normal = normaliseWeights(weights);
  const frontier = input.frontier;
  if (input.lane !== undefined) {
    return boundScore(input, normal, input.lane === 'core', frontier?.capabilityKey ?? CAPABILITY_KEY_SCALE);
  }
  if (frontier === null) return boundScore(input, normal, true, CAPABILITY_KEY_SCALE);
  if (!frontier.core) return boundScore(input, normal, false, frontier.capabilityKey);
  return Math.max(
    boundScore(input, normal, true, frontier.capabilityKey),
    boundScore(input, normal, false, CAPABILITY_KEY_SCALE),
  );
}

/**
 * The score of an unseen firm with the given role and capability key and the input's other bounds. A module
 * function, not a closure in unseenBound: the service runs under tsx, which names every closure it creates
 * (esbuild's keepNames, an Object.defineProperty a call), and unseenBound runs thousands of times a targetFirms
 * request — that naming alone was 7 % of the request's CPU in Node at 200,000 firms.
 */
function boundScore(input: UnseenBoundInput, normal: TargetWeights, core: boolean, key: number): number {
  return weightedScore(
    [
      round(fitValue(core, input.gapScore)),
      key / CAPABILITY_KEY_SCALE,
      input.maxLinkage ?? LINKAGE_VALUE.SUPPLIES_LOCAL,
      input.maxProximity,
      input.maxBreadth,
    ],
    normal,
  );
}

/** A recommendation's score with its linkage factor set to `linkage` (1: the most its links could give). */
export function scoreWithLinkage(
  recommendation: TargetRecommendation,
  linkage: number,
  weights: TargetWeights,
): number {
  return weightedScore(
    recommendation.factors.map((factor) => (factor.name === 'LINKAGE' ? linkage : factor.value)),
    normaliseWeights(weights),
  );
}
