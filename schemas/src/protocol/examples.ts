/**
 * One valid example of every message. Tests check each against its schema; docs/protocol.md and
 * the AsyncAPI document show them, so the documentation's examples cannot go stale.
 */
import type { ClientMessageOf, ClientMessageType } from './client.js';
import type { ServerMessageOf, ServerMessageType } from './server.js';

const SDP_OFFER = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n…';
const SDP_ANSWER = 'v=0\r\no=- 1887254325926358519 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n…';
const CANDIDATE = {
  candidate: 'candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.2 rport 46154 generation 0',
  sdpMid: '0',
  sdpMLineIndex: 0,
  usernameFragment: 'EsA1',
};
const ALICE_SESSION = 'ses_6Jb3kq0Vt2';
const BOB_SESSION = 'ses_P9xw1LmZ4a';
const BOB_TRACKS = [
  { trackId: 'f3a0c1b2-audio', kind: 'audio', source: 'microphone', muted: false },
  { trackId: '7d9e4b10-video', kind: 'video', source: 'camera', muted: false },
] as const;

/** A valid example of each client message. */
export const CLIENT_MESSAGE_EXAMPLES: { readonly [K in ClientMessageType]: ClientMessageOf<K> } = {
  join: { type: 'join', id: 'r1', room: 'standup-42', metadata: '{"avatar":"https://example.com/a.png"}' },
  leave: { type: 'leave', id: 'r9' },
  signal: { type: 'signal', id: 'r2', to: 'bob', kind: 'candidate', candidate: CANDIDATE },
  publish: {
    type: 'publish',
    id: 'r3',
    sdp: SDP_OFFER,
    tracks: [
      { trackId: 'a1b2c3-audio', kind: 'audio', source: 'microphone' },
      { trackId: 'a1b2c3-video', kind: 'video', source: 'camera' },
    ],
  },
  unpublish: { type: 'unpublish', id: 'r4', trackIds: ['a1b2c3-video'] },
  subscribe: { type: 'subscribe', id: 'r5', trackIds: ['f3a0c1b2-audio', '7d9e4b10-video'] },
  unsubscribe: { type: 'unsubscribe', trackIds: ['7d9e4b10-video'] },
  media_sdp: { type: 'media_sdp', id: 'r6', transport: 'subscriber', sdpType: 'answer', sdp: SDP_ANSWER },
  media_candidate: { type: 'media_candidate', transport: 'publisher', candidate: CANDIDATE },
  restart_ice: { type: 'restart_ice', id: 'r7' },
  data: { type: 'data', id: 'r8', payload: '{"chat":"hello"}', to: ['bob'], topic: 'chat' },
  update_metadata: { type: 'update_metadata', name: 'Alice L.', metadata: '{"hand":"raised"}' },
  kick: { type: 'kick', id: 'r10', identity: 'mallory' },
  mute_track: { type: 'mute_track', id: 'r11', identity: 'bob', trackId: 'f3a0c1b2-audio', muted: true },
  update_permissions: { type: 'update_permissions', id: 'r12', identity: 'bob', grants: { canPublish: false } },
  update_room_metadata: { type: 'update_room_metadata', metadata: '{"topic":"Sprint review"}' },
  ping: { type: 'ping', ts: 1_767_225_600_000 },
  pong: { type: 'pong', ts: 1_767_225_605_000 },
  refresh_token: { type: 'refresh_token', id: 'r13', token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.sig' },
};

/** A valid example of each server message. */
export const SERVER_MESSAGE_EXAMPLES: { readonly [K in ServerMessageType]: ServerMessageOf<K> } = {
  ack: { type: 'ack', id: 'r2' },
  error: {
    type: 'error',
    id: 'r3',
    code: 'rate_limited',
    message: 'more than 50 messages per second',
    retriable: true,
    retryAfterMs: 400,
  },
  joined: {
    type: 'joined',
    seq: 17,
    room: 'standup-42',
    sessionId: ALICE_SESSION,
    self: {
      sessionId: ALICE_SESSION,
      identity: 'alice',
      name: 'Alice',
      metadata: '{"avatar":"https://example.com/a.png"}',
      joinedAt: 1_767_225_600_000,
      status: 'connected',
      tracks: [],
    },
    participants: [
      {
        sessionId: BOB_SESSION,
        identity: 'bob',
        name: 'Bob',
        metadata: '',
        joinedAt: 1_767_225_500_000,
        status: 'connected',
        tracks: [...BOB_TRACKS],
      },
    ],
    roomMetadata: '{"topic":"Daily standup"}',
    iceServers: [
      { urls: ['stun:turn.example.com:3478'] },
      {
        urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:443?transport=tcp'],
        username: '1767229200:alice',
        credential: 'Jp4v1k3Xn0bq8n3J8b7S4N2mX0Q=',
      },
    ],
    heartbeat: { intervalMs: 5000, timeoutMs: 15000 },
    resumeWindow: { events: 1000, ms: 20000 },
  },
  resumed: { type: 'resumed', seq: 42, sessionId: ALICE_SESSION, replayed: 3 },
  resume_failed: { type: 'resume_failed', sessionId: ALICE_SESSION, reason: 'window_exceeded' },
  participant_joined: {
    type: 'participant_joined',
    seq: 18,
    participant: {
      sessionId: 'ses_Q1w2e3r4t5',
      identity: 'carol',
      name: 'Carol',
      metadata: '',
      joinedAt: 1_767_225_610_000,
      status: 'connected',
      tracks: [],
    },
  },
  participant_updated: {
    type: 'participant_updated',
    seq: 19,
    sessionId: BOB_SESSION,
    identity: 'bob',
    status: 'reconnecting',
  },
  participant_left: {
    type: 'participant_left',
    seq: 20,
    sessionId: BOB_SESSION,
    identity: 'bob',
    reason: 'departure_timeout',
  },
  track_published: {
    type: 'track_published',
    seq: 21,
    sessionId: BOB_SESSION,
    identity: 'bob',
    track: { trackId: 'c0ffee00-screen', kind: 'video', source: 'screen_share', muted: false },
  },
  track_unpublished: { type: 'track_unpublished', seq: 22, sessionId: BOB_SESSION, trackId: 'c0ffee00-screen' },
  track_muted: {
    type: 'track_muted',
    seq: 23,
    sessionId: BOB_SESSION,
    trackId: 'f3a0c1b2-audio',
    muted: true,
    by: 'alice',
  },
  signal: { type: 'signal', seq: 24, from: 'bob', fromSessionId: BOB_SESSION, kind: 'offer', sdp: SDP_OFFER },
  media_signal: { type: 'media_signal', seq: 25, transport: 'publisher', kind: 'answer', sdp: SDP_ANSWER },
  subscription_changed: { type: 'subscription_changed', seq: 26, trackIds: ['f3a0c1b2-audio', '7d9e4b10-video'] },
  media_reset: { type: 'media_reset', seq: 27, reason: 'media worker failover' },
  data: {
    type: 'data',
    seq: 28,
    from: 'bob',
    fromSessionId: BOB_SESSION,
    payload: '{"chat":"hi Alice"}',
    topic: 'chat',
  },
  room_updated: { type: 'room_updated', seq: 29, metadata: '{"topic":"Sprint review"}' },
  room_closed: { type: 'room_closed', seq: 30, reason: 'admin' },
  ping: { type: 'ping', ts: 1_767_225_605_000 },
  pong: { type: 'pong', ts: 1_767_225_600_000 },
  notice: { type: 'notice', kind: 'reconnect_elsewhere', deadlineMs: 30000, reason: 'edge draining for deployment' },
};
