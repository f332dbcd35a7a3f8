#!/usr/bin/env node
// `npm run chaos [-- options]`: the fault suite at full size. Runs test/chaos/faults.chaos.test.ts
// (vitest project "chaos", only defined when CHAOS_SUITE=1) with the options as environment, then
// prints the per-fault table it wrote to .local/chaos/last-report.md. Exit code: vitest's.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const report = `${root}.local/chaos/last-report.md`;
const OPTIONS = {
  '--clients': ['CHAOS_CLIENTS', 'number of WebSocket clients (default 200)'],
  '--rooms': ['CHAOS_ROOMS', 'number of rooms the clients spread over (default 50)'],
  '--duration': ['CHAOS_PHASE', 'steady load before each fault and after its recovery, e.g. 20s (default 20s)'],
  '--rate': ['CHAOS_RATE', 'data messages per second per client (default 2)'],
  '--faults': ['CHAOS_FAULTS', 'comma-separated subset of the faults, in order (default: all six)'],
  '--redis-outage': ['CHAOS_REDIS_OUTAGE', 'how long Redis stays down, e.g. 10s (default 10s)'],
};

const env = { ...process.env, CHAOS_SUITE: '1' };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const [flag, inline] = args[i].split('=', 2);
  if (flag === '--help' || flag === '-h') {
    console.log('npm run chaos -- [options]\n');
    for (const [name, [, help]] of Object.entries(OPTIONS)) console.log(`  ${name.padEnd(16)} ${help}`);
    console.log('\nFaults: projector-kill, edge-kill, sfu-kill, broker-restart, redis-outage, slow-consumer');
    process.exit(0);
  }
  const option = OPTIONS[flag];
  if (option === undefined) {
    console.error(`unknown option ${flag} (see --help)`);
    process.exit(2);
  }
  const value = inline ?? args[++i];
  if (value === undefined) {
    console.error(`${flag} needs a value`);
    process.exit(2);
  }
  env[option[0]] = value;
}

rmSync(report, { force: true });
const run = spawnSync('npx', ['--no-install', 'vitest', 'run', '--project', 'chaos'], {
  cwd: root,
  env,
  stdio: 'inherit',
});
if (existsSync(report)) console.log(`\n${readFileSync(report, 'utf8')}`);
process.exit(run.status ?? 1);
