/**
 * The whole product as real processes for the browser tests: projector, edge, SFU worker and the
 * demo server (dev tokens on, signed with the edge's test secret), on this file's topic prefix.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ServiceProcess } from '../../../support/service-process.js';
import { waitFor } from '../../../support/wait.js';
import { killAll, startEdge, TEST_JWT_SECRET, type EdgeProcess } from '../../../edge/support/edge-process.js';
import { edgeFixture, type EdgeFixture } from '../../../edge/support/fixture.js';
import { killOnExit } from '../../../support/children.js';

const DEMO_MAIN = fileURLToPath(new URL('../../../../clients/demo/dist/server/main.js', import.meta.url));

/**
 * The address Chromium's host candidates use: it does not gather loopback candidates, so the SFU
 * must listen where the browser's candidates are.
 */
export function lanAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

/** The demo server as a child process. */
export interface DemoProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly output: string[];
  stop(): Promise<void>;
}

/** Starts clients/demo's server on a free port; resolves once it logged `demo ready`. */
export async function startDemo(env: Record<string, string>): Promise<DemoProcess> {
  const child = killOnExit(
    spawn(process.execPath, [DEMO_MAIN], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DEMO_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const output: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  const ready = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`demo exited with ${child.exitCode}: ${output.join('')}`);
      const line = output
        .join('')
        .split('\n')
        .find((l) => l.includes('"demo ready"'));
      return line ? (JSON.parse(line) as { url: string }) : null;
    },
    { timeoutMs: 20_000, message: 'the demo server to log "demo ready"' },
  );
  return {
    url: ready.url,
    child,
    output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

/** Everything a browser test talks to. */
export interface BrowserStack {
  readonly edge: EdgeProcess;
  readonly demo: DemoProcess;
  readonly services: ServiceProcess[];
  /** Recent output of every process, for failure messages. */
  tail(): string;
  stop(): Promise<void>;
}

/** Starts projector, SFU, edge and demo on a fresh topic prefix. */
export async function startBrowserStack(): Promise<BrowserStack> {
  const fx: EdgeFixture = await edgeFixture();
  const services: ServiceProcess[] = [];
  let edge: EdgeProcess | undefined;
  let demo: DemoProcess | undefined;
  const stop = async (): Promise<void> => {
    await demo?.stop();
    await killAll([edge]);
    await Promise.all(services.map((s) => s.kill()));
    await fx.dispose();
  };
  try {
    const [projector, sfu] = await Promise.all([
      ServiceProcess.start('projector', { ...fx.env(), EDGE_LIVENESS_GRACE: '10m' }),
      ServiceProcess.start('sfu', {
        ...fx.env(),
        SFU_ICE_INTERFACE_ADDRESS: lanAddress(),
        SFU_ICE_IPV6: 'false',
        ...(process.env['BROWSER_TEST_DEBUG'] ? { LOG_LEVEL: 'info' } : {}),
      }),
    ]);
    services.push(projector, sfu);
    edge = await startEdge(fx.env({ EDGE_ID: 'edge-browser', HEARTBEAT_INTERVAL: '1s', HEARTBEAT_TIMEOUT: '5s' }));
    demo = await startDemo({ DEMO_DEV_TOKENS: 'true', JWT_SECRET: TEST_JWT_SECRET, DEMO_EDGE_URL: edge.url() });
  } catch (error) {
    await stop();
    throw error;
  }
  const started = { edge, demo };
  return {
    ...started,
    services,
    tail: () =>
      [
        `---- edge\n${started.edge.tail(20)}`,
        ...services.map((s) => `---- ${s.name}\n${s.output.join('').slice(-3000)}`),
        `---- demo\n${started.demo.output.join('').slice(-2000)}`,
      ].join('\n'),
    stop,
  };
}
