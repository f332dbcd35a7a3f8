/**
 * The whole product as real processes for the observability tests: one edge, one projector and
 * one SFU worker on a fresh topic prefix, each with its admin port (/metrics) and its complete
 * stdout/stderr captured.
 */
import { randomBytes } from 'node:crypto';
import { edgeFixture, type EdgeFixture } from '../../edge/support/fixture.js';
import { freePort, ServiceProcess } from '../../support/service-process.js';

/** The running stack. */
export interface Stack {
  readonly fx: EdgeFixture;
  readonly edge: ServiceProcess;
  readonly projector: ServiceProcess;
  readonly sfu: ServiceProcess;
  readonly services: readonly ServiceProcess[];
  /** The edge's client endpoint. */
  readonly wsUrl: string;
  /** HS256 secret the edge verifies tokens with. */
  readonly jwtSecret: string;
  /** Stops every process (SIGTERM, so telemetry is flushed) and deletes the topics. */
  dispose(): Promise<void>;
}

/** Options of `startStack`. */
export interface StackOptions {
  /** Added to every service's environment (e.g. OTEL_* or LOG_LEVEL). */
  readonly env?: Record<string, string>;
  /** Added to the edge's environment. */
  readonly edgeEnv?: Record<string, string>;
}

/** Starts edge, projector and SFU worker in parallel; resolves once all three are ready. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const fx = await edgeFixture();
  const jwtSecret = `jwt-${randomBytes(24).toString('hex')}`;
  const env = { ...fx.env(), ...options.env };
  const [edgeAdmin, edgePort] = [await freePort(), await freePort()];
  const started = await Promise.allSettled([
    ServiceProcess.start('edge', {
      ...env,
      NODE_ENV: 'test',
      JWT_SECRET: jwtSecret,
      EDGE_HOST: '127.0.0.1',
      EDGE_PORT: String(edgePort),
      ADMIN_PORT: String(edgeAdmin),
      EDGE_ADMIN_PORT: String(edgeAdmin),
      EDGE_ADMIN_HOST: '127.0.0.1',
      // Teardown stays quick even if a test left a client connected.
      DRAIN_TIMEOUT: '5s',
      ...options.edgeEnv,
    }),
    ServiceProcess.start('projector', { ...env, EDGE_LIVENESS_GRACE: '10m' }),
    ServiceProcess.start('sfu', {
      ...env,
      SFU_ICE_INTERFACE_ADDRESS: '127.0.0.1',
      SFU_ICE_IPV6: 'false',
      SFU_DRAIN_TIMEOUT: '5s',
    }),
  ]);
  const services = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = started.find((s) => s.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(services.map((s) => s.kill()));
    await fx.dispose();
    throw failure.reason;
  }
  const [edge, projector, sfu] = services as [ServiceProcess, ServiceProcess, ServiceProcess];
  return {
    fx,
    edge,
    projector,
    sfu,
    services,
    wsUrl: `ws://127.0.0.1:${edgePort}/ws`,
    jwtSecret,
    async dispose() {
      await Promise.all(
        services.map(async (s) => {
          const stopped = s.stop();
          const timer = setTimeout(() => void s.kill(), 15_000);
          await stopped;
          clearTimeout(timer);
        }),
      );
      await fx.dispose();
    },
  };
}

/** The text of a service's /metrics. */
export async function scrape(svc: ServiceProcess): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${svc.adminPort}/metrics`);
  if (res.status !== 200) throw new Error(`${svc.name} /metrics answered ${res.status}`);
  return res.text();
}

/**
 * The sum of every sample of `name` whose labels include `labels` (0 when there is none).
 * `name` is the full sample name, e.g. `signal_relay_latency_seconds_count`.
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (match?.[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) sum += Number(match[3]);
  }
  return sum;
}
