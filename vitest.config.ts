import { defineConfig } from 'vitest/config';

export default defineConfig({
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
