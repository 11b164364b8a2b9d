import { readNodeById, readNodeList } from '../../data/graph/queries.js';
import { selectionOf } from '../../data/graph/selection.js';
import type { Resolvers } from '../generated/resolvers.js';
import { limitsOf } from './support.js';

export const chainResolvers: Resolvers = {
  Query: {
    chains: (_parent, { sources }, context, info) =>
      readNodeList(
        context.executor,
        'IndustrialChain',
        {
          where: (node, scope) =>
            sources && sources.length > 0 ? [`${node}.source IN ${scope.param(sources)}`] : [],
          orderBy: (node) => `${node}.id`,
        },
        selectionOf(info),
        limitsOf(context),
      ),
    chain: (_parent, { id }, context, info) =>
      readNodeById(context.executor, 'IndustrialChain', id, selectionOf(info), limitsOf(context)),
    segment: (_parent, { id }, context, info) =>
      readNodeById(context.executor, 'ChainSegment', id, selectionOf(info), limitsOf(context)),
  },
};
