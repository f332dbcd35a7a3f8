import { describe, expect, test } from 'vitest';
import { parseBrokers, parseRedisUrl } from '../src/index.js';
import { cacheDir } from '../src/paths.js';

describe('parseBrokers', () => {
  test('splits and trims a comma-separated list', () => {
    expect(parseBrokers(' 127.0.0.1:19092, kafka-2:9092 ')).toEqual(['127.0.0.1:19092', 'kafka-2:9092']);
  });

  test.each(['', ',', 'localhost', 'localhost:port', 'a:1,b'])('rejects %j naming the variable', (value) => {
    expect(() => parseBrokers(value)).toThrow(/^KAFKA_BROKERS must be host:port/);
  });
});

describe('parseRedisUrl', () => {
  test('accepts redis:// and rediss:// URLs', () => {
    expect(parseRedisUrl('redis://127.0.0.1:16379')).toBe('redis://127.0.0.1:16379');
    expect(parseRedisUrl('rediss://user:pw@cache:6380/2')).toBe('rediss://user:pw@cache:6380/2');
  });

  test.each(['127.0.0.1:6379', 'http://cache:6379'])('rejects %j naming the variable', (value) => {
    expect(() => parseRedisUrl(value)).toThrow(/^REDIS_URL must/);
  });
});

describe('cacheDir', () => {
  test('follows SIG_CACHE_DIR, then XDG_CACHE_HOME, like ensure-node.sh (empty counts as unset)', () => {
    expect(cacheDir({ SIG_CACHE_DIR: '/c' })).toBe('/c');
    expect(cacheDir({ SIG_CACHE_DIR: '', XDG_CACHE_HOME: '/x' })).toBe('/x/kafka-signaling');
  });
});
