import { describe, expect, test } from 'vitest';
import { fullBucket, refill, take, type BucketLimits } from '../src/domain/token-bucket.js';

const limits: BucketLimits = { ratePerSec: 10, burst: 5 };

describe('token bucket', () => {
  test('a new bucket allows a full burst, then refuses with the time until the next token', () => {
    let bucket = fullBucket(limits, 1000);
    for (let i = 0; i < 5; i++) {
      const r = take(bucket, limits, 1000);
      expect(r.allowed).toBe(true);
      bucket = r.bucket;
    }
    const refused = take(bucket, limits, 1000);
    expect(refused).toEqual({ allowed: false, bucket: { tokens: 0, updatedAt: 1000 }, retryAfterMs: 100 });
  });

  test('tokens refill at the rate and never beyond the burst', () => {
    const empty = { tokens: 0, updatedAt: 0 };
    expect(refill(empty, limits, 250).tokens).toBeCloseTo(2.5);
    expect(refill(empty, limits, 60_000).tokens).toBe(5);
  });

  test('retryAfterMs is exact: retrying after it succeeds, a millisecond earlier does not', () => {
    const bucket = { tokens: 0.25, updatedAt: 0 };
    const refused = take(bucket, limits, 0);
    expect(refused.allowed).toBe(false);
    const wait = refused.allowed ? 0 : refused.retryAfterMs;
    expect(wait).toBe(75);
    expect(take(bucket, limits, wait - 1).allowed).toBe(false);
    expect(take(bucket, limits, wait).allowed).toBe(true);
  });

  test('a refusal keeps the refilled tokens (no double counting on retry)', () => {
    const r = take({ tokens: 0, updatedAt: 0 }, limits, 50);
    expect(r.allowed).toBe(false);
    expect(r.bucket).toEqual({ tokens: 0.5, updatedAt: 50 });
  });

  test('a clock that goes backwards adds no tokens', () => {
    const bucket = { tokens: 1, updatedAt: 1000 };
    expect(refill(bucket, limits, 500)).toBe(bucket);
  });

  test('a cost larger than one takes that many tokens', () => {
    const r = take(fullBucket(limits, 0), limits, 0, 3);
    expect(r.allowed && r.bucket.tokens).toBe(2);
  });
});
