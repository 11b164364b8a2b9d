import { readNodeList } from '../../data/graph/queries.js';
import { selectionOf } from '../../data/graph/selection.js';
import type { EligibilityClause, PolicyTerm, Quantity, Resolvers } from '../generated/resolvers.js';
import { limitsOf, parsedJson } from './support.js';

const PERIOD_STORED: Record<string, string> = {
  PER_YEAR: 'PER_YEAR',
  BY_2020: 'BY_2020',
  Y2018_2020: '2018_2020',
};

/**
 * Whether a count meets a target under its comparator, as TargetProgress.met describes it: AT_LEAST is `count ≥ value`,
 * EXACTLY is `count = value`, RANGE is `value ≤ count ≤ valueMax` (both ends inclusive; a plan's "2–3 firms" is not
 * met by 4). A RANGE without an upper bound (the seed schema refuses one) is read as AT_LEAST rather than never met.
 *
 * When the count's basis is not complete (the region's firm data is not a census), the count can only be an undercount:
 * the answer is given only where an undercount already decides it — an AT_LEAST target the partial count reaches is met,
 * a count already above an EXACTLY value or a RANGE is not — and is null (unknown) otherwise.
 */
export function targetMet(
  count: number,
  comparator: string,
  value: number,
  valueMax: number | null,
  complete = true,
): boolean | null {
  // The most the count may be for the target to be met; null when there is no upper bound.
  const upper = comparator === 'AT_LEAST' ? null : comparator === 'RANGE' ? valueMax : value;
  // Above the upper bound is decided either way: a fuller count could only be higher still.
  if (upper !== null && count > upper) return false;
  const withinBounds = count >= value;
  if (complete) return withinBounds;
  // An undercount that already reaches an open-ended target decides it; anything else could change with more data.
  return withinBounds && upper === null ? true : null;
}

/** Programmes, policies and targets: what the plan itself says. */
export const planResolvers: Resolvers = {
  Query: {
    programmes: (_parent, _args, context, info) =>
      readNodeList(
        context.executor,
        'Programme',
        { orderBy: (node) => `${node}.number, ${node}.id` },
        selectionOf(info),
        limitsOf(context),
      ),
    policies: (_parent, _args, context, info) =>
      readNodeList(
        context.executor,
        'Policy',
        { orderBy: (node) => `${node}.id` },
        selectionOf(info),
        limitsOf(context),
      ),
    targets: (_parent, { period, countable }, context, info) =>
      readNodeList(
        context.executor,
        'Target',
        {
          where: (node, scope) => [
            ...(period ? [`${node}.period = ${scope.param(PERIOD_STORED[period])}`] : []),
            ...(countable === true ? [`${node}.metric IS NOT NULL`] : []),
            ...(countable === false ? [`${node}.metric IS NULL`] : []),
          ],
          orderBy: (node) => `${node}.id`,
        },
        selectionOf(info),
        limitsOf(context),
      ),
  },
  Programme: {
    quantities: (parent, _args, _context, info) => parsedJson<Quantity[]>(parent, info.path.key),
  },
  PolicyMeasure: {
    terms: (parent, _args, _context, info) => parsedJson<PolicyTerm[]>(parent, info.path.key),
    eligibility: (parent, _args, _context, info) => parsedJson<EligibilityClause[]>(parent, info.path.key),
  },
  TargetProgress: {
    // Projected once per response key (see Target.current in src/data/graph/spec.ts).
    region: (progress, _args, _context, info) =>
      ((progress['regions'] as Record<string, unknown> | null | undefined)?.[String(info.path.key)] as
        Record<string, unknown> | undefined) ?? null,
    ratio: (progress) => {
      const target = Number(progress['target']);
      return target > 0 ? Number(progress['value']) / target : 1;
    },
    met: (progress) =>
      targetMet(
        Number(progress['value']),
        String(progress['comparator']),
        Number(progress['target']),
        progress['targetMax'] === null || progress['targetMax'] === undefined
          ? null
          : Number(progress['targetMax']),
        progress['completeness'] === 'CENSUS',
      ),
    basis: (progress) => {
      const sources = (progress['sources'] as string[]).join(' and ');
      return `${String(progress['metric'])} counted in region '${String(progress['regionId'])}' and its sub-regions, over ${sources} facts only`;
    },
  },
};
