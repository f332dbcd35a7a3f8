/**
 * The fault suite, short version (inside `npm test`): 24 clients in 8 rooms on a private broker
 * and Redis, the faults one after the other, each checked against the ledger. `npm run chaos`
 * runs the same scenario bigger and longer (test/chaos/run.mjs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duplicateDrops, FAULT_NAMES, type FaultName } from './faults.js';
import { formatTable, type FaultResult } from './report.js';
import { ChaosRun } from './scenario.js';
import { logDuplicates } from './support/log-duplicates.js';
import { ChaosStack } from './support/stack.js';

// Every fault, small and short; `npm run chaos` runs them bigger and longer.
// CHAOS_FAULTS=projector-kill,broker-restart (a comma-separated list) runs only those.
const faults = process.env['CHAOS_FAULTS'] ? (process.env['CHAOS_FAULTS'].split(',') as FaultName[]) : [...FAULT_NAMES];

describe('fault suite (short): nothing acked is lost or duplicated, whatever breaks', () => {
  let stack: ChaosStack | undefined;
  let run: ChaosRun | undefined;
  const results: FaultResult[] = [];
  let droppedBefore = 0;

  beforeAll(async () => {
    stack = await ChaosStack.start({ edges: 3, sendBufferMaxBytes: 256 * 1024 });
    run = new ChaosRun(stack, {
      clients: 24,
      rooms: 8,
      phaseMs: 2000,
      rate: 2,
      faults,
      redisOutageMs: 3000,
      settleTimeoutMs: 45_000,
      log: (line) => console.info(line),
    });
    await run.connectAll();
  }, 180_000);

  afterAll(async () => {
    if (results.length > 0) console.info(`fault suite (short):\n${formatTable(results)}`);
    await run?.close();
    await stack?.dispose();
  }, 60_000);

  it.each(faults)(
    '%s',
    async (fault) => {
      const result = await run!.run(fault);
      results.push(result);
      // Duplicates the edges kept from clients (a seq already sent; the run fails on them) or that
      // reached them: say where they are in the logs, to find the writer.
      const dropped = await duplicateDrops(run!);
      if (result.duplicated > 0 || dropped > droppedBefore) {
        droppedBefore = dropped;
        const found = await logDuplicates(stack!.broker.brokers, stack!.prefix);
        console.info(
          `${fault}: ${dropped} duplicate events dropped by edges so far; duplicates in the logs:\n${found.join('\n') || '(none: an edge read a record twice)'}`,
        );
      }
      expect(result.failures, formatTable([result])).toEqual([]);
      expect(result.lost).toBe(0);
      expect(result.duplicated).toBe(0);
      expect(result.otherViolations).toBe(0);
      expect(result.acked).toBeGreaterThan(0);
    },
    180_000,
  );
});
