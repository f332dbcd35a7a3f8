/**
 * Retry and reconnect as policy objects: a policy only answers "how long until the next try, or
 * give up?", so it is pure and testable without sleeping, and the same policy drives Redis
 * reconnects, producer retries and the client SDK's reconnect loop.
 */
import { isRetriable } from './errors.js';

/** What a policy knows when asked for the next delay. */
export interface RetryContext {
  /** 0 for the first retry (after the first failure), 1 for the second, … */
  readonly attempt: number;
  /** Time since the first failure. */
  readonly elapsedMs: number;
  /** The error that caused this retry, when known. */
  readonly error?: unknown;
}

/** Decides the delay before the next retry; `null` means give up. */
export interface RetryPolicy {
  nextRetryDelayMs(ctx: RetryContext): number | null;
}

/** A source of uniform numbers in [0, 1); injected in tests. */
export type RandomSource = () => number;

/** Options of `exponentialJitter`. */
export interface ExponentialJitterOptions {
  /** Ceiling of the first retry's delay. */
  readonly baseMs: number;
  /** Cap of every delay. */
  readonly maxMs: number;
  /** Give up after this many retries (default: never). */
  readonly maxAttempts?: number;
  /** Give up once this much time has passed since the first failure (default: never). */
  readonly maxElapsedMs?: number;
  readonly random?: RandomSource;
}

/**
 * Exponential backoff with full jitter: `random() × min(maxMs, baseMs × 2^attempt)`. Full jitter
 * spreads a crowd of clients that failed together (a broker restart) instead of letting them
 * retry in lockstep.
 */
export function exponentialJitter(options: ExponentialJitterOptions): RetryPolicy {
  const { baseMs, maxMs, maxAttempts, maxElapsedMs, random = Math.random } = options;
  if (!(baseMs > 0) || !(maxMs >= baseMs)) throw new RangeError('exponentialJitter: need 0 < baseMs <= maxMs');
  return {
    nextRetryDelayMs({ attempt, elapsedMs }) {
      if (maxAttempts !== undefined && attempt >= maxAttempts) return null;
      if (maxElapsedMs !== undefined && elapsedMs >= maxElapsedMs) return null;
      // 2 ** attempt overflows to Infinity for huge attempts; min() keeps the cap exact.
      const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 52));
      const delay = Math.round(random() * ceiling);
      return maxElapsedMs === undefined ? delay : Math.min(delay, maxElapsedMs - elapsedMs);
    },
  };
}

/** Options of `fixedSchedule`. */
export interface FixedScheduleOptions {
  /** Delay of every retry after the schedule is exhausted (default: give up after the schedule). */
  readonly thenMs?: number;
  /** Up to this much random delay is added to every retry after the schedule (default 0). */
  readonly jitterMs?: number;
  /** Give up after this many retries in total (default: never, if `thenMs` is set). */
  readonly maxAttempts?: number;
  /** Give up once this much time has passed since the first failure. */
  readonly maxElapsedMs?: number;
  readonly random?: RandomSource;
}

/**
 * An explicit delay schedule, then a steady delay with jitter. The early retries are exact (a
 * dropped socket is usually back within a second, and jitter there only adds latency); the steady
 * ones are jittered to spread a crowd.
 */
export function fixedSchedule(delaysMs: readonly number[], options: FixedScheduleOptions = {}): RetryPolicy {
  const { thenMs, jitterMs = 0, maxAttempts, maxElapsedMs, random = Math.random } = options;
  if (delaysMs.some((d) => !(d >= 0))) throw new RangeError('fixedSchedule: delays must be >= 0');
  const schedule = [...delaysMs];
  return {
    nextRetryDelayMs({ attempt, elapsedMs }) {
      if (maxAttempts !== undefined && attempt >= maxAttempts) return null;
      if (maxElapsedMs !== undefined && elapsedMs >= maxElapsedMs) return null;
      const scheduled = schedule[attempt];
      if (scheduled !== undefined) return scheduled;
      if (thenMs === undefined) return null;
      return Math.round(thenMs + random() * jitterMs);
    },
  };
}

/** LiveKit's client reconnect schedule: 0, 0.3, 1.2, 2.7, 4.8 s, then 7 s (+ up to 1 s jitter), 10 tries. */
export function clientReconnectPolicy(random: RandomSource = Math.random): RetryPolicy {
  return fixedSchedule([0, 300, 1200, 2700, 4800], { thenMs: 7000, jitterMs: 1000, maxAttempts: 10, random });
}

/** Options of `retryAsync`. */
export interface RetryAsyncOptions {
  /** Whether an error is worth retrying (default: `isRetriable`). */
  readonly shouldRetry?: (error: unknown) => boolean;
  /** Aborting stops retrying and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Injected for tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called before each retry (for logs and metrics). */
  readonly onRetry?: (ctx: RetryContext & { readonly delayMs: number }) => void;
}

/** Runs `fn` until it succeeds, the error is not retriable, or the policy gives up (rethrows the last error). */
export async function retryAsync<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  options: RetryAsyncOptions = {},
): Promise<T> {
  const { shouldRetry = isRetriable, signal, now = Date.now, sleep = abortableSleep, onRetry } = options;
  let firstFailureAt: number | undefined;
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (!shouldRetry(error)) throw error;
      firstFailureAt ??= now();
      const ctx = { attempt, elapsedMs: now() - firstFailureAt, error };
      const delayMs = policy.nextRetryDelayMs(ctx);
      if (delayMs === null) throw error;
      onRetry?.({ ...ctx, delayMs });
      await sleep(delayMs, signal);
    }
  }
}

/** Sleeps `ms`; rejects with the signal's reason if aborted first. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
