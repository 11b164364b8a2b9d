import type { Resolvers } from '../generated/resolvers.js';
import { analyticsResolvers } from './analytics.js';
import { chainResolvers } from './chain.js';
import { commonResolvers } from './common.js';
import { enterpriseResolvers } from './enterprise.js';
import { importResolvers } from './import.js';
import { planResolvers } from './plan.js';
import { platformResolvers } from './platform.js';
import { regionResolvers } from './region.js';
import { searchResolvers } from './search.js';

/**
 * One resolver map per domain module, merged by Apollo. Root fields call the data layer once each; nested fields
 * of translated types need no resolvers (the default field resolver reads the projection).
 */
export const resolvers: Resolvers[] = [
  commonResolvers,
  regionResolvers,
  chainResolvers,
  enterpriseResolvers,
  platformResolvers,
  planResolvers,
  searchResolvers,
  analyticsResolvers,
  importResolvers,
];
