/**
 * The fault suite at full size, for `npm run chaos` (test/chaos/run.mjs passes the options as
 * CHAOS_* variables). Same scenario as the short version inside `npm test`; the table goes to
 * the console and to .local/chaos/last-report.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration } from '@sig/runtime';
import { FAULT_NAMES, type FaultName } from './faults.js';
import { formatTable, type FaultResult } from './report.js';
import { ChaosRun } from './scenario.js';
import { ChaosStack } from './support/stack.js';

const env = process.env;
const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
const faults = env['CHAOS_FAULTS'] ? (env['CHAOS_FAULTS'].split(',') as FaultName[]) : [...FAULT_NAMES];
for (const f of faults) if (!FAULT_NAMES.includes(f)) throw new Error(`unknown fault ${f}`);
const options = {
  clients: num('CHAOS_CLIENTS', 200),
  rooms: num('CHAOS_ROOMS', 50),
  phaseMs: parseDuration(env['CHAOS_PHASE'] ?? '20s'),
  rate: num('CHAOS_RATE', 2),
  faults,
  redisOutageMs: parseDuration(env['CHAOS_REDIS_OUTAGE'] ?? '10s'),
  settleTimeoutMs: 120_000,
  log: (line: string) => console.info(line),
};
const REPORT = fileURLToPath(new URL('../../.local/chaos/last-report.md', import.meta.url));

describe(`fault suite: ${options.clients} clients in ${options.rooms} rooms`, () => {
  let stack: ChaosStack | undefined;
  let run: ChaosRun | undefined;
  const results: FaultResult[] = [];

  beforeAll(async () => {
    stack = await ChaosStack.start({ edges: 3, sendBufferMaxBytes: 256 * 1024 });
    run = new ChaosRun(stack, options);
    await run.connectAll();
  }, 600_000);

  afterAll(async () => {
    const table = formatTable(results);
    const when = new Date().toISOString();
    mkdirSync(fileURLToPath(new URL('.', `file://${REPORT}`)), { recursive: true });
    writeFileSync(
      REPORT,
      `Fault suite, ${when}: ${options.clients} clients, ${options.rooms} rooms, ${options.rate} msg/s each, phases of ${options.phaseMs} ms\n\n${table}\n`,
    );
    await run?.close();
    await stack?.dispose();
  }, 120_000);

  it.each(faults)(
    '%s',
    async (fault) => {
      const result = await run!.run(fault);
      results.push(result);
      console.info(formatTable([result]));
      expect(result.failures).toEqual([]);
      expect(result.lost).toBe(0);
      expect(result.duplicated).toBe(0);
      expect(result.otherViolations).toBe(0);
    },
    900_000,
  );
});
