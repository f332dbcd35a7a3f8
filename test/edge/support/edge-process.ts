/**
 * Runs the real edge (`node services/edge/dist/main.js`) as a child process, the way it runs in
 * production, and reads its JSON log lines: the `edge ready` line gives the ports it bound
 * (EDGE_PORT=0 / EDGE_ADMIN_PORT=0, so parallel test files never collide).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { killOnExit } from '../../support/children.js';

const MAIN = fileURLToPath(new URL('../../../services/edge/dist/main.js', import.meta.url));

/** One parsed log line of the edge. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** When the process exited (Date.now()). */
  readonly at: number;
}

export interface EdgeProcess {
  readonly port: number;
  readonly adminPort: number;
  readonly edgeId: string;
  readonly replySlot: number;
  readonly logs: LogLine[];
  readonly exited: Promise<ExitInfo>;
  readonly child: ChildProcess;
  /** ws://127.0.0.1:<port>/ws plus an optional query string. */
  url(query?: string): string;
  /** Sends `signal` and resolves when the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** Lines logged so far, for failure messages. */
  tail(lines?: number): string;
}

export const TEST_JWT_SECRET = 'edge-integration-test-secret-0123456789abcdef';

/** Starts an edge with `env` on top of sensible test defaults; resolves once it is ready. */
export async function startEdge(env: Record<string, string>, readyTimeoutMs = 60_000): Promise<EdgeProcess> {
  const child = killOnExit(
    spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'test',
        EDGE_HOST: '127.0.0.1',
        EDGE_PORT: '0',
        EDGE_ADMIN_PORT: '0',
        JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const logs: LogLine[] = [];
  let stderr = '';
  let pending = '';
  const waiters: ((line: LogLine) => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const text of lines) {
      if (text.trim() === '') continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      logs.push(line);
      for (const w of [...waiters]) w(line);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<ExitInfo>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const tail = (n = 30): string => [...logs.slice(-n).map((l) => JSON.stringify(l)), stderr.slice(-4000)].join('\n');

  const ready = await new Promise<LogLine>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`edge not ready within ${readyTimeoutMs} ms:\n${tail()}`)),
      readyTimeoutMs,
    );
    waiters.push((line) => {
      if (line.msg === 'edge ready') {
        clearTimeout(timer);
        resolve(line);
      }
    });
    void exited.then((info) => {
      clearTimeout(timer);
      reject(new Error(`edge exited during start (code ${info.code}):\n${tail()}`));
    });
  });

  const port = ready['port'] as number;
  return {
    port,
    adminPort: ready['adminPort'] as number,
    edgeId: ready['edgeId'] as string,
    replySlot: ready['replySlot'] as number,
    logs,
    exited,
    child,
    url: (query) => `ws://127.0.0.1:${port}/ws${query === undefined ? '' : `?${query}`}`,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    tail,
  };
}

/** Kills whatever is still running (afterAll safety net). */
export async function killAll(edges: readonly (EdgeProcess | undefined)[]): Promise<void> {
  await Promise.all(
    edges.map(async (e) => {
      if (e === undefined) return;
      if (e.child.exitCode === null && e.child.signalCode === null) e.child.kill('SIGKILL');
      await e.exited;
    }),
  );
}
