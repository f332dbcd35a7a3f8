import {
  isServerMessage,
  RoomEventBodyTypes,
  type ParticipantInfo,
  type RoomEvent,
  type RoomEventBody,
  type ServerMessage,
} from '@sig/schemas';
import { describe, expect, test } from 'vitest';
import { renderDelivery, type ConnectionView, type RenderContext } from '../src/domain/render.js';

const grants = {
  roomJoin: true,
  roomAdmin: false,
  canPublish: true,
  canSubscribe: true,
  canPublishData: true,
  hidden: false,
};
const conn = { edgeId: 'edge-1', replySlot: 3, connectionId: 'c-1' };
const candidate = {
  candidate: 'candidate:1 1 udp 1 192.0.2.1 5 typ host',
  sdpMid: '0',
  sdpMLineIndex: 0,
  usernameFragment: null,
};
const cam = { trackId: 'cam', kind: 'VIDEO', source: 'CAMERA', muted: false, mid: '1' } as const;

function participant(sessionId: string, identity: string, extra: Partial<ParticipantInfo> = {}): ParticipantInfo {
  return {
    sessionId,
    identity,
    name: identity.toUpperCase(),
    metadata: '',
    joinedAt: 1000,
    tracks: [],
    status: 'CONNECTED',
    ...extra,
  };
}

function event(seq: number, body: RoomEventBody, requestId: string | null = null): RoomEvent {
  return {
    room: 'r1',
    seq,
    at: 1000 + seq,
    causation: { commandId: `cmd-${seq}`, requestId, sessionId: null },
    audience: { type: 'AudienceRoom', exclude: [] },
    body,
  };
}

const me: ConnectionView = { identity: 'alice', sessionId: 's-alice' };
const ctx: RenderContext = {
  joinExtras: () => ({
    iceServers: [{ urls: ['stun:stun.example.org'] }],
    heartbeat: { intervalMs: 5000, timeoutMs: 15000 },
    resumeWindow: { events: 1024, ms: 20000 },
  }),
};

function render(body: RoomEventBody, view: ConnectionView = me, requestId: string | null = null) {
  return renderDelivery([event(7, body, requestId)], 'LIVE', view, ctx);
}

/** The client message each room event body renders to (for the connection `me`); null = not sent. */
const CASES: Record<RoomEventBody['type'], [RoomEventBody, ServerMessage | null]> = {
  RoomOpened: [{ type: 'RoomOpened', maxParticipants: 100, emptyTimeoutMs: 300_000, departureTimeoutMs: 20_000 }, null],
  SfuAssigned: [{ type: 'SfuAssigned', workerId: 'w1', previousWorkerId: null }, null],
  SfuReleased: [{ type: 'SfuReleased', workerId: 'w1' }, null],
  RoomClosed: [
    { type: 'RoomClosed', reason: 'EMPTY_TIMEOUT' },
    { type: 'room_closed', seq: 7, reason: 'empty_timeout' },
  ],
  RoomMetadataChanged: [
    { type: 'RoomMetadataChanged', metadata: 'm', by: 'bob' },
    { type: 'room_updated', seq: 7, metadata: 'm' },
  ],
  ParticipantJoined: [
    {
      type: 'ParticipantJoined',
      participant: participant('s-bob', 'bob', { tracks: [cam] }),
      grants,
      connection: conn,
    },
    {
      type: 'participant_joined',
      seq: 7,
      participant: {
        sessionId: 's-bob',
        identity: 'bob',
        name: 'BOB',
        metadata: '',
        joinedAt: 1000,
        status: 'connected',
        tracks: [{ trackId: 'cam', kind: 'video', source: 'camera', muted: false }],
      },
    },
  ],
  JoinAccepted: [
    {
      type: 'JoinAccepted',
      self: participant('s-alice', 'alice'),
      participants: [participant('s-bob', 'bob', { status: 'RECONNECTING' })],
      roomMetadata: 'rm',
      replaced: null,
    },
    {
      type: 'joined',
      seq: 7,
      room: 'r1',
      sessionId: 's-alice',
      self: {
        sessionId: 's-alice',
        identity: 'alice',
        name: 'ALICE',
        metadata: '',
        joinedAt: 1000,
        status: 'connected',
        tracks: [],
      },
      participants: [
        {
          sessionId: 's-bob',
          identity: 'bob',
          name: 'BOB',
          metadata: '',
          joinedAt: 1000,
          status: 'reconnecting',
          tracks: [],
        },
      ],
      roomMetadata: 'rm',
      iceServers: [{ urls: ['stun:stun.example.org'] }],
      heartbeat: { intervalMs: 5000, timeoutMs: 15000 },
      resumeWindow: { events: 1024, ms: 20000 },
    },
  ],
  ParticipantResumed: [
    { type: 'ParticipantResumed', sessionId: 's-alice', connection: conn, lastSeq: 3 },
    { type: 'resumed', seq: 7, sessionId: 's-alice', replayed: 0 },
  ],
  ResumeRejected: [
    { type: 'ResumeRejected', sessionId: 's-old', reason: 'WINDOW_EXCEEDED' },
    { type: 'resume_failed', seq: 7, sessionId: 's-old', reason: 'window_exceeded' },
  ],
  ParticipantConnectionChanged: [
    {
      type: 'ParticipantConnectionChanged',
      sessionId: 's-bob',
      identity: 'bob',
      status: 'RECONNECTING',
      reason: 'HEARTBEAT_TIMEOUT',
    },
    { type: 'participant_updated', seq: 7, sessionId: 's-bob', identity: 'bob', status: 'reconnecting' },
  ],
  ParticipantLeft: [
    { type: 'ParticipantLeft', sessionId: 's-bob', identity: 'bob', reason: 'DEPARTURE_TIMEOUT' },
    { type: 'participant_left', seq: 7, sessionId: 's-bob', identity: 'bob', reason: 'departure_timeout' },
  ],
  ParticipantUpdated: [
    { type: 'ParticipantUpdated', sessionId: 's-bob', identity: 'bob', name: 'Robert', metadata: null, grants: null },
    { type: 'participant_updated', seq: 7, sessionId: 's-bob', identity: 'bob', name: 'Robert' },
  ],
  TrackPublished: [
    { type: 'TrackPublished', sessionId: 's-bob', identity: 'bob', track: cam },
    {
      type: 'track_published',
      seq: 7,
      sessionId: 's-bob',
      identity: 'bob',
      track: { trackId: 'cam', kind: 'video', source: 'camera', muted: false },
    },
  ],
  TrackUnpublished: [
    { type: 'TrackUnpublished', sessionId: 's-bob', identity: 'bob', trackId: 'cam' },
    { type: 'track_unpublished', seq: 7, sessionId: 's-bob', trackId: 'cam' },
  ],
  TrackMuted: [
    { type: 'TrackMuted', sessionId: 's-bob', identity: 'bob', trackId: 'cam', muted: true, by: 'admin' },
    { type: 'track_muted', seq: 7, sessionId: 's-bob', trackId: 'cam', muted: true, by: 'admin' },
  ],
  PeerSignalRelayed: [
    {
      type: 'PeerSignalRelayed',
      from: 's-bob',
      fromIdentity: 'bob',
      to: 's-alice',
      kind: 'CANDIDATE',
      sdp: null,
      candidate,
    },
    { type: 'signal', seq: 7, from: 'bob', fromSessionId: 's-bob', kind: 'candidate', candidate },
  ],
  DataRelayed: [
    { type: 'DataRelayed', from: 's-bob', fromIdentity: 'bob', payload: 'hello', topic: 'chat' },
    { type: 'data', seq: 7, from: 'bob', fromSessionId: 's-bob', payload: 'hello', topic: 'chat' },
  ],
  MediaSignal: [
    { type: 'MediaSignal', sessionId: 's-alice', transport: 'PUBLISHER', kind: 'ANSWER', sdp: 'v=0', candidate: null },
    { type: 'media_signal', seq: 7, transport: 'publisher', kind: 'answer', sdp: 'v=0' },
  ],
  SubscriptionChanged: [
    { type: 'SubscriptionChanged', sessionId: 's-alice', trackIds: ['s-bob/cam'] },
    { type: 'subscription_changed', seq: 7, trackIds: ['s-bob/cam'] },
  ],
  MediaReset: [
    { type: 'MediaReset', reason: 'worker failover' },
    { type: 'media_reset', seq: 7, reason: 'worker failover' },
  ],
  CommandRejected: [
    {
      type: 'CommandRejected',
      commandId: 'cmd-7',
      code: 'room_full',
      message: 'the room is full',
      commandType: 'Join',
    },
    { type: 'error', id: 'req-7', code: 'room_full', message: 'the room is full', retriable: false, seq: 7 },
  ],
};

describe('room event → client message', () => {
  test('every room event type has a rendering case', () => {
    expect(Object.keys(CASES).sort()).toEqual([...RoomEventBodyTypes].sort());
  });

  for (const [type, [body, expected]] of Object.entries(CASES)) {
    test(`${type} → ${expected?.type ?? 'nothing'}`, () => {
      const out = render(body, me, 'req-7');
      if (expected === null) return expect(out.messages).toEqual([]);
      expect(out.messages[0]).toEqual(expected);
      // Valid against the protocol's own server schemas, not just our expectation.
      for (const m of out.messages) expect(isServerMessage(m), JSON.stringify(m)).toBe(true);
      if ('seq' in expected) expect(out.messages[0]).toHaveProperty('seq', 7);
    });
  }

  test('JoinAccepted gives the connection its session; ParticipantResumed too', () => {
    expect(render(CASES.JoinAccepted[0], { identity: 'alice', sessionId: null }).sessionId).toBe('s-alice');
    expect(render(CASES.ParticipantResumed[0], { identity: 'alice', sessionId: null }).sessionId).toBe('s-alice');
  });

  test('kicked: participant_left, then notice kicked, then close 4002; the room is left', () => {
    const out = render({ type: 'ParticipantLeft', sessionId: 's-alice', identity: 'alice', reason: 'KICKED' });
    expect(out.messages.map((m) => m.type)).toEqual(['participant_left', 'notice']);
    expect(out.messages[1]).toMatchObject({ kind: 'kicked' });
    expect(out).toMatchObject({ close: 'kicked', leftRoom: true, sessionId: null });
  });

  test('replaced by a newer session: participant_left then close 4003; another participant leaving closes nothing', () => {
    expect(
      render({ type: 'ParticipantLeft', sessionId: 's-alice', identity: 'alice', reason: 'REPLACED' }),
    ).toMatchObject({ close: 'replaced', leftRoom: true });
    expect(render(CASES.ParticipantLeft[0]).close).toBeUndefined();
  });

  test('a RESUME delivery replays the missed events in order, then resumed {replayed}', () => {
    const events = [
      event(5, CASES.TrackPublished[0]),
      event(6, CASES.RoomOpened[0]),
      event(7, CASES.DataRelayed[0]),
      event(8, { type: 'ParticipantResumed', sessionId: 's-alice', connection: conn, lastSeq: 4 }),
    ];
    const out = renderDelivery(events, 'RESUME', { identity: 'alice', sessionId: null }, ctx);
    expect(out.messages.map((m) => [m.type, 'seq' in m ? m.seq : undefined])).toEqual([
      ['track_published', 5],
      ['data', 7],
      ['resumed', 8],
    ]);
    expect(out.messages[2]).toMatchObject({ replayed: 2 });
    expect(out.sessionId).toBe('s-alice');
  });

  test('a refused join frees the connection to join again; a refused message of a joined session does not', () => {
    const rejected = (commandType: string): RoomEventBody => ({
      type: 'CommandRejected',
      commandId: 'c',
      code: 'room_full',
      message: 'full',
      commandType,
    });
    expect(render(rejected('Join'), { identity: 'alice', sessionId: null }).leftRoom).toBe(true);
    expect(render(rejected('Publish')).leftRoom).toBe(false);
    expect(render(CASES.ResumeRejected[0], { identity: 'alice', sessionId: null }).leftRoom).toBe(true);
  });

  test('a rejection without a request id has no id; retriable comes from the catalogue', () => {
    const out = render({
      type: 'CommandRejected',
      commandId: 'c',
      code: 'sfu_unavailable',
      message: 'no worker',
      commandType: 'Publish',
    });
    expect(out.messages[0]).toEqual({
      type: 'error',
      code: 'sfu_unavailable',
      message: 'no worker',
      retriable: true,
      seq: 7,
    });
  });

  test('room closed ends the session with 1000', () => {
    expect(render(CASES.RoomClosed[0])).toMatchObject({ close: 'room_closed', leftRoom: true });
  });

  test("the room changing this connection's own grants is reported; others' are not", () => {
    const newGrants = { ...grants, canPublish: false };
    expect(
      render({
        type: 'ParticipantUpdated',
        sessionId: 's-alice',
        identity: 'alice',
        name: null,
        metadata: null,
        grants: newGrants,
      }).grants,
    ).toEqual(newGrants);
    expect(
      render({
        type: 'ParticipantUpdated',
        sessionId: 's-bob',
        identity: 'bob',
        name: null,
        metadata: null,
        grants: newGrants,
      }).grants,
    ).toBeUndefined();
  });

  test('tracks of a kind this reader does not know are left out, not mislabelled', () => {
    const unknown = { ...cam, kind: 'UNKNOWN' } as const;
    expect(render({ type: 'TrackPublished', sessionId: 's-bob', identity: 'bob', track: unknown }).messages).toEqual(
      [],
    );
  });
});
