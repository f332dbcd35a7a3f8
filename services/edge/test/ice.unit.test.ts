import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { iceGrantFor, iceRefreshDue, turnCredentials } from '../src/domain/ice.js';
import { defaultReplySlot, fnv1a32 } from '../src/domain/reply-slot.js';

describe('TURN REST credentials', () => {
  test('username is <expiry seconds>:<identity>, credential base64(HMAC-SHA1(secret, username))', () => {
    // Expected value computed outside this code base:
    //   printf '1700003600:alice' | openssl dgst -sha1 -hmac 'turn-shared-secret' -binary | base64
    const creds = turnCredentials('turn-shared-secret', 'alice', 1_700_000_000_000, 3_600_000);
    expect(creds).toEqual({ username: '1700003600:alice', credential: 'NT6MdRpcXYd2/BSFDz9lHArmh+Y=' });
  });

  test('agrees with node:crypto for an identity with a colon and non-ASCII characters', () => {
    const creds = turnCredentials('s3cret', 'user:é', 1_000_500, 60_000);
    expect(creds.username).toBe('1060:user:é');
    expect(creds.credential).toBe(createHmac('sha1', 's3cret').update('1060:user:é', 'utf8').digest('base64'));
  });

  test('ICE servers: STUN as is, TURN only with a secret', () => {
    const base = {
      stunUrls: ['stun:stun.example.org:3478'],
      turnUrls: ['turn:turn.example.org:3478?transport=udp'],
      turnTtlMs: 3_600_000,
    };
    expect(iceGrantFor({ ...base, turnSecret: undefined }, 'bob', 0)).toEqual({
      iceServers: [{ urls: ['stun:stun.example.org:3478'] }],
      expiresAt: null,
    });
    const grant = iceGrantFor({ ...base, turnSecret: 'x' }, 'bob', 0);
    expect(grant.iceServers[1]).toEqual({
      urls: ['turn:turn.example.org:3478?transport=udp'],
      ...turnCredentials('x', 'bob', 0, 3_600_000),
    });
    expect(grant.expiresAt).toBe(3_600_000);
    expect(iceGrantFor({ stunUrls: [], turnUrls: [], turnSecret: undefined, turnTtlMs: 1 }, 'bob', 0)).toEqual({
      iceServers: [],
      expiresAt: null,
    });
  });

  test('credentials are refreshed a quarter of their TTL before they expire', () => {
    const ttl = 3_600_000;
    const expiresAt = 10_000_000 + ttl;
    expect(iceRefreshDue(expiresAt, ttl, expiresAt - ttl / 4 - 1)).toBe(false);
    expect(iceRefreshDue(expiresAt, ttl, expiresAt - ttl / 4)).toBe(true);
    expect(iceRefreshDue(expiresAt, ttl, expiresAt + 1)).toBe(true);
  });
});

describe('reply slot', () => {
  test('FNV-1a matches the reference test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  test('the default slot is stable and within the partition count', () => {
    expect(defaultReplySlot('edge-1', 64)).toBe(defaultReplySlot('edge-1', 64));
    const slots = new Set(Array.from({ length: 200 }, (_, i) => defaultReplySlot(`edge-${i}`, 64)));
    expect([...slots].every((s) => Number.isInteger(s) && s >= 0 && s < 64)).toBe(true);
    // 200 edges over 64 slots: a decent hash uses most of them.
    expect(slots.size).toBeGreaterThan(50);
    expect(() => defaultReplySlot('edge-1', 0)).toThrow(RangeError);
  });
});
