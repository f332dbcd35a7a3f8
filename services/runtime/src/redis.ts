/**
 * ioredis adapter. Redis is on the hot path (shared rate limits), so commands fail fast while it
 * is down instead of queueing: the caller decides what a missing answer means (e.g. fall back to
 * the per-connection limit only). Reconnects follow a `RetryPolicy` with a capped delay.
 */
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';
import { redactUrl } from './redact.js';
import { exponentialJitter, type RetryPolicy } from './retry.js';

/** Options of `createRedis`. */
export interface CreateRedisOptions {
  /** Do not connect until `connect()` (default false). */
  readonly lazyConnect?: boolean;
  /** Reconnect delays; `null` stops reconnecting. Default: jittered backoff capped at 2 s, forever. */
  readonly reconnectPolicy?: RetryPolicy;
  /** Default 2000. */
  readonly connectTimeoutMs?: number;
  /** A command not answered within this rejects. Default 1000: a hung Redis must not stall messages. */
  readonly commandTimeoutMs?: number;
  /** Shown in `CLIENT LIST`. */
  readonly connectionName?: string;
  /** TLS options for a rediss:// URL (CA, client certificate); see `redisTls`. */
  readonly tls?: ConnectionOptions | undefined;
  /** Injected for tests. */
  readonly now?: () => number;
}

/** Default reconnect policy: never gives up (Redis coming back must heal the service by itself). */
export function defaultRedisReconnectPolicy(): RetryPolicy {
  return exponentialJitter({ baseMs: 50, maxMs: 2000 });
}

/**
 * Adapts a `RetryPolicy` to ioredis' `retryStrategy(times)`, measuring elapsed time from the first
 * failed attempt of the current outage (reset by `reset()` once the connection is ready).
 */
export function redisRetryStrategy(
  policy: RetryPolicy,
  now: () => number = Date.now,
): { retryStrategy: (times: number) => number | null; reset: () => void } {
  let outageStartedAt: number | undefined;
  return {
    retryStrategy(times) {
      outageStartedAt ??= now();
      return policy.nextRetryDelayMs({ attempt: times - 1, elapsedMs: now() - outageStartedAt });
    },
    reset() {
      outageStartedAt = undefined;
    },
  };
}

/** An ioredis client with fail-fast commands and a bounded reconnect delay; logs go to `logger`. */
export function createRedis(url: string, logger: Logger, options: CreateRedisOptions = {}): Redis {
  const log = logger.child({ component: 'redis', url: redactUrl(url) });
  const strategy = redisRetryStrategy(options.reconnectPolicy ?? defaultRedisReconnectPolicy(), options.now);
  const redisOptions: RedisOptions = {
    lazyConnect: options.lazyConnect ?? false,
    // Without the offline queue a command issued while disconnected rejects at once instead of
    // waiting for a reconnect that may never come.
    enableOfflineQueue: false,
    // A command in flight when the connection drops is retried once after reconnecting, not 20 times.
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    retryStrategy: strategy.retryStrategy,
    // Commands issued in the same tick (one per frame from many connections) go out in one write
    // and one round trip; without it every frame cost a socket write of its own (≈ 8 % of the
    // edge's CPU in the relay benchmark's profile).
    enableAutoPipelining: true,
  };
  if (options.connectionName !== undefined) redisOptions.connectionName = options.connectionName;
  if (options.tls !== undefined) redisOptions.tls = options.tls;
  const redis = new Redis(url, redisOptions);

  // Each reconnect attempt emits `error`; log the first of an outage as a warning, the rest at debug.
  let outage: 'none' | 'reported' = 'none';
  redis.on('error', (err: Error) => {
    if (outage === 'none') log.warn({ err }, 'redis connection error');
    else log.debug({ err }, 'redis connection error');
    outage = 'reported';
  });
  redis.on('ready', () => {
    strategy.reset();
    if (outage === 'reported') log.info('redis connection restored');
    else log.debug('redis connected');
    outage = 'none';
  });
  // `end` follows quit() as well as a reconnect policy that gave up; only the latter is a problem.
  redis.on('end', () => log.info('redis connection ended'));
  return redis;
}
