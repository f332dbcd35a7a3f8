/**
 * `npm run bench [-- --quick] [--only <scenario>] [--profile]`: runs the benchmark scenarios
 * against real processes on loopback and the shared (or a local) Kafka and Redis, prints a table
 * per scenario and writes bench/results/<timestamp>-<scenario>.json (+ .svg charts).
 * Everything it starts is stopped on success, failure, Ctrl-C or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { ensureInfra } from '@sig/infra-local';
import { cleanupAll, installSignalHandlers, onCleanup } from './lib/cleanup.js';
import { machineInfo } from './lib/machine.js';
import { stampNow, type RunOptions } from './lib/results.js';
import { SCENARIOS } from './scenarios/index.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    profile: { type: 'boolean', default: false },
    target: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const names = Object.keys(SCENARIOS);
if (values.help) {
  console.log(
    `usage: npm run bench -- [--quick] [--only <scenario>]… [--profile] [--target ours|peerjs|floor]…\nscenarios: ${names.join(', ')}`,
  );
  process.exit(0);
}
const only = values.only ?? [];
const unknown = only.filter((n) => !(n in SCENARIOS));
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; known: ${names.join(', ')}`);
  process.exit(2);
}

installSignalHandlers();
const t0 = Date.now();
let failed = 0;
try {
  const infra = await ensureInfra();
  onCleanup('infrastructure', () => infra.stop());
  const run: RunOptions = {
    quick: values.quick,
    profile: values.profile,
    stamp: stampNow(),
    kafkaBrokers: infra.kafkaBrokers,
    redisUrl: infra.redisUrl,
    targets: values.target ?? [],
  };
  const m = machineInfo();
  console.log(
    `[bench] ${run.quick ? 'quick' : 'full'} run ${run.stamp} on ${m.cpuModel} ×${m.cores}, ${m.memTotalMiB} MiB, loadavg ${m.loadavg.join(' ')}; Kafka ${run.kafkaBrokers.join(',')}`,
  );
  if (m.loadavg[0]! > m.cores)
    console.log(`[bench] warning: loadavg ${m.loadavg[0]} > ${m.cores} cores — numbers will not be representative`);
  for (const name of only.length > 0 ? only : names) {
    try {
      await SCENARIOS[name]!(run);
    } catch (err) {
      failed++;
      console.error(`[bench] ${name} failed: ${(err as Error).stack ?? String(err)}`);
    }
  }
} catch (err) {
  failed++;
  console.error(`[bench] ${(err as Error).stack ?? String(err)}`);
} finally {
  await cleanupAll();
}
console.log(`[bench] done in ${Math.round((Date.now() - t0) / 1000)} s${failed ? `, ${failed} failed` : ''}`);
process.exit(failed ? 1 : 0);
