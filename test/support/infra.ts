import { inject } from 'vitest';

declare module 'vitest' {
  /** Values test/setup/global-infra.ts provides to `int` and `e2e` tests. */
  export interface ProvidedContext {
    kafkaBrokers: string[];
    redisUrl: string;
  }
}

/** Addresses of the Kafka and Redis this test run uses (only in `int` / `e2e` projects). */
export function testInfra(): { kafkaBrokers: string[]; redisUrl: string } {
  return { kafkaBrokers: inject('kafkaBrokers'), redisUrl: inject('redisUrl') };
}
