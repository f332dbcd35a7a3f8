/**
 * The local Redis: Debian's `redis-server` (installed with apt when missing), on loopback,
 * no persistence, data and log under `.local/redis/`.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { probe, run } from './exec.js';
import { withLock } from './lock.js';
import { LOCAL_DIR } from './paths.js';
import { pollUntil } from './poll.js';
import { fileSize, livePid, processState, spawnDetached, stopGroup, tail } from './proc.js';
import type { Log, LocalState } from './types.js';

export const REDIS_HOST = '127.0.0.1';
export const REDIS_PORT = 16379;
export const LOCAL_REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}`;

const DIR = join(LOCAL_DIR, 'redis');
/** Paths of the local Redis state (all git-ignored). */
export const redisFiles = {
  dir: DIR,
  log: join(DIR, 'redis.log'),
  pid: join(DIR, 'redis.pid'),
  lock: join(DIR, 'start.lock'),
};

// Redis rewrites its process title to "redis-server 127.0.0.1:16379" once it runs.
const isRedisProcess = (cmdline: string): boolean =>
  cmdline.includes('redis-server') && (cmdline.includes(`:${REDIS_PORT}`) || cmdline.includes(`--port ${REDIS_PORT}`));

/** State of this checkout's Redis process. */
export function localRedisState(): LocalState {
  const pid = livePid(redisFiles.pid, isRedisProcess);
  return pid === undefined ? { state: 'stopped' } : { state: 'running', pid };
}

/** True when Redis at `url` answers PING within one attempt. */
export async function redisAnswers(url: string, timeoutMs = 2_000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined); // failures are reported through the returned promise
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Waits until Redis at `url` answers PING, or fails with `hint`. */
export async function waitForRedis(
  url: string,
  opts: { timeoutMs: number; hint: string; abortReason?: () => string | undefined },
): Promise<void> {
  await pollUntil(`Redis at ${url}`, () => redisAnswers(url), {
    timeoutMs: opts.timeoutMs,
    ...(opts.abortReason ? { abortReason: opts.abortReason } : {}),
  }).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${opts.hint}`);
  });
}

/** Path of `redis-server`, installing Debian's package when it is missing. */
export async function ensureRedisServer(log: Log): Promise<string> {
  const found = findRedisServer();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('redis-server is not installed and we are not root: run `apt-get install -y redis-server`');
  }
  log('installing redis-server with apt-get');
  // RUNLEVEL=1 keeps the package's init script from starting a system-wide Redis on port 6379.
  const aptGet = (...args: string[]) =>
    run('env', ['DEBIAN_FRONTEND=noninteractive', 'RUNLEVEL=1', 'apt-get', ...args]);
  try {
    await aptGet('install', '-y', '-qq', 'redis-server');
  } catch {
    // A fresh machine may have no package lists yet.
    await aptGet('update', '-qq');
    await aptGet('install', '-y', '-qq', 'redis-server');
  }
  const installed = findRedisServer();
  if (!installed) throw new Error('apt-get installed redis-server but the binary is not on PATH');
  return installed;
}

function findRedisServer(): string | undefined {
  for (const candidate of ['redis-server', '/usr/bin/redis-server', '/usr/sbin/redis-server']) {
    if (probe(candidate, ['--version']) !== undefined) return candidate;
  }
  return undefined;
}

/** Starts this checkout's Redis unless it already runs; true when this call started it. */
export async function startLocalRedis(log: Log, readyTimeoutMs = 30_000): Promise<boolean> {
  mkdirSync(redisFiles.dir, { recursive: true });
  return withLock(redisFiles.lock, readyTimeoutMs + 300_000, async () => {
    if (localRedisState().state === 'running') {
      await waitForRedis(LOCAL_REDIS_URL, { timeoutMs: readyTimeoutMs, hint: `See ${redisFiles.log}` });
      return false;
    }
    if (await redisAnswers(LOCAL_REDIS_URL)) {
      log(`using the Redis already listening on ${LOCAL_REDIS_URL} (not managed by this checkout)`);
      return false;
    }
    const binary = await ensureRedisServer(log);
    const logStart = fileSize(redisFiles.log);
    writeFileSync(redisFiles.log, `==== start ${new Date().toISOString()} ====\n`, { flag: 'a' });
    const args = [
      '--bind',
      REDIS_HOST,
      '--port',
      String(REDIS_PORT),
      // Development data: nothing is worth a disk write, and a restart starts clean.
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      redisFiles.dir,
    ];
    const pid = await spawnDetached(binary, args, {
      cwd: redisFiles.dir,
      logFile: redisFiles.log,
      pidFile: redisFiles.pid,
    });
    log(`Redis starting (pid ${pid}, log ${redisFiles.log})`);
    try {
      await waitForRedis(LOCAL_REDIS_URL, {
        timeoutMs: readyTimeoutMs,
        hint: `Redis log (${redisFiles.log}):\n${'-'.repeat(40)}`,
        abortReason: () => (processState(pid) === 'gone' ? 'the redis-server process exited' : undefined),
      });
    } catch (error) {
      await stopGroup(pid, 2_000).catch(() => undefined);
      rmSync(redisFiles.pid, { force: true });
      throw new Error(`${(error as Error).message}\n${tail(redisFiles.log, logStart)}`);
    }
    log(`Redis ready on ${LOCAL_REDIS_URL}`);
    return true;
  });
}

/** Stops this checkout's Redis if it runs; true when there was one to stop. */
export async function stopLocalRedis(log: Log, graceMs = 10_000): Promise<boolean> {
  if (!existsSync(redisFiles.dir)) return false;
  return withLock(redisFiles.lock, graceMs + 300_000, async () => {
    const current = localRedisState();
    if (current.state !== 'running') return false;
    log(`stopping Redis (pid ${current.pid})`);
    const outcome = await stopGroup(current.pid, graceMs);
    rmSync(redisFiles.pid, { force: true });
    log(outcome === 'killed' ? `Redis did not stop within ${graceMs} ms: killed` : 'Redis stopped');
    return true;
  });
}
