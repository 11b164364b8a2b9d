import { createRequire } from 'node:module';

import type { Resolvers } from '../generated/resolvers.js';

const packageJson = createRequire(import.meta.url)('../../../package.json') as {
  name: string;
  version: string;
};

export const commonResolvers: Resolvers = {
  Query: {
    serviceInfo: (_parent, _args, { executor }) => ({
      name: packageJson.name,
      version: packageJson.version,
      database: executor.database,
    }),
  },
};
