/**
 * `npm start`: the whole stack in the foreground. Brings up Kafka and Redis (see ensureInfra),
 * creates the topics, runs every built service as a child process with prefixed output, and on
 * Ctrl-C (or when a service dies) stops the services, then the infrastructure it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureInfra, ensureTopics, type Infra } from './index.js';
import { hideKafkajsTimerWarning, KAFKAJS_WARNING_FLAG } from './node-warnings.js';
import { REPO_ROOT } from './paths.js';
import { pollUntil } from './poll.js';
import { stopGroup } from './proc.js';

/** Services the stack runs, in start order; one not built yet (no dist/main.js) is skipped. */
const SERVICES = ['edge', 'projector', 'sfu', 'analytics', 'demo'] as const;
/** Entry point of each service; the demo web app is a client package, not a backend service. */
const MAINS: Record<(typeof SERVICES)[number], string[]> = {
  edge: ['services', 'edge', 'dist', 'main.js'],
  projector: ['services', 'projector', 'dist', 'main.js'],
  sfu: ['services', 'sfu', 'dist', 'main.js'],
  analytics: ['services', 'analytics', 'dist', 'main.js'],
  demo: ['clients', 'demo', 'dist', 'server', 'main.js'],
};
const CHILD_GRACE_MS = 15_000;
const COLORS = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m', '\x1b[34m'];

type Phase = 'starting' | 'running' | 'stopping';
let phase: Phase = 'starting';
let infraReady: Promise<Infra> | undefined;
const children = new Map<string, ChildProcess>();
let finish: (code: number) => void = () => undefined;
const finished = new Promise<number>((resolve) => (finish = resolve));

const tty = process.stdout.isTTY;
const bold = (text: string): string => (tty ? `\x1b[1m${text}\x1b[0m` : text);
const say = (line: string): void => console.log(tty ? `\x1b[1m[stack]\x1b[0m ${line}` : `[stack] ${line}`);

/** A port variable, validated like every other config value: a bad one names the variable. */
function portOf(name: 'EDGE_PORT' | 'DEMO_PORT', fallback: string, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name] ?? fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65_535)
    throw new Error(`${name} must be a port number 1-65535, got ${JSON.stringify(raw)}`);
  return port;
}

function pipeLines(name: string, index: number, stream: NodeJS.ReadableStream): void {
  const label = name.padEnd(Math.max(...SERVICES.map((s) => s.length)));
  const prefix = tty ? `${COLORS[index % COLORS.length]}${label}\x1b[0m │ ` : `${label} │ `;
  createInterface({ input: stream }).on('line', (line) => console.log(prefix + line));
}

function startService(name: (typeof SERVICES)[number], index: number, env: NodeJS.ProcessEnv): void {
  const main = join(REPO_ROOT, ...MAINS[name]);
  // Own process group: the supervisor decides when a service stops (after infra, never before).
  const child = spawn(process.execPath, [KAFKAJS_WARNING_FLAG, main], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(name, child);
  pipeLines(name, index, child.stdout);
  pipeLines(name, index, child.stderr);
  child.on('exit', (code, signal) => {
    if (phase === 'stopping') return;
    say(`${name} exited unexpectedly (${signal ?? `code ${code}`}): stopping the stack`);
    void shutdown(1);
  });
}

async function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function shutdown(code: number): Promise<void> {
  if (phase === 'stopping') return;
  phase = 'stopping';
  try {
    const running = [...children].filter(([, child]) => child.exitCode === null && child.signalCode === null);
    if (running.length > 0) say(`stopping ${running.map(([name]) => name).join(', ')}`);
    await Promise.all(
      running.flatMap(([, child]) => (child.pid === undefined ? [] : [stopGroup(child.pid, CHILD_GRACE_MS)])),
    );
    // Started infrastructure is stopped even when Ctrl-C came while it was still starting.
    const infra = await infraReady?.catch(() => undefined);
    await infra?.stop();
  } catch (error) {
    say(`error while stopping: ${(error as Error).message}`);
    code = code || 1;
  }
  say('stopped');
  finish(code);
}

async function start(): Promise<void> {
  const port = portOf('EDGE_PORT', '8080');
  const demoPort = portOf('DEMO_PORT', '8090');
  infraReady = ensureInfra({ log: (line) => say(line) });
  const infra = await infraReady;
  if (phase !== 'starting') return;
  say(
    `Kafka ${infra.kafkaBrokers.join(',')} (${infra.source.kafka}) · Redis ${infra.redisUrl} (${infra.source.redis})`,
  );
  const reports = await ensureTopics({ brokers: infra.kafkaBrokers });
  const bad = reports.filter((r) => r.status === 'mismatch');
  if (bad.length > 0)
    throw new Error(`topics differ from the catalogue: ${bad.map((r) => `${r.name} ${r.detail ?? ''}`).join('; ')}`);
  say(`topics ready (${reports.filter((r) => r.status === 'created').length} created, ${reports.length} total)`);
  if (phase !== 'starting') return;

  const env = {
    // Readable logs in the foreground unless asked otherwise (LOG_PRETTY=false gives JSON lines).
    LOG_PRETTY: 'true',
    ...process.env,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    REDIS_URL: infra.redisUrl,
    EDGE_PORT: String(port),
    // The demo page needs tokens: on this local stack only, its dev token endpoint is enabled
    // (signed with the edge's JWT_SECRET, by default the development one). Never in production.
    DEMO_DEV_TOKENS: 'true',
    DEMO_PORT: String(demoPort),
    DEMO_EDGE_URL: `ws://127.0.0.1:${port}/ws`,
  };
  const built = SERVICES.filter((name) => existsSync(join(REPO_ROOT, ...MAINS[name])));
  const missing = SERVICES.filter((name) => !built.includes(name));
  if (missing.length > 0) say(`not built yet, skipped: ${missing.join(', ')}`);
  if (built.includes('demo'))
    say('warning: the demo serves development tokens for any identity and room (DEMO_DEV_TOKENS=true)');
  built.forEach((name, i) => startService(name, i, env));
  phase = 'running';

  if (built.includes('edge')) {
    await pollUntil(`edge on port ${port}`, () => portAccepts(port), {
      timeoutMs: 60_000,
      abortReason: () => (phase === 'running' ? undefined : 'stack is stopping'),
    });
    const demo = built.includes('demo')
      ? await pollUntil(`demo on port ${demoPort}`, () => portAccepts(demoPort), {
          timeoutMs: 30_000,
          abortReason: () => (phase === 'running' ? undefined : 'stack is stopping'),
        }).then(() => ` · demo ${bold(`http://127.0.0.1:${demoPort}/`)}`)
      : '';
    say(`ready: WebSocket ${bold(`ws://127.0.0.1:${port}/ws`)}${demo} · Ctrl-C stops everything`);
  } else {
    say('no edge built yet, so no WebSocket endpoint; infrastructure is up · Ctrl-C stops everything');
  }
}

hideKafkajsTimerWarning();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (phase === 'stopping') say('already stopping…');
    else say(`${signal}: stopping`);
    void shutdown(0);
  });
}
start().catch(async (error: unknown) => {
  if (phase === 'stopping') return;
  say(`error: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
// Signal handlers alone do not keep Node alive: without built services the stack would just exit.
const keepAlive = setInterval(() => undefined, 1 << 30);
process.exitCode = await finished;
clearInterval(keepAlive);
