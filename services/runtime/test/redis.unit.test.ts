import { describe, expect, it } from 'vitest';
import { defaultRedisReconnectPolicy, redisRetryStrategy } from '../src/redis.js';
import { fixedSchedule } from '../src/retry.js';

describe('redisRetryStrategy', () => {
  it('feeds ioredis attempt counts and outage time to the policy, and resets after reconnecting', () => {
    let now = 1000;
    const seen: [number, number][] = [];
    const { retryStrategy, reset } = redisRetryStrategy(
      {
        nextRetryDelayMs: ({ attempt, elapsedMs }) => {
          seen.push([attempt, elapsedMs]);
          return attempt < 2 ? 10 : null;
        },
      },
      () => now,
    );
    expect(retryStrategy(1)).toBe(10);
    now += 500;
    expect(retryStrategy(2)).toBe(10);
    now += 500;
    expect(retryStrategy(3)).toBeNull();
    reset();
    now += 10_000;
    retryStrategy(1);
    expect(seen).toEqual([
      [0, 0],
      [1, 500],
      [2, 1000],
      [0, 0],
    ]);
  });

  it('never gives up by default and caps the delay', () => {
    const policy = defaultRedisReconnectPolicy();
    for (const attempt of [0, 1, 10, 1000]) {
      const delay = policy.nextRetryDelayMs({ attempt, elapsedMs: attempt * 2000 });
      expect(delay).not.toBeNull();
      expect(delay).toBeLessThanOrEqual(2000);
    }
  });

  it('stops reconnecting when a bounded policy gives up', () => {
    const { retryStrategy } = redisRetryStrategy(fixedSchedule([100, 200]));
    expect([1, 2, 3].map(retryStrategy)).toEqual([100, 200, null]);
  });
});
