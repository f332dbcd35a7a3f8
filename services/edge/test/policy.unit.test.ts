import { CLOSE_CODES } from '@sig/schemas';
import { describe, expect, test } from 'vitest';
import { connectionClosedFor, SERVER_CLOSES } from '../src/domain/close.js';
import { checkMessage, grantsForRoom, parseClaims, type RoomContext, type VideoGrant } from '../src/domain/grants.js';
import {
  drainPlan,
  invalidFrame,
  NO_STRIKES,
  pingDue,
  strike,
  sweepAction,
  sweepTickMs,
} from '../src/domain/liveness.js';
import { extractCredentials, originAllowed, requestedRoom } from '../src/domain/upgrade.js';

const video: VideoGrant = {
  room: 'r1',
  roomJoin: true,
  roomAdmin: false,
  canPublish: true,
  canSubscribe: true,
  canPublishData: true,
  hidden: false,
};
const joined: RoomContext = { identity: 'alice', room: 'r1', upgradeRoom: null, video };
const fresh: RoomContext = { ...joined, room: null };

describe('grant checks before logging', () => {
  test('join: room grant, roomJoin, one room per connection, the upgrade room', () => {
    expect(checkMessage({ type: 'join', room: 'r1' }, fresh)).toBeNull();
    expect(checkMessage({ type: 'join', room: 'r2' }, fresh)).toMatchObject({ code: 'forbidden' });
    expect(
      checkMessage({ type: 'join', room: 'r1' }, { ...fresh, video: { ...video, roomJoin: false } }),
    ).toMatchObject({ code: 'not_allowed' });
    expect(checkMessage({ type: 'join', room: 'r1' }, joined)).toMatchObject({ code: 'already_joined' });
    expect(checkMessage({ type: 'join', room: 'any' }, { ...fresh, video: { ...video, room: '*' } })).toBeNull();
    expect(
      checkMessage({ type: 'join', room: 'r2' }, { ...fresh, video: { ...video, room: '*' }, upgradeRoom: 'r1' }),
    ).toMatchObject({ code: 'forbidden' });
  });

  test('room-scoped messages before join → not_in_room', () => {
    expect(checkMessage({ type: 'leave' }, fresh)).toMatchObject({ code: 'not_in_room' });
    expect(checkMessage({ type: 'data', payload: 'x' }, fresh)).toMatchObject({ code: 'not_in_room' });
  });

  test('publish, subscribe, data and admin actions need their grants', () => {
    const none = { ...joined, video: { ...video, canPublish: false, canSubscribe: false, canPublishData: false } };
    expect(
      checkMessage({ type: 'publish', sdp: 'v=0', tracks: [{ trackId: 't', kind: 'audio' }] }, none),
    ).toMatchObject({ code: 'not_allowed' });
    expect(checkMessage({ type: 'subscribe', trackIds: ['t'] }, none)).toMatchObject({ code: 'not_allowed' });
    expect(checkMessage({ type: 'data', payload: 'x' }, none)).toMatchObject({ code: 'not_allowed' });
    expect(checkMessage({ type: 'publish', sdp: 'v=0', tracks: [{ trackId: 't', kind: 'audio' }] }, joined)).toBeNull();
    for (const msg of [
      { type: 'kick', identity: 'bob' },
      { type: 'update_room_metadata', metadata: 'm' },
      { type: 'update_permissions', identity: 'bob', grants: { canPublish: true } },
      { type: 'mute_track', identity: 'bob', trackId: 't', muted: true },
    ] as const) {
      expect(checkMessage(msg, joined)).toMatchObject({ code: 'not_allowed' });
      expect(checkMessage(msg, { ...joined, video: { ...video, roomAdmin: true } })).toBeNull();
    }
    expect(checkMessage({ type: 'mute_track', identity: 'alice', trackId: 't', muted: true }, joined)).toBeNull();
  });

  test('grants for a room the token does not cover are all false', () => {
    expect(grantsForRoom(video, 'r1').canPublish).toBe(true);
    expect(Object.values(grantsForRoom(video, 'r2')).every((g) => g === false)).toBe(true);
  });

  test('claims: LiveKit defaults, name falls back to the identity', () => {
    expect(parseClaims({ sub: 'a', exp: 10 })).toEqual({
      identity: 'a',
      name: 'a',
      metadata: '',
      expiresAt: 10_000,
      video: {
        room: null,
        roomJoin: false,
        roomAdmin: false,
        canPublish: true,
        canSubscribe: true,
        canPublishData: true,
        hidden: false,
      },
    });
    expect(typeof parseClaims({ sub: 'a', exp: 10, video: [] })).toBe('string');
  });
});

describe('upgrade request', () => {
  const base = { authorization: '', protocol: '', origin: '', query: '' };

  test('token from Authorization, the access_token subprotocol, or ?token=, in that order', () => {
    expect(extractCredentials({ ...base, authorization: 'Bearer abc', query: 'token=q' })).toEqual({
      token: 'abc',
      source: 'authorization',
      subprotocol: '',
    });
    expect(extractCredentials({ ...base, protocol: 'access_token, jwt1' })).toEqual({
      token: 'jwt1',
      source: 'subprotocol',
      subprotocol: 'access_token',
    });
    expect(extractCredentials({ ...base, query: 'room=r1&token=q' })).toEqual({
      token: 'q',
      source: 'query',
      subprotocol: '',
    });
    expect(extractCredentials(base)).toBeNull();
    // A browser that offered the subprotocol must get it echoed even when the header carried the token.
    expect(
      extractCredentials({ ...base, authorization: 'Bearer abc', protocol: 'access_token, jwt1' })?.subprotocol,
    ).toBe('access_token');
  });

  test('origin allow-list: empty allows all, otherwise exact (case-insensitive); no Origin is not a browser', () => {
    expect(originAllowed('https://evil.example', [])).toBe(true);
    expect(originAllowed('https://app.example', ['https://APP.example/'])).toBe(true);
    expect(originAllowed('https://evil.example', ['https://app.example'])).toBe(false);
    expect(originAllowed('', ['https://app.example'])).toBe(true);
  });

  test('?room= is validated like a room id', () => {
    expect(requestedRoom('')).toEqual({ valid: true, room: null });
    expect(requestedRoom('room=r-1.x')).toEqual({ valid: true, room: 'r-1.x' });
    expect(requestedRoom('room=bad%20room')).toEqual({ valid: false });
  });
});

describe('timing and abuse decisions', () => {
  const s = { heartbeatTimeoutMs: 15_000, tokenExpiryNoticeMs: 60_000 };
  const clock = { lastInboundAt: 0, tokenExpiresAt: 100_000, expiryNoticeSent: false };

  test('heartbeat timeout, then token expiry, then the expiry notice', () => {
    expect(sweepAction(clock, 14_999, s)).toBe('none');
    expect(sweepAction(clock, 15_000, s)).toBe('close_heartbeat_timeout');
    expect(sweepAction({ ...clock, lastInboundAt: 40_000 }, 40_000, s)).toBe('notice_token_expiring');
    expect(sweepAction({ ...clock, lastInboundAt: 40_000, expiryNoticeSent: true }, 40_000, s)).toBe('none');
    expect(sweepAction({ ...clock, lastInboundAt: 99_000 }, 100_000, s)).toBe('close_token_expired');
    expect(sweepTickMs(200)).toBe(200);
    expect(sweepTickMs(5000)).toBe(1000);
  });

  /** Ping times of one connection opened at `openAt`, swept every `tick` ms ± `drift` (alternating). */
  function pings(interval: number, openAt: number, drift: number, until: number): number[] {
    const tick = sweepTickMs(interval);
    const out: number[] = [];
    let last = openAt;
    for (let k = 1; k * tick <= until; k++) {
      const now = k * tick + (k % 2 === 0 ? drift : -drift);
      if (now <= openAt || !pingDue(last, now, interval, tick)) continue;
      last = now;
      out.push(now);
    }
    return out;
  }

  test('pings follow the heartbeat interval even when the sweep timer drifts', () => {
    // Tick == interval, sweeps alternately 1 ms early and late: one ping per interval, not every other.
    const fast = pings(200, 0, 1, 10_000);
    expect(fast).toHaveLength(50);
    for (const [i, t] of fast.entries()) if (i > 0) expect(t - fast[i - 1]!).toBeLessThanOrEqual(202);
    // Tick 1 s, interval 5 s, a connection opened mid-tick: gaps stay within interval ± tick/2.
    const slow = pings(5000, 300, 3, 60_000);
    expect(slow.length).toBeGreaterThanOrEqual(11);
    expect(slow[0]! - 300).toBeLessThanOrEqual(5000 + 500 + 3);
    for (const [i, t] of slow.entries()) {
      if (i === 0) continue;
      expect(t - slow[i - 1]!).toBeGreaterThanOrEqual(4500);
      expect(t - slow[i - 1]!).toBeLessThanOrEqual(5500 + 6);
    }
    // Never early by more than half a tick.
    expect(pingDue(0, 99, 200, 200)).toBe(false);
    expect(pingDue(0, 100, 200, 200)).toBe(true);
    expect(pingDue(0, 4499, 5000, 1000)).toBe(false);
  });

  test('invalid frames: the limit is tolerated, the next one closes', () => {
    let count = 0;
    for (let i = 0; i < 10; i++) {
      const r = invalidFrame(count, 10);
      expect(r.close).toBe(false);
      count = r.count;
    }
    expect(invalidFrame(count, 10).close).toBe(true);
  });

  test('rate-limit strikes accumulate while refusals keep coming, and are forgiven after a quiet period', () => {
    let strikes = NO_STRIKES;
    for (let i = 0; i < 3; i++) strikes = strike(strikes, 1000 + i, 3, 10_000).strikes;
    expect(strike(strikes, 1010, 3, 10_000).close).toBe(true);
    expect(strike(strikes, 20_000, 3, 10_000)).toEqual({ strikes: { count: 1, lastAt: 20_000 }, close: false });
  });

  test('the drain plan leaves a reserve for flushing within the deadline', () => {
    expect(drainPlan(30_000)).toEqual({ clientDeadlineMs: 25_000, reserveMs: 5000 });
    expect(drainPlan(2000)).toEqual({ clientDeadlineMs: 1500, reserveMs: 500 });
    const small = drainPlan(200);
    expect(small.clientDeadlineMs + small.reserveMs).toBeLessThanOrEqual(200);
  });
});

describe('close decisions', () => {
  test('close codes come from the protocol catalogue', () => {
    expect(SERVER_CLOSES.heartbeat_timeout.code).toBe(4006);
    expect(SERVER_CLOSES.slow_consumer.code).toBe(CLOSE_CODES.slow_consumer.code);
    expect(SERVER_CLOSES.draining.code).toBe(4005);
    expect(SERVER_CLOSES.invalid_frames.code).toBe(1008);
    expect(SERVER_CLOSES.message_too_big.code).toBe(1009);
    expect(SERVER_CLOSES.abuse.code).toBe(4008);
    expect(SERVER_CLOSES.kicked.code).toBe(4002);
    expect(SERVER_CLOSES.replaced.code).toBe(4003);
    expect(SERVER_CLOSES.token_expired.code).toBe(4001);
  });

  test('only a client close with 1000 is clean; server closes are unclean with their reason; ended sessions log nothing', () => {
    expect(connectionClosedFor({ by: 'client', code: 1000 })).toEqual({ reason: 'CLIENT_CLOSED', clean: true });
    expect(connectionClosedFor({ by: 'client', code: 1001 })).toEqual({ reason: 'CLIENT_CLOSED', clean: false });
    expect(connectionClosedFor({ by: 'client', code: 1006 })).toEqual({ reason: 'CLIENT_CLOSED', clean: false });
    expect(connectionClosedFor({ by: 'server', cause: 'heartbeat_timeout' })).toEqual({
      reason: 'HEARTBEAT_TIMEOUT',
      clean: false,
    });
    expect(connectionClosedFor({ by: 'server', cause: 'draining' })).toEqual({ reason: 'EDGE_DRAINING', clean: false });
    expect(connectionClosedFor({ by: 'server', cause: 'slow_consumer' })).toEqual({
      reason: 'SLOW_CONSUMER',
      clean: false,
    });
    expect(connectionClosedFor({ by: 'server', cause: 'kicked' })).toBeNull();
  });
});
