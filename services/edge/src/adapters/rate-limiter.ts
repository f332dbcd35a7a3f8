/**
 * The per-identity token bucket, shared by every edge through Redis: one atomic Lua script
 * refills and takes, so two edges serving the same identity cannot both spend the same token.
 * The script reads Redis' own clock (TIME), so edges with skewed clocks still agree.
 *
 * Availability over strictness: when Redis does not answer, the limiter fails open and the edge
 * falls back to the per-connection bucket alone. A Redis outage must not take signaling down; it
 * only weakens the cross-edge limit for its duration. Each fallback is counted, and logged once
 * per outage.
 */
import type { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import type { Logger } from '@sig/runtime';
import type { BucketLimits } from '../domain/token-bucket.js';

/** KEYS[1] = bucket; ARGV = rate per second, burst, cost. Returns {allowed (0|1), retryAfterMs}. */
export const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate / 1000)
  at = now
end
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = math.ceil((cost - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, retry}
`;

/** Answer of the shared limiter. `degraded` = Redis did not answer and the request was let through. */
export type SharedTake =
  { readonly allowed: true; readonly degraded: boolean } | { readonly allowed: false; readonly retryAfterMs: number };

type RedisWithTake = Redis & {
  rlTake(key: string, rate: number, burst: number, cost: number): Promise<[number, number]>;
};

/** The Redis key of an identity's bucket. */
export function identityKey(identity: string): string {
  return `rl:id:${identity}`;
}

/** Per-identity limiter over Redis, failing open. */
export class IdentityRateLimiter {
  readonly #redis: RedisWithTake;
  #outage = false;

  constructor(
    redis: Redis,
    private readonly limits: BucketLimits,
    private readonly logger: Logger,
    private readonly failOpen: Counter<string>,
  ) {
    if (!('rlTake' in redis)) redis.defineCommand('rlTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    this.#redis = redis as RedisWithTake;
  }

  /** Takes `cost` tokens from `identity`'s bucket. Never rejects. */
  async take(identity: string, cost = 1): Promise<SharedTake> {
    try {
      const [allowed, retryAfterMs] = await this.#redis.rlTake(
        identityKey(identity),
        this.limits.ratePerSec,
        this.limits.burst,
        cost,
      );
      if (this.#outage) {
        this.#outage = false;
        this.logger.info('shared rate limit restored');
      }
      return allowed === 1 ? { allowed: true, degraded: false } : { allowed: false, retryAfterMs };
    } catch (err) {
      this.failOpen.inc();
      if (!this.#outage) {
        this.#outage = true;
        this.logger.warn({ err }, 'shared rate limit unavailable (Redis): falling back to per-connection limits');
      }
      return { allowed: true, degraded: true };
    }
  }
}
