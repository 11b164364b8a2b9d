import { createRequire } from 'node:module';

import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Resolve graphql exactly as Node does (its CommonJS entry). Otherwise Vite hands our code the ESM build while
    // Apollo, loaded by Node, gets the CommonJS one, and graphql refuses types from "another module or realm".
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    globalSetup: ['test/support/globalSetup.ts'],
    include: ['test/**/*.test.ts'],
    // Integration test files share one Neo4j (Community has a single user database), and some assert over whole
    // lists of the seed graph; running files one after another keeps those exact. Tests inside a file still own
    // their data through unique id prefixes.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 240_000,
    env: { TZ: 'UTC' },
    reporters: ['default'],
  },
});
