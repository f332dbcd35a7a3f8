import { defineConfig } from 'vitest/config';

// Tiers are visible in file names and each runs alone: `vitest run --project unit|int|e2e`.
const exclude = ['**/node_modules/**', '**/dist/**', '.local/**', 'coverage/**'];
const infraSetup = ['test/setup/global-infra.ts'];
// kafkajs 2.2.4 triggers a harmless Node 24 warning on every connection (tulios/kafkajs#1751).
const execArgv = ['--disable-warning=TimeoutNegativeWarning'];

export default defineConfig({
  test: {
    // Stopping the broker a test run started takes a few seconds.
    teardownTimeout: 60_000,
    projects: [
      {
        test: { name: 'unit', include: ['**/*.unit.test.ts'], exclude },
      },
      {
        test: {
          name: 'int',
          include: ['**/*.int.test.ts'],
          exclude,
          globalSetup: infraSetup,
          pool: 'forks',
          execArgv,
          // Real Kafka: group joins, transactions and topic creation take seconds, not milliseconds.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.ts'],
          exclude,
          // The browser tests (test/e2e/browser) need chromium, installed when missing.
          globalSetup: [...infraSetup, 'test/setup/chromium.ts'],
          pool: 'forks',
          execArgv,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      // `npm run chaos` (test/chaos/run.mjs): the fault suite at full size, on its own private
      // broker and Redis, hence no global infrastructure. Absent from plain `vitest run`.
      ...(process.env['CHAOS_SUITE'] === '1'
        ? [
            {
              test: {
                name: 'chaos',
                include: ['test/chaos/**/*.chaos.test.ts'],
                exclude,
                pool: 'forks' as const,
                execArgv,
              },
            },
          ]
        : []),
    ],
  },
});
