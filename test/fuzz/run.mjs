// `npm run fuzz -- --cases 100000 [--seed N]`: the long fuzz run. It runs the same test as
// `npm test` (test/fuzz/edge-fuzz.int.test.ts: a real edge + projector on Kafka and Redis, provided
// like every integration test: KAFKA_BROKERS / REDIS_URL, Docker, or local processes) with more
// cases and, unless --seed is given, a fresh seed, then prints the outcome counts by error and
// close code. Exit code 0 means zero violations.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`--${name} needs a non-negative integer`);
    process.exit(2);
  }
  return value;
};
const cases = option('cases', 100_000);
const seed = option('seed', Math.floor(Math.random() * 2 ** 31));
mkdirSync(`${root}.local`, { recursive: true });
const reportFile = `${root}.local/fuzz-report.json`;
rmSync(reportFile, { force: true });

console.log(`[fuzz] ${cases} cases, seed ${seed} (repeat with --seed ${seed})`);
const run = spawnSync('npx', ['vitest', 'run', '--project', 'int', 'test/fuzz/edge-fuzz.int.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FUZZ_CASES: String(cases), FUZZ_SEED: String(seed), FUZZ_REPORT: reportFile },
});
if (!existsSync(reportFile)) {
  console.error('[fuzz] no report was written (the stack did not start?)');
  process.exit(run.status ?? 1);
}
const report = JSON.parse(readFileSync(reportFile, 'utf8'));
const byCode = new Map();
const add = (key, n) => byCode.set(key, (byCode.get(key) ?? 0) + n);
for (const [outcome, n] of Object.entries(report.outcomes)) {
  // `json:error:invalid_message+close:1008` → `error:invalid_message`, `close:1008`;
  // `token:alg_none:401:unauthorized` → `http:401:unauthorized`; `raw:unmasked:drop` → `dropped (1006)`.
  const tokens = outcome.split(/[:+]/);
  if (tokens[0] === 'token') add(`http:${tokens.slice(2).join(':')}`, n);
  tokens.forEach((token, i) => {
    if ((token === 'error' || token === 'close') && tokens[i + 1] !== undefined) add(`${token}:${tokens[i + 1]}`, n);
    if (token === 'drop') add('dropped (1006)', n);
    if (token === 'ack') add('ack', n);
  });
}
console.log(`\n[fuzz] ${report.cases} cases in ${(report.durationMs / 1000).toFixed(1)} s, seed ${report.seed}`);
console.log('[fuzz] by error / close code:');
for (const [code, n] of [...byCode].sort(([a], [b]) => a.localeCompare(b)))
  console.log(`  ${String(n).padStart(8)}  ${code}`);
console.log(`[fuzz] edge RSS MB: ${JSON.stringify(report.rssMb)}`);
console.log(`[fuzz] edge V8 heap used MB: ${JSON.stringify(report.heapUsedMb)}`);
console.log(`[fuzz] bystander probes: ${report.bystander.delivered}/${report.bystander.probes} delivered`);
console.log(`[fuzz] violations: ${report.violations.length}`);
for (const v of report.violations) console.log(`  ! ${v}`);
console.log(`[fuzz] full report: ${reportFile}`);
process.exit(run.status ?? 1);
