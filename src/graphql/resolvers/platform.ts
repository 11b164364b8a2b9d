import { platformConditions, platformReferences, regionFilter } from '../../data/filters.js';
import { readConnection, readNodeList } from '../../data/graph/queries.js';
import { selectionOf } from '../../data/graph/selection.js';
import { pageSize } from '../../data/graph/translate.js';
import type { Resolvers } from '../generated/resolvers.js';
import { limitsOf } from './support.js';

export const platformResolvers: Resolvers = {
  Query: {
    platforms: (_parent, { filter, first, after }, context, info) => {
      const limits = limitsOf(context);
      return readConnection(
        context.executor,
        {
          typeName: 'Platform',
          where: platformConditions(filter ?? {}),
          region: regionFilter(filter?.regionId, filter?.sources),
          references: platformReferences(filter ?? {}),
          sort: { field: 'NAME', direction: 'ASC', property: 'name' },
          first: pageSize(first, limits, { argument: 'first', fallback: 20 }),
          after,
          selection: selectionOf(info),
        },
        limits,
      );
    },
    demonstrationBases: (_parent, _args, context, info) =>
      readNodeList(
        context.executor,
        'DemonstrationBase',
        { orderBy: (node) => `${node}.status, ${node}.kind, ${node}.id` },
        selectionOf(info),
        limitsOf(context),
      ),
  },
};
