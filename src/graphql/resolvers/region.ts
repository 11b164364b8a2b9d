import { MAX_REGION_DEPTH } from '../../data/graph/spec.js';
import { readNodeById, readNodeList } from '../../data/graph/queries.js';
import { selectionOf } from '../../data/graph/selection.js';
import { RelationshipType as T } from '../../data/model.js';
import type { Resolvers } from '../generated/resolvers.js';
import { limitsOf } from './support.js';

export const regionResolvers: Resolvers = {
  Query: {
    region: (_parent, { id }, context, info) =>
      readNodeById(context.executor, 'Region', id, selectionOf(info), limitsOf(context)),
    regions: (_parent, { level, within }, context, info) =>
      readNodeList(
        context.executor,
        'Region',
        {
          where: (node, scope) => [
            ...(level ? [`${node}.level = ${scope.param(level)}`] : []),
            ...(within
              ? [
                  `EXISTS { (${node})-[:${T.PART_OF}*1..${MAX_REGION_DEPTH}]->(:Region { id: ${scope.param(within)} }) }`,
                ]
              : []),
          ],
          references: within ? [{ argument: 'within', typeName: 'Region', id: within }] : [],
        },
        selectionOf(info),
        limitsOf(context),
      ),
  },
};
