import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../support/wait.js';
import { killOnExit } from '../../support/children.js';

/**
 * Karapace (Aiven's Confluent-compatible schema registry, Python) in a venv under the download
 * cache. `KARAPACE_PIP_SPEC` overrides what is installed (a version pin, a wheel or sdist path,
 * a git URL). A failed install is remembered for a day so that every test run does not pay for it.
 */
const CACHE =
  process.env.SIG_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kafka-signaling');
export const KARAPACE_VENV = join(CACHE, 'karapace-venv');
const FAILED_MARKER = join(CACHE, 'karapace-venv.failed');
const SPEC = process.env.KARAPACE_PIP_SPEC ?? 'karapace';
const KARAPACE_BIN = join(KARAPACE_VENV, 'bin', 'karapace');

/** Whether Karapace can run here, and if not, why (measured, not assumed). */
export type KarapaceAvailability =
  { readonly available: true; readonly installMs: number } | { readonly available: false; readonly reason: string };

/** Installs Karapace into the venv once (cached); never throws. */
export function ensureKarapace(): KarapaceAvailability {
  if (existsSync(KARAPACE_BIN)) return { available: true, installMs: 0 };
  if (
    existsSync(FAILED_MARKER) &&
    Date.now() - statSync(FAILED_MARKER).mtimeMs < 86_400_000 &&
    !process.env.KARAPACE_PIP_SPEC
  ) {
    return { available: false, reason: readFileSync(FAILED_MARKER, 'utf8') };
  }
  const started = Date.now();
  const run = (cmd: string, args: string[]) =>
    spawnSync(cmd, args, {
      encoding: 'utf8',
      timeout: 900_000,
      env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' },
    });
  mkdirSync(CACHE, { recursive: true });
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', KARAPACE_VENV]],
    [join(KARAPACE_VENV, 'bin', 'pip'), ['install', '--quiet', SPEC]],
  ];
  for (const [cmd, args] of steps) {
    const r = run(cmd, args);
    if (r.status !== 0 || !existsSync(cmd === 'python3' ? KARAPACE_VENV : KARAPACE_BIN)) {
      const tail = `${r.error?.message ?? ''}${r.stdout ?? ''}${r.stderr ?? ''}`
        .trim()
        .split('\n')
        .slice(-6)
        .join('\n');
      const reason = `\`${cmd} ${args.join(' ')}\` failed after ${Date.now() - started} ms (exit ${r.status}): ${tail}`;
      writeFileSync(FAILED_MARKER, reason);
      if (!existsSync(KARAPACE_BIN)) rmSync(KARAPACE_VENV, { recursive: true, force: true });
      return { available: false, reason };
    }
  }
  rmSync(FAILED_MARKER, { force: true });
  return { available: true, installMs: Date.now() - started };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** A running Karapace registry. */
export interface Karapace {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts Karapace on a free port, storing schemas in `schemasTopic` of the given Kafka. */
export async function startKarapace(brokers: readonly string[], schemasTopic: string): Promise<Karapace> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'karapace-'));
  const config = join(dir, 'karapace.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      advertised_hostname: '127.0.0.1',
      bootstrap_uri: brokers.join(','),
      client_id: `karapace-${port}`,
      group_id: `karapace-${schemasTopic}`,
      host: '127.0.0.1',
      port,
      registry_host: '127.0.0.1',
      registry_port: port,
      topic_name: schemasTopic,
      replication_factor: 1,
      master_eligibility: true,
      karapace_registry: true,
      karapace_rest: false,
      compatibility: 'FULL',
      log_level: 'WARNING',
    }),
  );
  const child: ChildProcess = killOnExit(
    spawn(KARAPACE_BIN, [config], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir }),
  );
  const output: string[] = [];
  child.stdout?.on('data', (b: Buffer) => output.push(b.toString()));
  child.stderr?.on('data', (b: Buffer) => output.push(b.toString()));
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`karapace exited with ${child.exitCode}: ${output.join('').slice(-2000)}`);
        return (await fetch(`${url}/subjects`).catch(() => null))?.ok === true;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: `karapace answering on ${url}` },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}
