import type { GraphQLResolveInfo } from 'graphql';

import {
  chainGapReport,
  compareRegions,
  DEFAULT_LOCAL_ENTERPRISES,
  DEFAULT_LOSS_PAGE,
  impactOfLosing,
  targetFirms,
  type AnalyticsContext,
} from '../../analytics/reports.js';
import { chainResilience } from '../../analytics/resilience.js';
import { resolveNodeRefs } from '../../data/graph/hydrate.js';
import { selectionOf } from '../../data/graph/selection.js';
import type { GraphQLContext } from '../context.js';
import type { Resolvers } from '../generated/resolvers.js';
import { limitsOf, pathBelowRoot } from './support.js';

function analyticsContext(context: GraphQLContext): AnalyticsContext {
  return {
    executor: context.executor,
    limits: limitsOf(context),
    priorityRegionIds: context.config.priorityRegionIds,
    refresher: context.refresher,
    maxScenarioFirms: context.config.aggregates.maxScenarioFirms,
    targetScanLimit: context.config.targetScanLimit,
    targetLinkLimit: context.config.targetLinkLimit,
    targetLinkFirmsLimit: context.config.targetLinkFirmsLimit,
  };
}

/** The first `first` of a report's node references, as projected at this field's path. */
function pageOfNodes<T>(nodes: readonly T[], first: number, info: GraphQLResolveInfo): T[] {
  return resolveNodeRefs(nodes.slice(0, Math.max(0, first)), pathBelowRoot(info)) as T[];
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
    chainResilience: (_parent, args, context, info) =>
      chainResilience(
        { ...analyticsContext(context), maxResilienceLinks: context.config.aggregates.maxResilienceLinks },
        args,
        selectionOf(info),
      ),
  },
  ChainGap: {
    // The report fetched as many local firms as the largest `first` selected; each alias keeps its own page.
    localEnterprises: (parent, args, _context, info) =>
      pageOfNodes(parent.localEnterprises, args.first ?? DEFAULT_LOCAL_ENTERPRISES, info),
  },
  // The report listed as many as the largest `first` selected; each alias keeps its own page.
  LossImpact: {
    firmsLosingLocalSupply: (parent, args) =>
      parent.firmsLosingLocalSupply.slice(0, Math.max(0, args.first ?? DEFAULT_LOSS_PAGE)),
  },
  SupplyLoss: {
    lostSuppliers: (parent, args, _context, info) =>
      pageOfNodes(parent.lostSuppliers, args.first ?? DEFAULT_LOSS_PAGE, info),
  },
};
