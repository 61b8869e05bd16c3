import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'apps/server/test/**/*.test.ts',
      'apps/web/test/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
    ],
    globalSetup: ['apps/server/test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
