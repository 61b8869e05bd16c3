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
    // expect.poll gives up after 1 s by default. A busy 2-core CI machine can take
    // longer to finish a preview or a run, so polls wait 15 s, longer than a browser action.
    expect: { poll: { timeout: 15_000 } },
    reporters: ['default'],
  },
});
