import { pageSize } from '../../data/graph/translate.js';
import { search } from '../../data/search.js';
import type { Resolvers } from '../generated/resolvers.js';
import { limitsOf } from './support.js';

export const searchResolvers: Resolvers = {
  Query: {
    search: (_parent, { text, kinds, sources, first }, context) =>
      search(context.executor, {
        text,
        kinds,
        sources,
        first: pageSize(first, limitsOf(context), { argument: 'first', fallback: 20 }),
      }),
  },
};
