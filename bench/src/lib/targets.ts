/** Starts each system under test of the relay scenarios as real processes. */
import type { TargetName } from '../gen/targets.js';
import { Proc, type ProfileSpec } from './procs.js';
import type { RunOptions } from './results.js';
import { startStack } from './stack.js';

/** A running system under test: where the generator connects, and how to stop it. */
export interface RunningTarget {
  readonly url: string;
  /** Processes whose CPU and RSS are the system's cost. */
  readonly pids: number[];
  /** Our edge's /metrics, to split latency into stages (ours only). */
  readonly metricsUrl?: string;
  /** Warnings and errors the system's processes logged so far (pino level ≥ 40), newest last. */
  problems(): string[];
  stop(): Promise<void>;
}

/** Human names used in tables and charts. */
export const TARGET_LABEL: Record<TargetName, string> = {
  ours: 'ours (durable)',
  peerjs: 'PeerJS server',
  floor: 'uWS relay (floor)',
};

/** A process's logged warnings and errors, as short text lines. */
export function problemsOf(proc: Proc): string[] {
  return proc.lines
    .filter((l) => typeof l['level'] === 'number' && l['level'] >= 40)
    .map((l) => `${proc.name}: ${JSON.stringify(l).slice(0, 400)}`);
}

/** Starts `target`: our pipeline (1 edge + projector on Kafka) or a reference server. */
export async function startTarget(run: RunOptions, target: TargetName, profile?: ProfileSpec): Promise<RunningTarget> {
  if (target === 'ours') {
    const stack = await startStack(run, { edges: 1, profile, edgeEnv: { LOG_LEVEL: 'info' } });
    const edge = stack.edges[0]!;
    return {
      url: edge.url,
      pids: [edge.proc.pid, stack.projector.pid],
      metricsUrl: `http://127.0.0.1:${edge.adminPort}/metrics`,
      problems: () => [...problemsOf(edge.proc), ...problemsOf(stack.projector)],
      stop: () => stack.dispose(),
    };
  }
  const { proc, ready } = await Proc.start({
    name: target,
    script: target === 'peerjs' ? 'bench/dist/refs/peerjs-server.js' : 'bench/dist/refs/uws-relay.js',
    ready: (l) => l['msg'] === 'ready',
    profile,
  });
  const port = ready['port'] as number;
  const url = target === 'peerjs' ? `ws://127.0.0.1:${port}/peerjs` : `ws://127.0.0.1:${port}/`;
  return { url, pids: [proc.pid], problems: () => problemsOf(proc), stop: () => proc.stop() };
}
