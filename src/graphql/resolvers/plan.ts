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
 */
export function targetMet(
  count: number,
  comparator: string,
  value: number,
  valueMax: number | null,
): boolean {
  switch (comparator) {
    case 'AT_LEAST':
      return count >= value;
    case 'RANGE':
      return count >= value && (valueMax === null || count <= valueMax);
    default:
      return count === value;
  }
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
      ),
    basis: (progress) => {
      const sources = (progress['sources'] as string[]).join(' and ');
      return `${String(progress['metric'])} counted in region '${String(progress['regionId'])}' and its sub-regions, over ${sources} facts only`;
    },
  },
};
