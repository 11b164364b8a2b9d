import {
  chainGapReport,
  compareRegions,
  impactOfLosing,
  targetFirms,
  type AnalyticsContext,
} from '../../analytics/reports.js';
import { selectionOf } from '../../data/graph/selection.js';
import type { GraphQLContext } from '../context.js';
import type { Resolvers } from '../generated/resolvers.js';
import { limitsOf } from './support.js';

function analyticsContext(context: GraphQLContext): AnalyticsContext {
  return {
    executor: context.executor,
    limits: limitsOf(context),
    priorityRegionIds: context.config.priorityRegionIds,
    targetScanLimit: context.config.targetScanLimit,
  };
}

/** The chain analytics: each root field is a few statements (facts, then node projections), never one per row. */
export const analyticsResolvers: Resolvers = {
  Query: {
    chainGaps: (_parent, args, context, info) =>
      chainGapReport(analyticsContext(context), args, selectionOf(info)),
    compareRegions: (_parent, args, context, info) =>
      compareRegions(analyticsContext(context), args, selectionOf(info)),
    targetFirms: (_parent, args, context, info) =>
      targetFirms(analyticsContext(context), args, selectionOf(info)),
    impactOfLosing: (_parent, args, context, info) =>
      impactOfLosing(analyticsContext(context), args, selectionOf(info)),
  },
};
