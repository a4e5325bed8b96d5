import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Workers and test environments use Temporal's native bridge, which worker threads have crashed.
    pool: 'forks',
    // One file at a time: the end-to-end suites each run a worker, and a flash sale on a 2-core machine
    // must not share its cores with another suite's worker (CI is as fast, and far less flaky).
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
