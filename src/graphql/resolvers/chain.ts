import { chainById, listChains } from '../../data/chains.js';
import type { Resolvers } from '../generated/resolvers.js';

export const chainResolvers: Resolvers = {
  Query: {
    chains: (_parent, { excludeIllustrative }, { executor }) =>
      listChains(executor, { excludeIllustrative: excludeIllustrative ?? false }),
    chain: (_parent, { id }, { executor }) => chainById(executor, id),
  },
};
