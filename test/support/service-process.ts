import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';
import { killOnExit } from './children.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A free TCP port on loopback (the OS picks it; closed again before use). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** A service (`edge`, `projector`, `sfu`) running as a real child process from its build. */
export class ServiceProcess {
  readonly output: string[] = [];
  private exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly adminPort: number,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (b: Buffer) => this.output.push(b.toString()));
    child.stderr?.on('data', (b: Buffer) => this.output.push(b.toString()));
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
  }

  /** Starts `services/<name>/dist/main.js` with `env` and waits until its /readyz answers 200. */
  static async start(
    name: string,
    env: Record<string, string>,
    opts: { readyTimeoutMs?: number } = {},
  ): Promise<ServiceProcess> {
    const adminPort = env['ADMIN_PORT'] ? Number(env['ADMIN_PORT']) : await freePort();
    const child = killOnExit(
      spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', `services/${name}/dist/main.js`], {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: 'warn', ...env, ADMIN_PORT: String(adminPort), ADMIN_HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const svc = new ServiceProcess(name, adminPort, child);
    await waitFor(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${name} exited with ${child.exitCode}: ${svc.output.join('').slice(-2000)}`);
        const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => null);
        return res?.status === 200;
      },
      { timeoutMs: opts.readyTimeoutMs ?? 60_000, intervalMs: 100, message: `${name} /readyz to answer 200` },
    );
    return svc;
  }

  /** SIGKILL: the crash a supervisor or the OOM killer would cause. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait for the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  get exitPromise(): Promise<number | null> {
    return this.exited;
  }
}
