/**
 * Scenarios 2 (relay latency at fixed offered rates) and 3 (throughput: the highest offered rate
 * with p99 < 50 ms and no loss), for our durable pipeline and the two references, with the same
 * generator in the same run.
 */
import { writeFileSync } from 'node:fs';
import type { TargetName } from '../gen/targets.js';
import { latencyChart, type ChartPoint } from '../lib/chart.js';
import { Generator } from '../lib/generator.js';
import { cpuMs } from '../lib/machine.js';
import { PROFILE_DIR, type ProfileSpec } from '../lib/procs.js';
import { printProfiles, summariseProfiles } from '../lib/profile.js';
import { scrapeHistogram, since, summarise } from '../lib/prom.js';
import { RESULTS_DIR, recordScenario, type RunOptions } from '../lib/results.js';
import { percentiles, round } from '../lib/stats.js';
import { printTable } from '../lib/table.js';
import { startTarget, TARGET_LABEL } from '../lib/targets.js';

const TARGETS: TargetName[] = ['ours', 'peerjs', 'floor'];

/** One measured step. */
interface Step {
  readonly target: TargetName;
  readonly offered: number;
  readonly sent: number;
  readonly received: number;
  readonly lossPct: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly generatorMaxLagMs: number;
  /** Error frames the system answered with during the step, and the first one. */
  readonly errors: number;
  readonly firstError: string;
  /** CPU of the system's processes over the step, as a share of one core. */
  readonly serverCpuPct: number;
  /** Ours only: stages as the edge measures them (edge → Kafka produce; edge receive → recipient socket). */
  readonly stages?: { edgeProduce: ReturnType<typeof summarise>; edgeRelay: ReturnType<typeof summarise> };
}

interface Plan {
  readonly rates: number[];
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly pairs: number;
  /** Stop a target's ladder at its first failing step (throughput search). */
  readonly stopOnFailure: boolean;
}

const SLO_P99_MS = 50;

async function measure(run: RunOptions, scenario: string, plan: Plan) {
  const steps: Step[] = [];
  const profiles: Record<string, unknown> = {};
  const failures: Record<string, string> = {};
  const problemsSeen: Record<string, string[]> = {};
  for (const target of TARGETS.filter((t) => run.targets.length === 0 || run.targets.includes(t))) {
    const profile = run.profile ? { prefix: `${run.stamp}-${scenario}-${target}` } : undefined;
    console.log(
      `[bench] ${scenario}: ${TARGET_LABEL[target]} — ${plan.pairs} pairs, rates ${plan.rates.join(', ')} msg/s`,
    );
    try {
      await measureTarget(run, scenario, plan, target, profile, steps, problemsSeen);
    } catch (err) {
      // One system failing (e.g. it refused the pairs) must not lose the others' results.
      failures[target] = (err as Error).message;
      console.error(`[bench] ${scenario}: ${TARGET_LABEL[target]} failed: ${(err as Error).message}`);
    }
    if (profile) {
      const summary = summariseProfiles(PROFILE_DIR, profile.prefix);
      printProfiles(summary);
      profiles[target] = summary;
    }
  }
  return { steps, profiles, failures, problemsSeen };
}

/** One system's steps (appended to `steps`); everything it started is stopped before it returns. */
async function measureTarget(
  run: RunOptions,
  scenario: string,
  plan: Plan,
  target: TargetName,
  profile: ProfileSpec | undefined,
  steps: Step[],
  problemsSeen: Record<string, string[]>,
): Promise<void> {
  const sut = await startTarget(run, target, profile);
  const gen = await Generator.start(`gen-${target}`, profile);
  try {
    await gen.request({ cmd: 'pairs', target, url: sut.url, pairs: plan.pairs, tag: `${scenario}-${target}` }, 120_000);
    for (const rate of plan.rates) {
      const cpu0 = sut.pids.reduce((s, p) => s + cpuMs(p), 0);
      const scrape = async () =>
        sut.metricsUrl === undefined
          ? undefined
          : {
              produce: await scrapeHistogram(sut.metricsUrl, 'signal_kafka_produce_latency_seconds'),
              relay: await scrapeHistogram(sut.metricsUrl, 'signal_relay_latency_seconds'),
            };
      const m0 = await scrape();
      const t0 = Date.now();
      const r = await gen.request(
        { cmd: 'relay', rate, warmupMs: plan.warmupMs, durationMs: plan.durationMs, drainMs: 5000 },
        plan.warmupMs + plan.durationMs + 90_000,
      );
      const cpu = sut.pids.reduce((s, p) => s + cpuMs(p), 0) - cpu0;
      const m1 = await scrape();
      const p = percentiles(r.latencies);
      const step: Step = {
        target,
        offered: rate,
        sent: r.sent,
        received: r.received,
        lossPct: round((100 * (r.sent - r.received)) / Math.max(1, r.sent), 3),
        p50: round(p.p50),
        p90: round(p.p90),
        p99: round(p.p99),
        p999: round(p.p999),
        max: round(p.max),
        generatorMaxLagMs: r.maxLagMs,
        errors: r.errors,
        firstError: r.firstError,
        serverCpuPct: Math.round((100 * cpu) / (Date.now() - t0)),
        ...(m0 && m1
          ? {
              stages: {
                edgeProduce: summarise(since(m1.produce, m0.produce)),
                edgeRelay: summarise(since(m1.relay, m0.relay)),
              },
            }
          : {}),
      };
      steps.push(step);
      console.log(
        `  ${TARGET_LABEL[target]} @ ${rate}/s: p50 ${step.p50} p99 ${step.p99} max ${step.max} ms, loss ${step.lossPct}%, server CPU ${step.serverCpuPct}%${step.stages ? `; edge→Kafka produce mean ${step.stages.edgeProduce.meanMs} ms (p99 ≤ ${step.stages.edgeProduce.p99LeMs}), edge receive→socket mean ${step.stages.edgeRelay.meanMs} ms (p99 ≤ ${step.stages.edgeRelay.p99LeMs})` : ''}${r.errors ? `, ${r.errors} errors, first: ${r.firstError}` : ''}`,
      );
      // What the services logged as going wrong explains loss better than any number.
      const problems = sut.problems();
      if (problems.length > 0) {
        problemsSeen[`${target}@${rate}`] = problems.slice(-20);
        console.log(`  ${problems.length} warnings/errors logged so far; last: ${problems.at(-1)}`);
      }
      if (plan.stopOnFailure && !passes(step)) break;
    }
  } finally {
    await gen.close();
    await sut.stop();
  }
}

const passes = (s: Step) => s.p99 < SLO_P99_MS && s.received === s.sent;

function ratios(steps: readonly Step[]) {
  const ours = steps.filter((s) => s.target === 'ours');
  return ours.map((o) => {
    const ref = (t: TargetName) => steps.find((s) => s.target === t && s.offered === o.offered);
    const ratio = (a: number, b: number | undefined) => (b === undefined || !(b > 0) ? Number.NaN : round(a / b, 1));
    return {
      offered: o.offered,
      'p50 vs PeerJS': ratio(o.p50, ref('peerjs')?.p50),
      'p99 vs PeerJS': ratio(o.p99, ref('peerjs')?.p99),
      'p50 vs floor': ratio(o.p50, ref('floor')?.p50),
      'p99 vs floor': ratio(o.p99, ref('floor')?.p99),
    };
  });
}

function chart(run: RunOptions, scenario: string, steps: readonly Step[]): string {
  const points: ChartPoint[] = steps.map((s) => ({
    system: TARGET_LABEL[s.target],
    offered: s.offered,
    p50: s.p50,
    p99: s.p99,
  }));
  const path = `${RESULTS_DIR}${run.stamp}-${scenario}.svg`;
  writeFileSync(path, latencyChart(`${scenario}: send → receive latency${run.quick ? ' (quick)' : ''}`, points));
  console.log(`[bench] chart: ${path}`);
  return path;
}

const tableRows = (steps: readonly Step[]) =>
  steps.map((s) => ({
    system: TARGET_LABEL[s.target],
    'offered/s': s.offered,
    p50: s.p50,
    p90: s.p90,
    p99: s.p99,
    'p99.9': s.p999,
    max: s.max,
    'loss %': s.lossPct,
    'server CPU %': s.serverCpuPct,
    'gen lag ms': s.generatorMaxLagMs,
  }));

/** Scenario 2: latency at fixed offered rates, with ratios to both references. */
export function relayLatency(run: RunOptions): Promise<string> {
  const plan: Plan = run.quick
    ? { rates: [1000, 5000], warmupMs: 1000, durationMs: 3000, pairs: 50, stopOnFailure: false }
    : { rates: [1000, 5000, 10000, 20000], warmupMs: 3000, durationMs: 15000, pairs: 250, stopOnFailure: false };
  return recordScenario(run, 'relay-latency', async () => {
    const { steps, profiles, failures, problemsSeen } = await measure(run, 'relay-latency', plan);
    printTable('Relay latency (ms), send → receive', tableRows(steps));
    const r = ratios(steps);
    printTable('Ours as a multiple of the references (higher = slower)', r);
    const svg = chart(run, 'relay-latency', steps);
    return {
      parameters: {
        ...plan,
        messageMix: '1 offer (2.6 KB) : 1 answer (1.9 KB) : 8 candidates (~150 B)',
        sloP99Ms: SLO_P99_MS,
      },
      results: { steps, ratios: r, chart: svg, failures, serviceProblems: problemsSeen },
      ...(run.profile ? { profiles } : {}),
    };
  });
}

/** Scenario 3: climb offered rates until p99 ≥ 50 ms or a message is lost. */
export function relayThroughput(run: RunOptions): Promise<string> {
  const plan: Plan = run.quick
    ? { rates: [2000, 5000, 10000], warmupMs: 1000, durationMs: 2000, pairs: 50, stopOnFailure: true }
    : {
        rates: [1000, 2000, 3000, 5000, 7500, 10000, 15000, 20000, 30000, 40000],
        warmupMs: 2000,
        durationMs: 10000,
        pairs: 250,
        stopOnFailure: true,
      };
  return recordScenario(run, 'throughput', async () => {
    const { steps, profiles, failures, problemsSeen } = await measure(run, 'throughput', plan);
    printTable('Throughput ladder', tableRows(steps));
    const best = TARGETS.map((t) => {
      const ok = steps.filter((s) => s.target === t && passes(s)).map((s) => s.offered);
      const failed = steps.find((s) => s.target === t && !passes(s));
      return {
        system: TARGET_LABEL[t],
        'max msg/s with p99<50ms, no loss': ok.length ? Math.max(...ok) : 0,
        'first failing step': failed
          ? `${failed.offered}/s (p99 ${failed.p99} ms, loss ${failed.lossPct}%)`
          : `none up to ${Math.max(...plan.rates)}/s`,
      };
    });
    printTable('Highest sustained rate', best);
    const svg = chart(run, 'throughput', steps);
    return {
      parameters: { ...plan, sloP99Ms: SLO_P99_MS },
      results: { steps, best, chart: svg, failures, serviceProblems: problemsSeen },
      ...(run.profile ? { profiles } : {}),
    };
  });
}
