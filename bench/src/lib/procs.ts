/**
 * Real processes for the benchmark: our services from their builds, the reference servers and
 * the load generators — each registered for cleanup, each start and stop bounded. With
 * `--profile` every Node process runs with --cpu-prof into bench/results/profiles/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.js';
import { RESULTS_DIR } from './results.js';
import { within } from './wait.js';

/** Repository root (bench/dist/lib → ../../..). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Where --cpu-prof writes. */
export const PROFILE_DIR = `${RESULTS_DIR}profiles`;

/** Profiling of the processes a scenario starts: off, or the file-name prefix of their profiles. */
export interface ProfileSpec {
  readonly prefix: string;
}

/** One parsed JSON log line (or `{ msg: <text> }` for a line that is not JSON). */
export type LogLine = Record<string, unknown>;

/** A child process with its log lines, started until a readiness line appeared. */
export class Proc {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<number | null>;
  #stderr = '';
  #pending = '';
  #waiters: ((line: LogLine) => void)[] = [];
  readonly #unregister: () => void;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    // 'close', not 'exit': it comes after the child's output was read to the end, so a result
    // line printed just before exiting is never lost to the race.
    this.exited = once(child, 'close').then(([code]) => code as number | null);
    // A send on a closed IPC channel (the child died first) is reported here, not thrown.
    child.on('error', (err) => {
      this.#stderr += `\n[bench] ${name}: ${err.message}`;
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.#onStdout(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-8000);
    });
    this.#unregister = onCleanup(`process ${name}`, () => this.stop());
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /**
   * Starts `node <script> <args>` (script relative to the repository root) and waits until a log
   * line satisfies `ready`; resolves with the process and that line.
   */
  static async start(opts: {
    name: string;
    script: string;
    args?: string[];
    env?: Record<string, string>;
    ready: (line: LogLine) => boolean;
    readyTimeoutMs?: number;
    profile?: ProfileSpec | undefined;
    ipc?: boolean;
    /** Extra Node options (e.g. a larger heap). */
    nodeArgs?: string[];
  }): Promise<{ proc: Proc; ready: LogLine }> {
    const nodeArgs = ['--disable-warning=TimeoutNegativeWarning', ...(opts.nodeArgs ?? [])];
    if (opts.profile) {
      mkdirSync(PROFILE_DIR, { recursive: true });
      nodeArgs.push(
        '--cpu-prof',
        `--cpu-prof-dir=${PROFILE_DIR}`,
        `--cpu-prof-name=${opts.profile.prefix}-${opts.name}.cpuprofile`,
      );
    }
    const child = spawn(process.execPath, [...nodeArgs, opts.script, ...(opts.args ?? [])], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe', ...(opts.ipc ? (['ipc'] as const) : [])],
    });
    const proc = new Proc(opts.name, child);
    const timeoutMs = opts.readyTimeoutMs ?? 60_000;
    try {
      const ready = await within(
        new Promise<LogLine>((resolve, reject) => {
          const hit = proc.lines.find(opts.ready);
          if (hit) return resolve(hit);
          proc.#waiters.push((line) => opts.ready(line) && resolve(line));
          void proc.exited.then((code) =>
            reject(new Error(`${opts.name} exited (${code}) during start:\n${proc.tail()}`)),
          );
        }),
        timeoutMs,
        `${opts.name} to be ready:\n${proc.tail()}`,
      );
      return { proc, ready };
    } catch (err) {
      await proc.stop();
      throw err;
    }
  }

  #onStdout(chunk: string): void {
    this.#pending += chunk;
    const parts = this.#pending.split('\n');
    this.#pending = parts.pop() ?? '';
    for (const text of parts) {
      if (text.trim() === '') continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      if (this.lines.length < 5000) this.lines.push(line);
      for (const w of this.#waiters) w(line);
    }
  }

  /** The last log lines, for failure messages. */
  tail(n = 20): string {
    return [...this.lines.slice(-n).map((l) => JSON.stringify(l)), this.#stderr.slice(-3000)].join('\n');
  }

  /** SIGTERM (so --cpu-prof can write its profile), SIGKILL after `graceMs`. Idempotent. */
  async stop(graceMs = 15_000): Promise<void> {
    this.#unregister();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Reads a service's admin /readyz (our services' readiness contract). */
export async function readyz(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
  return res?.status === 200;
}
