import {
  DEFAULT_STRONG_LOCATION_QUOTIENT,
  isScaleStrong,
  scaleStrengthReason,
  type LocationQuotientBasis,
} from './scale.js';

/**
 * Chain-gap classification (补链 · 强链): pure functions from the facts the graph gives about a segment in a region
 * to a status, a score and reasons. Nothing here touches the database, so the rules are explainable and tested on
 * their own (including by property-based tests).
 */

export type GapStatus = 'MISSING' | 'UNKNOWN' | 'DEPENDENT' | 'WEAK' | 'COVERED';
/** How complete a region's firm data is (see src/analytics/basis.ts); the same words as the record model's. */
export type DataCompleteness = 'CENSUS' | 'LISTED_ONLY' | 'PARTIAL';
export type Stage = 'UPSTREAM' | 'MIDSTREAM' | 'DOWNSTREAM';
export type SegmentKind = 'PRODUCT' | 'SERVICE';

/**
 * Worst first; a lower rank is a worse status. UNKNOWN (no recorded firm where the data is not a census) sits just
 * below MISSING: it may be a break, it is not a confirmed one, and it is worse than any segment known to have a
 * local firm — so recording a firm never makes a status worse.
 */
export const STATUS_RANK: Readonly<Record<GapStatus, number>> = {
  MISSING: 0,
  UNKNOWN: 1,
  DEPENDENT: 2,
  WEAK: 3,
  COVERED: 4,
};
/**
 * Severity of UNKNOWN: between MISSING (1) and the most DEPENDENT can reach (0.7), so an unverified absence ranks
 * below a confirmed break and above every segment with a recorded local firm (a planner should verify it first), and
 * recording a firm never raises a segment's score.
 */
export const UNKNOWN_SEVERITY = 0.8;
export const STAGES: readonly Stage[] = ['UPSTREAM', 'MIDSTREAM', 'DOWNSTREAM'];

export interface GapThresholds {
  readonly minEnterprises: number;
  readonly minLeading: number;
  readonly minPlatforms: number;
  readonly maxOutsideSupplyShare: number;
  /** A segment with a location quotient at least this (and a local firm) is not a gap for its firm count (scale.ts). */
  readonly strongLocationQuotient: number;
}

export const DEFAULT_THRESHOLDS: GapThresholds = {
  minEnterprises: 3,
  minLeading: 1,
  minPlatforms: 1,
  maxOutsideSupplyShare: 0.5,
  strongLocationQuotient: DEFAULT_STRONG_LOCATION_QUOTIENT,
};

/** What the graph says about one segment of a chain in one region (sub-regions included). */
export interface SegmentFacts {
  readonly segmentId: string;
  readonly name: string;
  readonly nameEn: string | null;
  readonly stage: Stage;
  /** A SERVICE segment's downstream reach is no dependence (absent: PRODUCT). */
  readonly kind?: SegmentKind;
  /** Local enterprises operating in the segment or its narrower segments, each counted once. */
  readonly localEnterpriseCount: number;
  readonly leadingCount: number;
  readonly highTechCount: number;
  readonly platformCount: number;
  /** Supply edges for the segment's products into local firms of the segments it feeds, from local suppliers. */
  readonly localSupplyEdges: number;
  /** The same, from suppliers outside the region. */
  readonly outsideSupplyEdges: number;
  /** Segments of the same chain reachable downstream. */
  readonly downstreamInChain: number;
  /** Segments of any chain reachable downstream. */
  readonly downstreamAll: number;
  /** Number of segments in the chain (for criticality). */
  readonly chainSize: number;
  /** The segment's location quotient in the region (scale.ts); absent or null when there is none. */
  readonly locationQuotient?: number | null;
  readonly locationQuotientBasis?: LocationQuotientBasis | null;
  /** The segment whose quotient it is: the segment itself, or a broader one when its own basis is too thin. */
  readonly locationQuotientSegmentId?: string | null;
  /** That broader segment's name, when the quotient is a broader segment's (for the reason's words). */
  readonly locationQuotientSegmentName?: string | null;
}

export type GapReasonCode =
  | 'NO_LOCAL_ENTERPRISE'
  | 'NO_RECORDED_ENTERPRISE'
  | 'SINGLE_LOCAL_ENTERPRISE'
  | 'SUPPLIED_FROM_OUTSIDE'
  | 'FEW_ENTERPRISES'
  | 'NO_LEADING_ENTERPRISE'
  | 'NO_PLATFORM'
  | 'DOWNSTREAM_DEPENDENCE'
  | 'SCALE_STRENGTH';

export interface GapReason {
  readonly code: GapReasonCode;
  readonly text: string;
  readonly textZh: string;
}

export interface GapAssessment {
  readonly facts: SegmentFacts;
  readonly status: GapStatus;
  readonly severity: number;
  readonly criticality: number;
  readonly score: number;
  readonly reasons: GapReason[];
}

/** Thresholds as the API receives them: any may be missing or null. */
export type ThresholdsInput = { readonly [K in keyof GapThresholds]?: GapThresholds[K] | null };

export function withDefaults(thresholds: ThresholdsInput | null | undefined): GapThresholds {
  const merged = { ...DEFAULT_THRESHOLDS };
  for (const key of Object.keys(DEFAULT_THRESHOLDS) as (keyof GapThresholds)[]) {
    const value = thresholds?.[key];
    if (value !== undefined && value !== null) merged[key] = value;
  }
  return merged;
}

/** Outside supply as a share of all supply edges for the segment's products into local downstream firms. */
export function outsideSupplyShare(facts: SegmentFacts): number {
  const total = facts.localSupplyEdges + facts.outsideSupplyEdges;
  return total === 0 ? 0 : facts.outsideSupplyEdges / total;
}

/** Share of the chain's other segments reachable downstream (0–1). */
export function criticalityOf(facts: SegmentFacts): number {
  if (facts.kind === 'SERVICE') return 0;
  const others = facts.chainSize - 1;
  return others <= 0 ? 0 : Math.min(1, facts.downstreamInChain / others);
}

const round = (value: number, digits = 4) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Why "no recorded firm" is not "no firm" under a basis that is not a census. */
const NOT_PROOF: Readonly<Record<Exclude<DataCompleteness, 'CENSUS'>, { en: string; zh: string }>> = {
  LISTED_ONLY: {
    en: 'the region’s firm data holds listed companies only, so unlisted firms in it are not known',
    zh: '本地区企业数据仅含上市公司，未上市企业未被收录',
  },
  PARTIAL: {
    en: 'the region’s firm data is partial (a curated list, not a registry of every firm)',
    zh: '本地区企业数据不完整（仅为整理名单，非全量企业登记）',
  },
};

/**
 * Status, severity, criticality, score and reasons of one segment. `completeness` is the region's firm-data basis:
 * only under CENSUS is a segment with no recorded local firm MISSING (断链); otherwise it is UNKNOWN. Absent: PARTIAL,
 * as for a region that declares nothing.
 */
export function assessSegment(
  facts: SegmentFacts,
  thresholds: GapThresholds,
  completeness: DataCompleteness = 'PARTIAL',
): GapAssessment {
  const local = facts.localEnterpriseCount;
  const share = outsideSupplyShare(facts);
  const name = facts.name;
  const reasons: GapReason[] = [];
  let status: GapStatus;
  let severity: number;
  // A nationally strong segment (scale.ts) is not DEPENDENT or WEAK for its number of firms: the count-based reasons
  // give way to SCALE_STRENGTH; outside supply, leading firms and platforms are judged as for any segment.
  const strong = isScaleStrong(local, facts.locationQuotient, thresholds.strongLocationQuotient);
  const countExcused = strong && (local === 1 || local < thresholds.minEnterprises);

  if (local === 0 && completeness === 'CENSUS') {
    status = 'MISSING';
    severity = 1;
    reasons.push({
      code: 'NO_LOCAL_ENTERPRISE',
      text: `no local enterprise in ${name}`,
      textZh: `本地无企业布局${name}环节（断链）`,
    });
  } else if (local === 0) {
    status = 'UNKNOWN';
    severity = UNKNOWN_SEVERITY;
    const why = NOT_PROOF[completeness as Exclude<DataCompleteness, 'CENSUS'>];
    reasons.push({
      code: 'NO_RECORDED_ENTERPRISE',
      text: `no recorded enterprise in ${name}; not proof of absence: ${why.en} — verify before treating it as a broken link`,
      textZh: `${name}环节暂无已收录的本地企业，不能据此认定断链：${why.zh}，需核实`,
    });
  } else {
    const suppliedFromOutside = facts.outsideSupplyEdges > 0 && share > thresholds.maxOutsideSupplyShare;
    if ((local === 1 && !strong) || suppliedFromOutside) {
      status = 'DEPENDENT';
      // 0.6–0.7: more outside supply makes the dependence worse.
      severity = 0.6 + 0.1 * share;
      if (local === 1 && !strong) {
        reasons.push({
          code: 'SINGLE_LOCAL_ENTERPRISE',
          text: `a single local enterprise carries ${name}`,
          textZh: `${name}环节仅有1家本地企业`,
        });
      }
      if (suppliedFromOutside) {
        const percent = Math.round(share * 100);
        reasons.push({
          code: 'SUPPLIED_FROM_OUTSIDE',
          text: `local downstream firms buy ${percent}% of their ${name} supply from outside the region (${facts.outsideSupplyEdges} of ${facts.localSupplyEdges + facts.outsideSupplyEdges} supply links)`,
          textZh: `本地下游企业的${name}供应${percent}%来自外地（${facts.outsideSupplyEdges}/${facts.localSupplyEdges + facts.outsideSupplyEdges}条供应关系）`,
        });
      }
    } else {
      const shortfalls = [
        thresholds.minEnterprises > 0 && !strong ? Math.max(0, 1 - local / thresholds.minEnterprises) : 0,
        thresholds.minLeading > 0 ? Math.max(0, 1 - facts.leadingCount / thresholds.minLeading) : 0,
        thresholds.minPlatforms > 0 ? Math.max(0, 1 - facts.platformCount / thresholds.minPlatforms) : 0,
      ];
      if (local < thresholds.minEnterprises && !strong) {
        reasons.push({
          code: 'FEW_ENTERPRISES',
          text: `only ${local} local enterprises in ${name} (threshold ${thresholds.minEnterprises})`,
          textZh: `${name}环节本地企业仅${local}家（标准${thresholds.minEnterprises}家）`,
        });
      }
      if (facts.leadingCount < thresholds.minLeading) {
        reasons.push({
          code: 'NO_LEADING_ENTERPRISE',
          text: `${facts.leadingCount} local leading enterprises in ${name} (threshold ${thresholds.minLeading})`,
          textZh: `${name}环节本地龙头企业${facts.leadingCount}家（标准${thresholds.minLeading}家）`,
        });
      }
      if (facts.platformCount < thresholds.minPlatforms) {
        reasons.push({
          code: 'NO_PLATFORM',
          text: `${facts.platformCount} local platforms support ${name} (threshold ${thresholds.minPlatforms})`,
          textZh: `${name}环节本地创新平台${facts.platformCount}个（标准${thresholds.minPlatforms}个）`,
        });
      }
      if (reasons.length > 0) {
        status = 'WEAK';
        // 0.2–0.4: further below the thresholds is worse.
        severity = 0.2 + (0.2 * shortfalls.reduce((sum, value) => sum + value, 0)) / shortfalls.length;
      } else {
        status = 'COVERED';
        severity = 0;
      }
    }
  }

  if (countExcused) {
    reasons.push(
      scaleStrengthReason(
        name,
        local,
        facts.locationQuotient!,
        facts.locationQuotientBasis,
        thresholds.strongLocationQuotient,
        facts.locationQuotientSegmentName ?? null,
      ),
    );
  }

  const criticality = criticalityOf(facts);
  if (status !== 'COVERED' && facts.downstreamInChain > 0 && facts.kind !== 'SERVICE') {
    reasons.push({
      code: 'DOWNSTREAM_DEPENDENCE',
      text: `${facts.downstreamInChain} downstream segments of the chain depend on it${
        facts.downstreamAll > facts.downstreamInChain ? ` (${facts.downstreamAll} across all chains)` : ''
      }`,
      textZh: `本产业链下游${facts.downstreamInChain}个环节依赖该环节${
        facts.downstreamAll > facts.downstreamInChain ? `（跨链共${facts.downstreamAll}个）` : ''
      }`,
    });
  }
  const score = round(100 * severity * (0.5 + 0.5 * criticality), 2);
  return { facts, status, severity: round(severity), criticality: round(criticality), score, reasons };
}

/** Worst first: by score, then by status, then by segment id (deterministic). */
export function compareAssessments(a: GapAssessment, b: GapAssessment): number {
  return (
    b.score - a.score ||
    STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
    (a.facts.segmentId < b.facts.segmentId ? -1 : a.facts.segmentId > b.facts.segmentId ? 1 : 0)
  );
}

export interface CoverageSummary {
  readonly segments: number;
  readonly covered: number;
  readonly weak: number;
  readonly dependent: number;
  readonly missing: number;
  readonly unknown: number;
  /** Share of segments with at least one local firm. */
  readonly presenceRatio: number;
  /** Share of segments COVERED. */
  readonly coveredRatio: number;
  /** Deprecated: the same as presenceRatio. */
  readonly coverageRatio: number;
}

export function summarise(assessments: readonly GapAssessment[]): CoverageSummary {
  const count = (status: GapStatus) =>
    assessments.filter((assessment) => assessment.status === status).length;
  const segments = assessments.length;
  const present = assessments.filter((assessment) => assessment.facts.localEnterpriseCount > 0).length;
  const presenceRatio = segments === 0 ? 0 : round(present / segments);
  return {
    segments,
    covered: count('COVERED'),
    weak: count('WEAK'),
    dependent: count('DEPENDENT'),
    missing: count('MISSING'),
    unknown: count('UNKNOWN'),
    presenceRatio,
    coveredRatio: segments === 0 ? 0 : round(count('COVERED') / segments),
    coverageRatio: presenceRatio,
  };
}

export function summariseByStage(
  assessments: readonly GapAssessment[],
): { stage: Stage; summary: CoverageSummary }[] {
  return STAGES.map((stage) => ({
    stage,
    summary: summarise(assessments.filter((assessment) => assessment.facts.stage === stage)),
  }));
}
