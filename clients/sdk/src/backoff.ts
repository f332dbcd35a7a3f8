/**
 * Reconnect backoff as a policy object: the client asks `nextRetryDelayMs(ctx)` before every
 * reconnect attempt and gives up on `null`. Pure and clock-free, so it is testable without sleeping.
 */

/** What a policy knows when deciding the next delay. */
export interface RetryContext {
  /** Attempts made since the connection was lost (0 before the first reconnect). */
  readonly attempt: number;
  /** Milliseconds since the connection was lost. */
  readonly elapsedMs: number;
  /** Close code of the lost socket (1006 when it dropped without a close frame). */
  readonly closeCode: number;
  /** Server-suggested minimum delay (e.g. retryAfterMs of a refused upgrade), when known. */
  readonly retryAfterMs?: number;
}

/** Decides how long to wait before the next reconnect attempt; `null` gives up. */
export interface BackoffPolicy {
  nextRetryDelayMs(ctx: RetryContext): number | null;
}

/** Options of {@link ExponentialBackoff}. */
export interface ExponentialBackoffOptions {
  /** Delay of the second attempt (the first is immediate). Default 300 ms. */
  readonly baseMs?: number;
  /** Largest delay. Default 7000 ms. */
  readonly maxMs?: number;
  /** Random part: the delay is multiplied by a factor in [1 - jitter, 1 + jitter]. Default 0.3. */
  readonly jitter?: number;
  /** Give up after this long without a connection. Default: the resume window is 20 s, so 60 s. */
  readonly maxElapsedMs?: number;
  /** Random source in [0, 1), injectable for tests. Default Math.random. */
  readonly random?: () => number;
}

/**
 * The protocol's suggested schedule (0, 0.3, 1.2, 2.7, 4.8 s, then every 7 s: `base * n²` capped),
 * each delay with random jitter so that clients cut off together do not reconnect together.
 */
export class ExponentialBackoff implements BackoffPolicy {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #jitter: number;
  readonly #maxElapsedMs: number;
  readonly #random: () => number;

  constructor(options: ExponentialBackoffOptions = {}) {
    this.#baseMs = options.baseMs ?? 300;
    this.#maxMs = options.maxMs ?? 7000;
    this.#jitter = options.jitter ?? 0.3;
    this.#maxElapsedMs = options.maxElapsedMs ?? 60_000;
    this.#random = options.random ?? Math.random;
    if (this.#jitter < 0 || this.#jitter > 1) throw new RangeError('jitter must be in [0, 1]');
  }

  nextRetryDelayMs(ctx: RetryContext): number | null {
    if (ctx.elapsedMs >= this.#maxElapsedMs) return null;
    const nominal = Math.min(this.#maxMs, this.#baseMs * ctx.attempt * ctx.attempt);
    const factor = 1 + this.#jitter * (2 * this.#random() - 1);
    const delay = Math.round(nominal * factor);
    return Math.max(delay, ctx.retryAfterMs ?? 0);
  }
}

/** A policy that never reconnects (the first loss closes the client). */
export const NO_RECONNECT: BackoffPolicy = { nextRetryDelayMs: () => null };
