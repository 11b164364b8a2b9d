import type { Resolvers } from '../generated/resolvers.js';
import { chainResolvers } from './chain.js';
import { commonResolvers } from './common.js';

/** One resolver map per domain module, merged by Apollo. */
export const resolvers: Resolvers[] = [commonResolvers, chainResolvers];
