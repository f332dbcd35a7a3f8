import { describe, expect, it } from 'vitest';
import { ExponentialBackoff, NO_RECONNECT, type RetryContext } from '../src/backoff.js';

const ctx = (attempt: number, elapsedMs = 0, extra: Partial<RetryContext> = {}): RetryContext => ({
  attempt,
  elapsedMs,
  closeCode: 1006,
  ...extra,
});

describe('ExponentialBackoff', () => {
  it('follows the protocol schedule 0, 0.3, 1.2, 2.7, 4.8 s then 7 s without jitter', () => {
    const policy = new ExponentialBackoff({ jitter: 0 });
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((a) => policy.nextRetryDelayMs(ctx(a)))).toEqual([
      0, 300, 1200, 2700, 4800, 7000, 7000, 7000,
    ]);
  });

  it('spreads delays by ±jitter around the nominal value', () => {
    const low = new ExponentialBackoff({ jitter: 0.3, random: () => 0 });
    const high = new ExponentialBackoff({ jitter: 0.3, random: () => 0.999999 });
    expect(low.nextRetryDelayMs(ctx(2))).toBe(840);
    expect(high.nextRetryDelayMs(ctx(2))).toBe(1560);
    const random = new ExponentialBackoff();
    for (let i = 0; i < 200; i++) {
      const d = random.nextRetryDelayMs(ctx(3))!;
      expect(d).toBeGreaterThanOrEqual(1890);
      expect(d).toBeLessThanOrEqual(3510);
    }
  });

  it('gives up (null) once the connection has been lost for maxElapsedMs', () => {
    const policy = new ExponentialBackoff({ maxElapsedMs: 30_000, jitter: 0 });
    expect(policy.nextRetryDelayMs(ctx(9, 29_999))).toBe(7000);
    expect(policy.nextRetryDelayMs(ctx(10, 30_000))).toBeNull();
  });

  it('never retries sooner than the server asked', () => {
    expect(new ExponentialBackoff({ jitter: 0 }).nextRetryDelayMs(ctx(1, 0, { retryAfterMs: 2500 }))).toBe(2500);
  });

  it('rejects a jitter outside [0, 1]', () => {
    expect(() => new ExponentialBackoff({ jitter: 1.5 })).toThrow(RangeError);
  });

  it('NO_RECONNECT always gives up', () => {
    expect(NO_RECONNECT.nextRetryDelayMs(ctx(0))).toBeNull();
  });
});
