import {
  AvroCodec,
  CLIENT_MESSAGE_TYPES,
  parseClientMessage,
  SchemaSet,
  type ClientMessage,
  type CommandBody,
} from '@sig/schemas';
import { describe, expect, test } from 'vitest';
import {
  buildCommand,
  EDGE_LOCAL_TYPES,
  isEdgeLocal,
  toCommandBody,
  type LoggedMessage,
  type LoggedType,
} from '../src/domain/commands.js';

const candidate = { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host', sdpMid: '0', sdpMLineIndex: 0 };
const avroCandidate = { ...candidate, usernameFragment: null };

/** One realistic message per logged type, and the command body it must become. */
const CASES: { readonly [K in LoggedType]: readonly [Extract<ClientMessage, { type: K }>, CommandBody][] } = {
  join: [
    [
      { type: 'join', room: 'r1' },
      { type: 'Join', metadata: '', resume: null },
    ],
    [
      { type: 'join', id: 'j', room: 'r1', metadata: '{"a":1}', resume: { sessionId: 's-1', lastSeq: 41 } },
      { type: 'Join', metadata: '{"a":1}', resume: { sessionId: 's-1', lastSeq: 41 } },
    ],
  ],
  leave: [[{ type: 'leave' }, { type: 'Leave' }]],
  signal: [
    [
      { type: 'signal', to: 'bob', kind: 'offer', sdp: 'v=0' },
      { type: 'PeerSignal', to: 'bob', kind: 'OFFER', sdp: 'v=0', candidate: null },
    ],
    [
      { type: 'signal', to: 'bob', kind: 'candidate', candidate },
      { type: 'PeerSignal', to: 'bob', kind: 'CANDIDATE', sdp: null, candidate: avroCandidate },
    ],
    [
      { type: 'signal', to: 'bob', kind: 'end_of_candidates' },
      { type: 'PeerSignal', to: 'bob', kind: 'END_OF_CANDIDATES', sdp: null, candidate: null },
    ],
  ],
  publish: [
    [
      {
        type: 'publish',
        sdp: 'v=0',
        tracks: [
          { trackId: 'mic', kind: 'audio', source: 'microphone' },
          { trackId: 'cam', kind: 'video' },
        ],
      },
      {
        type: 'Publish',
        sdp: 'v=0',
        tracks: [
          { trackId: 'mic', kind: 'AUDIO', source: 'MICROPHONE', muted: false, mid: null },
          { trackId: 'cam', kind: 'VIDEO', source: 'UNKNOWN', muted: false, mid: null },
        ],
      },
    ],
  ],
  unpublish: [
    [
      { type: 'unpublish', trackIds: ['mic'] },
      { type: 'Unpublish', trackIds: ['mic'] },
    ],
  ],
  subscribe: [
    [
      { type: 'subscribe', trackIds: ['s-2/cam'] },
      { type: 'Subscribe', trackIds: ['s-2/cam'] },
    ],
  ],
  unsubscribe: [
    [
      { type: 'unsubscribe', trackIds: ['s-2/cam'] },
      { type: 'Unsubscribe', trackIds: ['s-2/cam'] },
    ],
  ],
  media_sdp: [
    [
      { type: 'media_sdp', transport: 'subscriber', sdpType: 'answer', sdp: 'v=0' },
      { type: 'MediaSdp', transport: 'SUBSCRIBER', sdpType: 'ANSWER', sdp: 'v=0' },
    ],
    [
      { type: 'media_sdp', transport: 'publisher', sdpType: 'offer', sdp: 'v=0' },
      { type: 'MediaSdp', transport: 'PUBLISHER', sdpType: 'OFFER', sdp: 'v=0' },
    ],
  ],
  media_candidate: [
    [
      { type: 'media_candidate', transport: 'publisher', candidate },
      { type: 'MediaCandidate', transport: 'PUBLISHER', candidate: avroCandidate },
    ],
    [
      { type: 'media_candidate', transport: 'subscriber', candidate: null },
      { type: 'MediaCandidate', transport: 'SUBSCRIBER', candidate: null },
    ],
  ],
  restart_ice: [[{ type: 'restart_ice' }, { type: 'RestartIce' }]],
  data: [
    [
      { type: 'data', payload: 'hi' },
      { type: 'SendData', to: [], payload: 'hi', topic: null },
    ],
    [
      { type: 'data', payload: 'hi', to: ['bob'], topic: 'chat' },
      { type: 'SendData', to: ['bob'], payload: 'hi', topic: 'chat' },
    ],
  ],
  update_metadata: [
    [
      { type: 'update_metadata', name: 'Alice' },
      { type: 'UpdateMetadata', name: 'Alice', metadata: null },
    ],
    [
      { type: 'update_metadata', metadata: 'm' },
      { type: 'UpdateMetadata', name: null, metadata: 'm' },
    ],
  ],
  kick: [
    [
      { type: 'kick', identity: 'bob' },
      { type: 'KickParticipant', identity: 'bob' },
    ],
  ],
  mute_track: [
    [
      { type: 'mute_track', identity: 'bob', trackId: 'mic', muted: true },
      { type: 'MuteTrack', identity: 'bob', trackId: 'mic', muted: true },
    ],
  ],
  update_permissions: [
    [
      {
        type: 'update_permissions',
        identity: 'bob',
        grants: { canPublish: false, canSubscribe: true, canPublishData: false, roomAdmin: false, hidden: false },
      },
      {
        type: 'UpdatePermissions',
        identity: 'bob',
        grants: { roomAdmin: false, canPublish: false, canSubscribe: true, canPublishData: false, hidden: false },
      },
    ],
    // Absent = unchanged: logged as null, the projector keeps the current value.
    [
      { type: 'update_permissions', identity: 'bob', grants: { canPublish: false } },
      {
        type: 'UpdatePermissions',
        identity: 'bob',
        grants: { roomAdmin: null, canPublish: false, canSubscribe: null, canPublishData: null, hidden: null },
      },
    ],
  ],
  update_room_metadata: [
    [
      { type: 'update_room_metadata', metadata: 'topic: standup' },
      { type: 'UpdateRoomMetadata', metadata: 'topic: standup' },
    ],
  ],
};

const codec = new AvroCodec(SchemaSet.load(), 'signal.Command');
const origin = {
  edgeId: 'edge-1',
  replySlot: 7,
  connectionId: 'c-1',
  identity: 'alice',
  name: 'Alice',
  grants: {
    roomJoin: true,
    roomAdmin: false,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    hidden: false,
  },
  tokenExpiresAt: 1_700_000_000_000,
};

describe('client message → command', () => {
  test('every client message type is either mapped or edge-local', () => {
    const mapped = Object.keys(CASES);
    expect([...mapped, ...EDGE_LOCAL_TYPES].sort()).toEqual([...CLIENT_MESSAGE_TYPES].sort());
  });

  for (const [type, cases] of Object.entries(CASES) as [LoggedType, readonly [LoggedMessage, CommandBody][]][]) {
    test(`${type} maps to its Avro body, and the command round-trips through the codec`, () => {
      for (const [message, expected] of cases) {
        // The samples are real protocol messages, not just shapes TypeScript accepts.
        expect(parseClientMessage(JSON.stringify(message), 65_536)).toMatchObject({ ok: true });
        expect(isEdgeLocal(message)).toBe(false);
        const body = toCommandBody(message);
        expect(body).toEqual(expected);
        const command = buildCommand('r1', body, origin, {
          commandId: 'cmd-1',
          receivedAt: 1_700_000_000_123,
          requestId: message.id ?? null,
        });
        expect(codec.decode(codec.encode(command))).toEqual(command);
      }
    });
  }

  test('ping, pong and refresh_token are edge-local (never logged)', () => {
    expect(isEdgeLocal({ type: 'ping', ts: 1 })).toBe(true);
    expect(isEdgeLocal({ type: 'pong', ts: 1 })).toBe(true);
    expect(isEdgeLocal({ type: 'refresh_token', token: 'x' })).toBe(true);
  });

  test('the command carries the client source: edge, reply slot, connection, identity, grants, request id, token expiry', () => {
    const command = buildCommand('r9', { type: 'Leave' }, origin, {
      commandId: 'cmd-2',
      receivedAt: 5,
      requestId: 'req-1',
    });
    expect(command).toEqual({
      commandId: 'cmd-2',
      room: 'r9',
      receivedAt: 5,
      source: { type: 'ClientSource', ...origin, requestId: 'req-1' },
      body: { type: 'Leave' },
    });
  });
});
