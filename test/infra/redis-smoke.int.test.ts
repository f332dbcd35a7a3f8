/** The Redis the tests get answers commands and delivers pub/sub messages (the services use both). */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomId } from '../support/ids.js';
import { testInfra } from '../support/infra.js';
import { waitFor } from '../support/wait.js';

describe('Redis', () => {
  let client: Redis;
  let subscriber: Redis;

  beforeAll(() => {
    client = new Redis(testInfra().redisUrl, { maxRetriesPerRequest: 1 });
    subscriber = new Redis(testInfra().redisUrl, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    await Promise.all([client.quit(), subscriber.quit()]);
  });

  test('stores a value with an expiry and reads it back', async () => {
    const key = randomId('key');
    await client.set(key, 'v1', 'PX', 60_000);
    expect(await client.get(key)).toBe('v1');
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await client.del(key)).toBe(1);
    expect(await client.get(key)).toBeNull();
  });

  test('delivers a published message to a subscriber', async () => {
    const channel = randomId('channel');
    const received: string[] = [];
    subscriber.on('message', (from: string, message: string) => {
      if (from === channel) received.push(message);
    });
    await subscriber.subscribe(channel);
    expect(await client.publish(channel, 'hello')).toBe(1);
    await waitFor(() => received.length > 0, { timeoutMs: 5_000, message: 'the published message' });
    expect(received).toEqual(['hello']);
  });
});
