/**
 * Token-bucket math for rate limits. Pure: the caller passes `now`, so the same inputs always
 * give the same answer and tests need no clock. The Redis script in adapters/rate-limiter.ts
 * implements the same refill-then-take rule for the per-identity bucket shared by all edges.
 */

/** A bucket's state: tokens available at `updatedAt` (milliseconds). */
export interface TokenBucket {
  readonly tokens: number;
  readonly updatedAt: number;
}

/** Sustained rate and burst size of a bucket. */
export interface BucketLimits {
  readonly ratePerSec: number;
  readonly burst: number;
}

/** Outcome of `take`: the new bucket, and when refused, how long until `cost` tokens are back. */
export type TakeResult =
  | { readonly allowed: true; readonly bucket: TokenBucket }
  | { readonly allowed: false; readonly bucket: TokenBucket; readonly retryAfterMs: number };

/** A full bucket: a new connection may burst immediately. */
export function fullBucket(limits: BucketLimits, now: number): TokenBucket {
  return { tokens: limits.burst, updatedAt: now };
}

/** Tokens accrued since `updatedAt`, capped at the burst. A clock that went backwards adds nothing. */
export function refill(bucket: TokenBucket, limits: BucketLimits, now: number): TokenBucket {
  const elapsed = now - bucket.updatedAt;
  if (elapsed <= 0) return bucket;
  return { tokens: Math.min(limits.burst, bucket.tokens + (elapsed * limits.ratePerSec) / 1000), updatedAt: now };
}

/** Refills, then takes `cost` tokens if they are there; a refusal leaves the tokens untouched. */
export function take(bucket: TokenBucket, limits: BucketLimits, now: number, cost = 1): TakeResult {
  const current = refill(bucket, limits, now);
  if (current.tokens >= cost)
    return { allowed: true, bucket: { tokens: current.tokens - cost, updatedAt: current.updatedAt } };
  const missing = cost - current.tokens;
  // Ceil: retrying after a rounded-down delay would be refused again.
  const retryAfterMs =
    limits.ratePerSec > 0 ? Math.ceil((missing * 1000) / limits.ratePerSec) : Number.MAX_SAFE_INTEGER;
  return { allowed: false, bucket: current, retryAfterMs };
}
