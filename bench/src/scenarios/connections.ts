/**
 * Scenario 1: authenticated idle WebSocket connections — one edge stepped up toward its
 * process's open-file limit, then 4 edges together, the load spread over several generator
 * processes (each has its own descriptor limit). Per step: RSS per connection, CPU while idle
 * with heartbeats on (server ping every HEARTBEAT_INTERVAL, client pong), connect rate.
 */
import { Generator } from '../lib/generator.js';
import { cpuMs, rssKiB } from '../lib/machine.js';
import { PROFILE_DIR } from '../lib/procs.js';
import { printProfiles, summariseProfiles } from '../lib/profile.js';
import { scrapeGauge } from '../lib/prom.js';
import { recordScenario, type RunOptions } from '../lib/results.js';
import { startStack, type Edge } from '../lib/stack.js';
import { round } from '../lib/stats.js';
import { printTable } from '../lib/table.js';
import { delay } from '../lib/wait.js';

/**
 * Connections one generator process holds at most: well under its own 20,000 descriptors
 * (BENCH_CONNS_PER_GENERATOR lowers it on a machine with a smaller limit).
 */
const PER_GENERATOR = Number(process.env['BENCH_CONNS_PER_GENERATOR'] ?? 9_500);
const GIB8_KIB = 8 * 1024 * 1024;

interface Step {
  phase: string;
  edges: number;
  /** Connections the edges report holding at the end of the idle window. */
  connections: number;
  /** Connections the generators opened in total. */
  opened: number;
  failed: number;
  /** Connections the edge closed after they were open (e.g. a heartbeat timeout), so far. */
  dropped: number;
  connectPerS: number;
  rssMiB: number;
  /** (RSS − the edges' idle RSS before any connection) / connections: includes one-off growth. */
  rssPerConnKiB: number;
  /**
   * One edge: RSS added per connection since the previous step (or the baseline, for the first):
   * the cost of one more connection, without the one-off growth of the first few thousand
   * (JIT code, heap spaces) that the average above spreads over them.
   */
  marginalKiBPerConn: number | null;
  /** V8 heap in use (prom-client's nodejs_heap_size_used_bytes), summed over the edges. */
  heapUsedMiB: number;
  /** Heap in use per connection over the baseline's; the rest of the RSS is native (uWS, malloc). */
  heapPerConnKiB: number;
  idleCpuPct: number;
  firstError: string;
}

/** A pool of generators bound to one edge, adding connections in parallel. */
class EdgeLoad {
  readonly gens: Generator[] = [];
  held = 0;
  #calls = 0;

  constructor(
    readonly edge: Edge,
    private readonly label: string,
  ) {}

  /** Starts the generator processes `target` connections need (outside the timed ramp). */
  async prepare(target: number): Promise<void> {
    while (this.gens.length < Math.ceil(target / PER_GENERATOR)) {
      this.gens.push(await Generator.start(`gen-${this.label}-${this.gens.length}`));
    }
  }

  /** Per generator: connections the edge closed so far (cumulative, from its last reply). */
  readonly dropped: number[] = [];

  /** Adds connections until `target` are held; resolves with what the generators reported. */
  async rampTo(
    target: number,
    concurrency: number,
  ): Promise<{ connected: number; failed: number; firstError: string }> {
    // Spread the new connections over the generators by their remaining room.
    const shares = this.gens.map((_, i) =>
      Math.max(
        0,
        Math.min(PER_GENERATOR, target - i * PER_GENERATOR) -
          Math.min(PER_GENERATOR, Math.max(0, this.held - i * PER_GENERATOR)),
      ),
    );
    // Every generator answers (count 0 when it has no share) so its drop count stays current.
    const replies = await Promise.all(
      this.gens.map((g, i) =>
        g.request(
          {
            cmd: 'idle',
            url: this.edge.url,
            count: shares[i]!,
            concurrency,
            tag: `${this.label}-${i}-${++this.#calls}`,
          },
          600_000,
        ),
      ),
    );
    replies.forEach((r, i) => (this.dropped[i] = r.dropped));
    const connected = replies.reduce((s, r) => s + r.connected, 0);
    this.held += connected;
    return {
      connected,
      failed: replies.reduce((s, r) => s + r.failed, 0),
      firstError: replies.find((r) => r.firstError)?.firstError ?? '',
    };
  }

  close(): Promise<void[]> {
    return Promise.all(this.gens.map((g) => g.close()));
  }
}

/** Heap in use of each edge, KiB (NaN when an edge does not answer). */
async function heapUsedKiB(loads: EdgeLoad[]): Promise<number> {
  const used = await Promise.all(
    loads.map((l) => scrapeGauge(`http://127.0.0.1:${l.edge.adminPort}/metrics`, 'nodejs_heap_size_used_bytes')),
  );
  return used.reduce((a, b) => a + b, 0) / 1024;
}

/** What the edges used before the step: RSS and heap (KiB), and connections held. */
interface Before {
  rssKiB: number;
  heapKiB: number;
  held: number;
}

async function measureStep(
  phase: string,
  loads: EdgeLoad[],
  target: number,
  baseline: Before,
  previous: Before | null,
  idleMs: number,
): Promise<{ step: Step; after: Before }> {
  for (const l of loads) await l.prepare(target);
  const t0 = Date.now();
  const ramps = await Promise.all(loads.map((l) => l.rampTo(target, 100)));
  const rampMs = Date.now() - t0;
  const connected = ramps.reduce((s, r) => s + r.connected, 0);
  await delay(2000); // let connection setup garbage settle before sampling
  const pids = loads.map((l) => l.edge.proc.pid);
  const cpu0 = pids.reduce((s, p) => s + cpuMs(p), 0);
  const w0 = Date.now();
  await delay(idleMs);
  const cpu = pids.reduce((s, p) => s + cpuMs(p), 0) - cpu0;
  const opened = loads.reduce((s, l) => s + l.held, 0);
  // The edges' own count (signal_connections) is the truth: it also sees closes during the window.
  const counted = await Promise.all(
    loads.map((l) => scrapeGauge(`http://127.0.0.1:${l.edge.adminPort}/metrics`, 'signal_connections')),
  );
  const held = counted.every((n) => Number.isFinite(n)) ? counted.reduce((a, b) => a + b, 0) : opened;
  const rss = pids.reduce((s, p) => s + rssKiB(p), 0);
  const heap = await heapUsedKiB(loads);
  const step: Step = {
    phase,
    edges: loads.length,
    connections: held,
    opened,
    failed: ramps.reduce((s, r) => s + r.failed, 0),
    dropped: loads.reduce((s, l) => s + l.dropped.reduce((a, b) => a + b, 0), 0),
    connectPerS: Math.round(connected / (rampMs / 1000)),
    rssMiB: round(rss / 1024, 1),
    rssPerConnKiB: round((rss - baseline.rssKiB) / Math.max(1, held), 2),
    marginalKiBPerConn:
      previous && held > previous.held ? round((rss - previous.rssKiB) / (held - previous.held), 2) : null,
    heapUsedMiB: round(heap / 1024, 1),
    heapPerConnKiB: round((heap - baseline.heapKiB) / Math.max(1, held), 2),
    idleCpuPct: round((100 * cpu) / (Date.now() - w0), 1),
    firstError: ramps.find((r) => r.firstError)?.firstError ?? '',
  };
  return { step, after: { rssKiB: rss, heapKiB: heap, held } };
}

/** Steps one edge up, then 4 edges together. */
export function connections(run: RunOptions): Promise<string> {
  const params = run.quick
    ? { oneEdgeSteps: [1000, 2000], fourEdgesPerEdge: 2000, idleMs: 4000, heartbeatInterval: '5s' }
    : {
        oneEdgeSteps: [2500, 5000, 10000, 15000, 19000],
        fourEdgesPerEdge: 19000,
        idleMs: 15000,
        heartbeatInterval: '5s',
      };
  return recordScenario(run, 'connections', async () => {
    const steps: Step[] = [];
    const profile = run.profile ? { prefix: `${run.stamp}-connections` } : undefined;
    const stack = await startStack(run, {
      edges: 0,
      profile,
      edgeEnv: { LOG_LEVEL: 'warn', HEARTBEAT_INTERVAL: params.heartbeatInterval },
    });
    const loads: EdgeLoad[] = [];
    try {
      const first = await stack.startEdge({ LOG_LEVEL: 'info' });
      await delay(2000);
      const baselines = [rssKiB(first.proc.pid)];
      const one = new EdgeLoad(first, 'e1');
      loads.push(one);
      const oneBaseline: Before = { rssKiB: baselines[0]!, heapKiB: await heapUsedKiB([one]), held: 0 };
      let previous = oneBaseline;
      for (const target of params.oneEdgeSteps) {
        console.log(`[bench] connections: one edge → ${target}`);
        const { step: s, after } = await measureStep('1 edge', [one], target, oneBaseline, previous, params.idleMs);
        previous = after;
        steps.push(s);
        console.log(
          `  ${s.connections} held (${s.failed} failed, ${s.dropped} dropped), ${s.connectPerS}/s, RSS ${s.rssMiB} MiB, ${s.rssPerConnKiB} KiB/conn (${s.marginalKiBPerConn ?? '–'} KiB per added conn, heap ${s.heapPerConnKiB} KiB/conn), idle CPU ${s.idleCpuPct}%`,
        );
        if (s.failed > 0) {
          console.log(`  first failure: ${s.firstError}`);
          break;
        }
      }
      let fourEdgeFailure: string | undefined;
      try {
        // Four edges: the first one is brought to the same count, three fresh ones join it.
        const extra = await Promise.all([2, 3, 4].map(() => stack.startEdge({ LOG_LEVEL: 'info' })));
        await delay(1000);
        const more = extra.map((edge, i) => {
          baselines.push(rssKiB(edge.proc.pid));
          return new EdgeLoad(edge, `e${i + 2}`);
        });
        loads.push(...more);
        console.log(`[bench] connections: 4 edges → ${params.fourEdgesPerEdge} each`);
        // The first edge's part of the baseline is its idle state (it enters with connections).
        const fourBaseline: Before = {
          rssKiB: baselines.reduce((a, b) => a + b, 0),
          heapKiB: oneBaseline.heapKiB + (await heapUsedKiB(more)),
          held: 0,
        };
        const { step: s } = await measureStep(
          '4 edges',
          loads,
          params.fourEdgesPerEdge,
          fourBaseline,
          null,
          params.idleMs,
        );
        steps.push(s);
        console.log(
          `  ${s.connections} held (${s.failed} failed, ${s.dropped} dropped), ${s.connectPerS}/s, RSS ${s.rssMiB} MiB, ${s.rssPerConnKiB} KiB/conn (heap ${s.heapPerConnKiB} KiB/conn), idle CPU ${s.idleCpuPct}%`,
        );
      } catch (err) {
        // The 4-edge phase is the most demanding; a failure there keeps the one-edge results.
        fourEdgeFailure = (err as Error).message;
        console.error(`[bench] connections: 4-edge phase failed: ${fourEdgeFailure}`);
      }
      const biggest = steps.filter((x) => x.phase === '1 edge').at(-1);
      // The average over all connections (not the marginal cost) keeps the estimate conservative.
      const extrapolation = biggest
        ? {
            perEdgeIn8GiB: Math.floor((GIB8_KIB - baselines[0]!) / biggest.rssPerConnKiB),
            basis: `${biggest.rssPerConnKiB} KiB/conn at ${biggest.connections} on one edge, baseline ${round(baselines[0]! / 1024, 1)} MiB`,
          }
        : undefined;
      printTable(
        'Idle authenticated connections',
        steps.map(({ firstError: _e, ...rest }) => rest),
      );
      if (extrapolation)
        console.log(
          `  one edge in 8 GiB (memory only): ≈ ${extrapolation.perEdgeIn8GiB} connections (${extrapolation.basis}); the 20,000-descriptor limit binds first`,
        );
      return {
        parameters: {
          ...params,
          perGenerator: PER_GENERATOR,
          connectConcurrencyPerGenerator: 100,
          edgeBaselineRssKiB: baselines,
        },
        results: { steps, extrapolation, ...(fourEdgeFailure ? { fourEdgeFailure } : {}) },
      };
    } finally {
      await Promise.all(loads.map((l) => l.close()));
      await stack.dispose();
      if (profile) printProfiles(summariseProfiles(PROFILE_DIR, profile.prefix));
    }
  });
}
