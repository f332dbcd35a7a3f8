/**
 * Our pipeline for one scenario: the catalogue topics under a random prefix on the shared (or
 * local) Kafka, one projector and N edges as real processes from their builds.
 */
import { randomBytes } from 'node:crypto';
import { deleteTopics, ensureTopics } from '@sig/infra-local';
import { onCleanup } from './cleanup.js';
import { Proc, type ProfileSpec } from './procs.js';
import type { RunOptions } from './results.js';

/** The HS256 secret the bench's edges accept (bench/src/lib/tokens.ts signs with it). */
export const BENCH_JWT_SECRET = 'bench-secret-0123456789abcdef-0123456789abcdef';

/**
 * Edge settings of every bench run, where they differ from the defaults: the per-connection and
 * per-identity rate limits and the per-IP connection cap exist to stop abusive clients, and the
 * generator sends from loopback at rates no real client would — so they are raised, not removed
 * (the Redis identity check still runs on every message).
 */
export const BENCH_EDGE_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  EDGE_HOST: '127.0.0.1',
  EDGE_PORT: '0',
  EDGE_ADMIN_PORT: '0',
  JWT_SECRET: BENCH_JWT_SECRET,
  RATE_CONN_PER_SEC: '100000',
  RATE_CONN_BURST: '100000',
  RATE_IDENTITY_PER_SEC: '100000',
  RATE_IDENTITY_BURST: '100000',
  MAX_CONNECTIONS: '19500',
  MAX_CONNECTIONS_PER_IP: '100000',
  MAX_PENDING_PRODUCES: '100000',
  DRAIN_TIMEOUT: '3s',
  LOG_LEVEL: 'info',
};

/** A running edge. */
export interface Edge {
  readonly proc: Proc;
  readonly port: number;
  readonly adminPort: number;
  readonly url: string;
}

/** Topics + projector + edges; `dispose` stops the processes and deletes the topics. */
export interface Stack {
  readonly prefix: string;
  /** Kafka, Redis and topic prefix, for more services on the same topics. */
  readonly env: Record<string, string>;
  readonly projector: Proc;
  readonly edges: Edge[];
  startEdge(extraEnv?: Record<string, string>): Promise<Edge>;
  /** Stops `proc` with the stack (before the projector and the topics). */
  adopt(proc: Proc): void;
  dispose(): Promise<void>;
}

/** Starts our pipeline with `edges` edges. */
export async function startStack(
  run: RunOptions,
  opts: { edges: number; profile?: ProfileSpec | undefined; edgeEnv?: Record<string, string> },
): Promise<Stack> {
  const prefix = `bench-${randomBytes(5).toString('hex')}.`;
  const brokers = run.kafkaBrokers;
  const base = { KAFKA_BROKERS: brokers.join(','), REDIS_URL: run.redisUrl, TOPIC_PREFIX: prefix };
  const reports = await ensureTopics({ brokers, prefix });
  const bad = reports.filter((r) => r.status === 'mismatch');
  if (bad.length > 0) throw new Error(`topics under ${prefix}: ${bad.map((r) => r.detail).join('; ')}`);
  const unregisterTopics = onCleanup(`topics ${prefix}`, () => deleteTopics({ brokers, prefix }));
  const procs: Proc[] = [];
  const edges: Edge[] = [];
  let n = 0;
  const startEdge = async (extraEnv: Record<string, string> = {}): Promise<Edge> => {
    const name = `edge-${++n}`;
    const { proc, ready } = await Proc.start({
      name,
      script: 'services/edge/dist/main.js',
      env: { ...base, ...BENCH_EDGE_ENV, EDGE_ID: `bench-${name}`, ...opts.edgeEnv, ...extraEnv },
      ready: (l) => l['msg'] === 'edge ready',
      profile: opts.profile,
    });
    procs.push(proc);
    const port = ready['port'] as number;
    const edge = { proc, port, adminPort: ready['adminPort'] as number, url: `ws://127.0.0.1:${port}/ws` };
    edges.push(edge);
    return edge;
  };
  try {
    const { proc: projector } = await Proc.start({
      name: 'projector',
      script: 'services/projector/dist/main.js',
      env: { ...base, ADMIN_PORT: '0', ADMIN_HOST: '127.0.0.1', EDGE_LIVENESS_GRACE: '10m', LOG_LEVEL: 'info' },
      ready: (l) => l['msg'] === 'projector running',
      profile: opts.profile,
    });
    procs.push(projector);
    for (let i = 0; i < opts.edges; i++) await startEdge();
    return {
      prefix,
      env: base,
      projector,
      edges,
      startEdge,
      adopt: (proc: Proc) => void procs.push(proc),
      async dispose() {
        // Edges (and whatever else was added) first, then the projector, then the topics.
        await Promise.all(procs.filter((p) => p !== projector).map((p) => p.stop()));
        await projector.stop();
        unregisterTopics();
        await deleteTopics({ brokers, prefix }).catch((err: Error) =>
          console.error(`[bench] deleting topics ${prefix}: ${err.message}`),
        );
      },
    };
  } catch (err) {
    await Promise.all(procs.map((p) => p.stop()));
    unregisterTopics();
    await deleteTopics({ brokers, prefix }).catch(() => undefined);
    throw err;
  }
}
