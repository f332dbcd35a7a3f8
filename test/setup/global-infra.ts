/**
 * Global setup of the `int` and `e2e` projects: makes Kafka and Redis available (env vars →
 * Docker → local processes, reusing whatever already runs) and hands their addresses to the
 * tests through `inject('kafkaBrokers')` / `inject('redisUrl')` (typed in test/support/infra.ts).
 * Teardown stops only what test runs started, once no other run of this checkout uses it;
 * KEEP_INFRA=1 leaves it running for the next run (stop it with `npm run infra:down`).
 */
import { ensureInfra, hideKafkajsTimerWarning } from '@sig/infra-local';
import type { TestProject } from 'vitest/node';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  hideKafkajsTimerWarning();
  const infra = await ensureInfra();
  project.provide('kafkaBrokers', infra.kafkaBrokers);
  project.provide('redisUrl', infra.redisUrl);
  return async () => {
    await infra.stop({ keepRunning: process.env.KEEP_INFRA === '1' });
  };
}
