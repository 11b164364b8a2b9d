import { FIRM_CONDITION_KINDS } from '../data/model.js';

/** A condition as stored (src/ingest/records.ts measureConditionSchema checks it on the way in). */
export interface MeasureCondition {
  readonly kind:
    | 'IN_SCOPE'
    | 'SEGMENT'
    | 'REGION'
    | 'OWNERSHIP'
    | 'LISTED'
    | 'FORTUNE_GLOBAL_500'
    | 'SIZE_BAND'
    | 'FOREIGN_CAPITAL_AT_LEAST'
    | 'PROJECT';
  readonly segmentIds?: readonly string[];
  readonly regionIds?: readonly string[];
  readonly ownership?: readonly string[];
  readonly sizeBands?: readonly string[];
  readonly usdMillion?: number;
  readonly text?: string;
  readonly textEn?: string;
}

/** One clause as stored: all its conditions, wording the given terms (1-based). */
export interface EligibilityClause {
  readonly terms: readonly number[];
  readonly conditions: readonly MeasureCondition[];
}

/**
 * Which of the plan's measures a target firm qualifies for, and why. Pure: the facts come from one statement
 * (facts.ts readIncentives) and the candidate walk (candidates.ts), read once per request.
 *
 * A measure lists clauses (any one suffices), each a set of conditions (all must hold). A condition on the firm is
 * MET or UNMET from the graph, or UNDECIDED when the graph does not know (ownership not published, Fortune Global
 * 500 not stated); a condition on a future project (its foreign capital, what kind of project it is) is always
 * UNDECIDED: the graph records firms, not investments they have not made. A clause is
 * - ELIGIBLE when every condition is MET;
 * - CONDITIONAL when none is UNMET, at least one condition on the firm is MET (the firm's qualifying condition), and
 *   the rest are UNDECIDED — offered on those terms, which the reasons name;
 * - not qualifying otherwise: a firm none of whose conditions on the firm are met never receives the measure, not
 *   even conditionally.
 * The measure takes its best clause (ELIGIBLE before CONDITIONAL, then the first in order). A measure that cannot be
 * offered at all (an internal one) is never listed; one that records no clause is read as the single clause
 * IN_SCOPE (every firm in its scope qualifies).
 */

export type ConditionState = 'MET' | 'UNMET' | 'UNDECIDED';
export type Eligibility = 'ELIGIBLE' | 'CONDITIONAL';

/** What the rule knows of a firm. */
export interface FirmForEligibility {
  /** The OWNERSHIP value, null when not published. */
  readonly ownership: string | null;
  /** Listed on a stock exchange (the listed flag, or a stock code). */
  readonly listed: boolean;
  /** True or false where a source says so; null when not known. */
  readonly fortuneGlobal500: boolean | null;
  readonly sizeBand: string;
  /** Its home region and every region above it. */
  readonly regionIds: readonly string[];
  /** The segments it operates in within the request's scope, and the gap segments they belong to. */
  readonly segmentIds: readonly string[];
}

/** What the rule knows of a measure. */
export interface MeasureForEligibility {
  readonly id: string;
  readonly offerable: boolean;
  /** It applies to the request's chains (directly or through their industries): every candidate is in scope. */
  readonly wholeScope: boolean;
  /** Otherwise, the segments it names (every candidate in one of them is in scope). */
  readonly scopeSegmentIds: readonly string[];
  readonly clauses: readonly EligibilityClause[];
}

export interface EligibilityReason {
  readonly condition: MeasureCondition['kind'];
  readonly state: Exclude<ConditionState, 'UNMET'>;
  readonly text: string;
  readonly textZh: string;
}

/** One clause the firm qualifies through. */
export interface QualifyingClause {
  readonly eligibility: Eligibility;
  readonly terms: readonly number[];
  readonly reasons: readonly EligibilityReason[];
}

export interface EligibleIncentive {
  /** Every clause the firm qualifies through, in the measure's order (the best one is also given above). */
  readonly clauses: readonly QualifyingClause[];
  readonly measureId: string;
  readonly eligibility: Eligibility;
  /** The terms of the measure the qualifying clause words (1-based). */
  readonly terms: readonly number[];
  readonly reasons: readonly EligibilityReason[];
}

const SCOPE_ONLY: readonly EligibilityClause[] = [{ terms: [], conditions: [{ kind: 'IN_SCOPE' }] }];

const OWNERSHIP_ZH: Readonly<Record<string, string>> = {
  CENTRAL_SOE: '中央国企',
  LOCAL_SOE: '地方国企',
  PRIVATE: '民营企业',
  FOREIGN: '外资企业',
  COLLECTIVE: '集体企业',
  UNIVERSITY: '校办企业',
  NO_CONTROLLER: '无实际控制人',
};

/** Whether the condition holds for the firm, with the words that say so. */
export function evaluateCondition(
  condition: MeasureCondition,
  firm: FirmForEligibility,
  measure: Pick<MeasureForEligibility, 'wholeScope' | 'scopeSegmentIds'>,
): { state: ConditionState; text: string; textZh: string } {
  // The plan's own words for the condition, where recorded, follow the rule's (which say whether it is decided).
  const worded = (state: ConditionState, text: string, textZh: string) => ({
    state,
    text: condition.text === undefined ? text : `${text} (${condition.textEn ?? condition.text})`,
    textZh: condition.text === undefined ? textZh : `${textZh}（${condition.text}）`,
  });
  switch (condition.kind) {
    case 'IN_SCOPE': {
      const met =
        measure.wholeScope ||
        firm.segmentIds.some((segmentId) => measure.scopeSegmentIds.includes(segmentId));
      return {
        state: met ? 'MET' : 'UNMET',
        text: 'operates in a chain or segment the measure applies to',
        textZh: '在该措施适用的产业链或环节经营',
      };
    }
    case 'SEGMENT': {
      const met = firm.segmentIds.some((segmentId) => condition.segmentIds?.includes(segmentId));
      return worded(
        met ? 'MET' : 'UNMET',
        `operates in ${condition.segmentIds?.join(', ')}`,
        `在 ${condition.segmentIds?.join('、')} 环节经营`,
      );
    }
    case 'REGION': {
      const met = firm.regionIds.some((regionId) => condition.regionIds?.includes(regionId));
      return worded(
        met ? 'MET' : 'UNMET',
        `located in ${condition.regionIds?.join(', ')}`,
        `位于 ${condition.regionIds?.join('、')}`,
      );
    }
    case 'OWNERSHIP': {
      const wanted: readonly string[] = condition.ownership ?? [];
      const state: ConditionState =
        firm.ownership === null ? 'UNDECIDED' : wanted.includes(firm.ownership) ? 'MET' : 'UNMET';
      const names = wanted.map((value) => OWNERSHIP_ZH[value] ?? value);
      return worded(
        state,
        state === 'UNDECIDED'
          ? `if its ownership is ${wanted.join(' or ')} (not published for this firm)`
          : `ownership ${wanted.join(' or ')}`,
        state === 'UNDECIDED' ? `若为${names.join('或')}（企业性质未公开）` : `企业性质为${names.join('或')}`,
      );
    }
    case 'LISTED':
      return worded(firm.listed ? 'MET' : 'UNMET', 'listed on a stock exchange', '上市企业');
    case 'FORTUNE_GLOBAL_500': {
      const state: ConditionState =
        firm.fortuneGlobal500 === null ? 'UNDECIDED' : firm.fortuneGlobal500 ? 'MET' : 'UNMET';
      return worded(
        state,
        state === 'UNDECIDED'
          ? 'if it is a Fortune Global 500 company (not recorded for this firm)'
          : 'a Fortune Global 500 company',
        state === 'UNDECIDED' ? '若为世界500强（未记录）' : '世界500强企业',
      );
    }
    case 'SIZE_BAND': {
      const wanted: readonly string[] = condition.sizeBands ?? [];
      const state: ConditionState =
        firm.sizeBand === 'UNKNOWN' ? 'UNDECIDED' : wanted.includes(firm.sizeBand) ? 'MET' : 'UNMET';
      return worded(
        state,
        state === 'UNDECIDED'
          ? `if its size is ${wanted.join(' or ')} (size not known)`
          : `size ${wanted.join(' or ')}`,
        state === 'UNDECIDED' ? `若规模为${wanted.join('或')}（规模未知）` : `规模为${wanted.join('或')}`,
      );
    }
    case 'FOREIGN_CAPITAL_AT_LEAST': {
      const usd = condition.usdMillion ?? 0;
      return worded(
        'UNDECIDED',
        `if the project brings at least USD ${usd} million of foreign capital actually in place in the year (a future investment: not in the data)`,
        `若项目当年实际到位外资不少于${usd * 100}万美元（未来投资，数据无法判断）`,
      );
    }
    case 'PROJECT':
      // The schema requires the text of a PROJECT condition: it is the only description there is.
      return {
        state: 'UNDECIDED',
        text: condition.textEn ?? condition.text ?? '',
        textZh: condition.text ?? '',
      };
  }
}

/** How one clause stands for the firm, or null when it does not qualify. */
function clauseEligibility(
  clause: EligibilityClause,
  firm: FirmForEligibility,
  measure: MeasureForEligibility,
): { eligibility: Eligibility; reasons: EligibilityReason[] } | null {
  const evaluated = clause.conditions.map((condition) => ({
    condition,
    ...evaluateCondition(condition, firm, measure),
  }));
  if (evaluated.some((entry) => entry.state === 'UNMET')) return null;
  const qualifying = evaluated.some(
    (entry) => entry.state === 'MET' && FIRM_CONDITION_KINDS.has(entry.condition.kind),
  );
  if (!qualifying) return null;
  return {
    eligibility: evaluated.every((entry) => entry.state === 'MET') ? 'ELIGIBLE' : 'CONDITIONAL',
    reasons: evaluated.map((entry) => ({
      condition: entry.condition.kind,
      state: entry.state as Exclude<ConditionState, 'UNMET'>,
      text: entry.text,
      textZh: entry.textZh,
    })),
  };
}

/** The measure as the firm qualifies for it (its best clause), or null when it does not (or cannot be offered). */
export function incentiveFor(
  measure: MeasureForEligibility,
  firm: FirmForEligibility,
): EligibleIncentive | null {
  if (!measure.offerable) return null;
  // Whatever its clauses ask, a measure goes only to firms in its scope (a measure naming a segment is not offered
  // to a firm that fills another gap of the chain).
  if (!measure.wholeScope && !firm.segmentIds.some((id) => measure.scopeSegmentIds.includes(id))) return null;
  const qualifying: QualifyingClause[] = [];
  for (const clause of measure.clauses.length > 0 ? measure.clauses : SCOPE_ONLY) {
    const result = clauseEligibility(clause, firm, measure);
    if (result !== null) qualifying.push({ terms: clause.terms, ...result });
  }
  const best = qualifying.find((clause) => clause.eligibility === 'ELIGIBLE') ?? qualifying[0];
  return best === undefined ? null : { measureId: measure.id, ...best, clauses: qualifying };
}

/** The measures the firm qualifies for, in the measures' order. */
export function incentivesFor(
  measures: readonly MeasureForEligibility[],
  firm: FirmForEligibility,
): EligibleIncentive[] {
  return measures.flatMap((measure) => incentiveFor(measure, firm) ?? []);
}

/** The measures as read (facts.ts readIncentives), their stored clauses parsed once per request. */
export function measuresForEligibility(
  facts: readonly {
    id: string;
    offerable: boolean;
    wholeScope: boolean;
    scopeSegmentIds: readonly string[];
    eligibilityJson: string;
  }[],
): MeasureForEligibility[] {
  return facts.map(({ eligibilityJson, ...measure }) => ({
    ...measure,
    clauses: JSON.parse(eligibilityJson) as EligibilityClause[],
  }));
}

/** What the rule knows of a ranked firm: its profile and the segments it operates in (with their gaps). */
export function firmForEligibility(
  profile: Omit<FirmForEligibility, 'segmentIds'>,
  operations: readonly { segmentId: string; gapSegmentId: string }[],
): FirmForEligibility {
  return {
    ownership: profile.ownership,
    listed: profile.listed,
    fortuneGlobal500: profile.fortuneGlobal500,
    sizeBand: profile.sizeBand,
    regionIds: profile.regionIds,
    segmentIds: [
      ...new Set(operations.flatMap((operation) => [operation.segmentId, operation.gapSegmentId])),
    ],
  };
}
