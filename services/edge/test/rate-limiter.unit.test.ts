import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { IdentityRateLimiter, identityKey, TAKE_SCRIPT } from '../src/adapters/rate-limiter.js';

/** A Redis stand-in: `rlTake` answers from `reply`, or throws like ioredis does when Redis is gone. */
function fakeRedis(reply: () => [number, number]) {
  const calls: unknown[][] = [];
  const redis = {
    defineCommand(name: string, def: { lua: string }) {
      expect(name).toBe('rlTake');
      expect(def.lua).toBe(TAKE_SCRIPT);
      (redis as Record<string, unknown>)['rlTake'] = (...args: unknown[]) => {
        calls.push(args);
        return Promise.resolve().then(reply);
      };
    },
  };
  return { redis: redis as unknown as Redis, calls };
}

function logLines() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) },
  );
  return { logger, lines };
}

describe('shared identity rate limit', () => {
  test('asks Redis with the identity key, rate and burst; passes its refusal through', async () => {
    const { redis, calls } = fakeRedis(() => [0, 250]);
    const { logger } = logLines();
    const limiter = new IdentityRateLimiter(
      redis,
      { ratePerSec: 4, burst: 8 },
      logger,
      new Counter({ name: 'x1', help: 'x', registers: [new Registry()] }),
    );
    expect(await limiter.take('alice')).toEqual({ allowed: false, retryAfterMs: 250 });
    expect(calls).toEqual([[identityKey('alice'), 4, 8, 1]]);
    expect(identityKey('alice')).toBe('rl:id:alice');
  });

  test('fails open when Redis does not answer: counted every time, logged once per outage', async () => {
    let down = true;
    const { redis } = fakeRedis(() => {
      if (down) throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
      return [1, 0];
    });
    const { logger, lines } = logLines();
    const registry = new Registry();
    const failOpen = new Counter({ name: 'fail_open', help: 'x', registers: [registry] });
    const limiter = new IdentityRateLimiter(redis, { ratePerSec: 1, burst: 1 }, logger, failOpen);
    for (let i = 0; i < 3; i++) expect(await limiter.take('alice')).toEqual({ allowed: true, degraded: true });
    expect((await failOpen.get()).values[0]?.value).toBe(3);
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    down = false;
    expect(await limiter.take('alice')).toEqual({ allowed: true, degraded: false });
    expect(lines.at(-1)?.msg).toBe('shared rate limit restored');
  });
});
