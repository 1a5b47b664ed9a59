import { defineConfig } from 'vitest/config';

// `npm run test:faults`: scenarios that start their own servers, inject a fault under load and check the books.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.fault.ts'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
    globalSetup: ['test/faults/support/summary.ts'],
  },
});
