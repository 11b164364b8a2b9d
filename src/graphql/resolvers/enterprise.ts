import { requireRoleForField } from '../../auth.js';
import { enterpriseConditions, enterpriseReferences, regionFilter } from '../../data/filters.js';
import { readConnection, readNodeById, type Projection, type SortKey } from '../../data/graph/queries.js';
import { selectionOf } from '../../data/graph/selection.js';
import { pageSize } from '../../data/graph/translate.js';
import type { EnterpriseOrder, Resolvers } from '../generated/resolvers.js';
import { limitsOf } from './support.js';

function enterpriseSort(order: EnterpriseOrder | null | undefined): SortKey {
  const field = order?.field ?? 'NAME';
  const direction = order?.direction ?? 'ASC';
  return { field, direction, property: field === 'ID' ? 'id' : 'name' };
}

export const enterpriseResolvers: Resolvers = {
  Query: {
    enterprise: (_parent, { id }, context, info) =>
      readNodeById(context.executor, 'Enterprise', id, selectionOf(info), limitsOf(context)),
    enterprises: (_parent, { filter, orderBy, first, after }, context, info) => {
      const limits = limitsOf(context);
      return readConnection(
        context.executor,
        {
          typeName: 'Enterprise',
          where: enterpriseConditions(filter ?? {}),
          region: regionFilter(filter?.regionId, filter?.sources),
          references: enterpriseReferences(filter ?? {}),
          sort: enterpriseSort(orderBy),
          first: pageSize(first, limits, { argument: 'first', fallback: 20 }),
          after,
          selection: selectionOf(info),
        },
        limits,
      );
    },
  },
  Enterprise: {
    /*
     * Contact details are for authenticated callers only, decided twice: the translator does not even read them
     * from the graph for a caller without the viewer role (FieldSpec.requiresRole, so no alias or road can carry
     * them), and this resolver raises the field-level UNAUTHENTICATED error wherever an enterprise appears. It
     * refuses whether or not a contact is recorded, so an anonymous caller cannot even learn which firms have one.
     */
    contact: (parent, _args, context, info) => {
      requireRoleForField(context.caller, 'viewer', 'Reading contact details');
      return (parent[String(info.path.key)] as Projection | null | undefined) ?? null;
    },
  },
};
