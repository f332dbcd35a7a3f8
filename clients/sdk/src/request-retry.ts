/**
 * Automatic retries of requests the client was not told were logged. The server treats a request
 * id as an idempotency key within a session (docs/protocol.md, "Request ids and acknowledgements"):
 * a request sent again with the same id is decided once, so a retry can never deliver twice.
 * Pure and clock-free, like the reconnect backoff.
 */
import { ExponentialBackoff, type BackoffPolicy } from './backoff.js';
import type { SignalClientError } from './errors.js';

/** What a policy knows when deciding whether, and when, to send a request again. */
export interface RequestRetryContext {
  /** Message type of the request (`data`, `publish`, …). */
  readonly type: string;
  /** Attempts made so far (1 after the first failure). */
  readonly attempt: number;
  /** Milliseconds since the first attempt was sent. */
  readonly elapsedMs: number;
  /** Why the last attempt failed. */
  readonly error: SignalClientError;
}

/** Decides whether a failed request is sent again with its id, and after how long; `null` gives up. */
export interface RequestRetryPolicy {
  nextRequestDelayMs(ctx: RequestRetryContext): number | null;
}

/** Options of {@link RetryRequests}. */
export interface RetryRequestsOptions {
  /** Attempts in all, the first included. Default 5. */
  readonly maxAttempts?: number;
  /** Delays between attempts. Default {@link ExponentialBackoff} (0.3, 1.2, 2.7, 4.8 s…, ±30 %, 30 s at most). */
  readonly backoff?: BackoffPolicy;
}

/**
 * Requests the server does not deduplicate: the media worker answers them, no room event records
 * them (docs/protocol.md). Retrying one that was in fact logged would renegotiate twice.
 */
const NOT_DEDUPLICATED: ReadonlySet<string> = new Set(['media_sdp', 'media_candidate', 'restart_ice']);

/**
 * Whether a failure of a request of this type is worth sending again with the same id: a failure
 * after which the request may or may not have been logged, or surely was not, and that the same
 * request can overcome later. That is an edge refusal marked retriable (`kafka_unavailable`,
 * `overloaded`, `draining`, `rate_limited`, `timeout`), no ack in time (`timeout`), or a socket lost
 * before the ack (`connection_lost`). A room's decision (an error with `seq`) is final.
 */
export function isRetriableRequestFailure(type: string, error: SignalClientError): boolean {
  return !NOT_DEDUPLICATED.has(type) && error.retriable && error.seq === undefined;
}

/**
 * The default policy: retries retriable failures (see {@link isRetriableRequestFailure}) up to
 * `maxAttempts` attempts in all, with the reconnect schedule, never sooner than `retryAfterMs`.
 */
export class RetryRequests implements RequestRetryPolicy {
  readonly #maxAttempts: number;
  readonly #backoff: BackoffPolicy;

  constructor(options: RetryRequestsOptions = {}) {
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#backoff = options.backoff ?? new ExponentialBackoff({ maxElapsedMs: 30_000 });
    if (!Number.isInteger(this.#maxAttempts) || this.#maxAttempts < 1)
      throw new RangeError('maxAttempts must be an integer ≥ 1');
  }

  nextRequestDelayMs(ctx: RequestRetryContext): number | null {
    if (ctx.attempt >= this.#maxAttempts || !isRetriableRequestFailure(ctx.type, ctx.error)) return null;
    return this.#backoff.nextRetryDelayMs({
      attempt: ctx.attempt,
      elapsedMs: ctx.elapsedMs,
      // The backoff's context speaks of sockets: a lost one is 1006, a refusal "try again later".
      closeCode: ctx.error.code === 'connection_lost' ? 1006 : 1013,
      ...(ctx.error.retryAfterMs === undefined ? {} : { retryAfterMs: ctx.error.retryAfterMs }),
    });
  }
}

/** A policy that never retries: every failure rejects the request at once. */
export const NO_REQUEST_RETRY: RequestRetryPolicy = { nextRequestDelayMs: () => null };
