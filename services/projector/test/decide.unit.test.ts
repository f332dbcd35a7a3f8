import { describe, expect, it } from 'vitest';
import type { RoomEvent } from '@sig/schemas';
import {
  decide,
  dueTimers,
  evolve,
  initialState,
  type LogIntegrityError,
  route,
  type RoomState,
} from '../src/domain/index.js';
import { ALL_GRANTS, bodies, Client, CONFIG, join, run } from './builders.js';

const alice = new Client('alice');
const bob = new Client('bob');
const carol = new Client('carol');

function threeInRoom(): RoomState {
  return run([alice.cmd(join(), 1), bob.cmd(join(), 2), carol.cmd(join(), 3)]).state;
}
const sessionOf = (s: RoomState, identity: string) =>
  [...s.participants.values()].find((p) => p.identity === identity)!.sessionId;
const rejection = (s: RoomState, c: ReturnType<Client['cmd']>) => decide(c, s, CONFIG).rejected?.code;

describe('join', () => {
  it('opens the room, tells others, and gives the joiner the participant list', () => {
    const { state, decisions } = run([alice.cmd(join('{"a":1}'), 10), bob.cmd(join(), 20)]);
    expect(bodies(decisions[0]!)).toEqual(['RoomOpened', 'ParticipantJoined', 'JoinAccepted']);
    expect(bodies(decisions[1]!)).toEqual(['ParticipantJoined', 'JoinAccepted']);
    const accepted = decisions[1]!.events[1]!;
    expect(accepted.body.type === 'JoinAccepted' && accepted.body.participants.map((p) => p.identity)).toEqual([
      'alice',
    ]);
    expect(state.participants.size).toBe(2);
    expect(state.seq).toBe(5);
    // Sequence numbers are consecutive across decisions.
    expect(decisions.flatMap((d) => d.events.map((e) => e.seq))).toEqual([1, 2, 3, 4, 5]);
    // Bob's join is delivered to alice only; bob gets JoinAccepted.
    const before = decisions[0]!.state;
    expect(route(decisions[1]!.events[0]!, before).live.map((r) => r.sessionId)).toEqual([sessionOf(state, 'alice')]);
  });

  it('replaces an older session of the same identity, telling it why', () => {
    const s = threeInRoom();
    const old = sessionOf(s, 'alice');
    const d = decide(alice.reconnect('conn-alice-2').cmd(join(), 50), s, CONFIG);
    expect(bodies(d)).toEqual(['ParticipantLeft', 'ParticipantJoined', 'JoinAccepted']);
    const left = d.events[0]!;
    expect(left.body).toMatchObject({ type: 'ParticipantLeft', sessionId: old, reason: 'REPLACED' });
    expect(route(left, s).live.map((r) => r.sessionId)).toContain(old);
    expect(d.state.participants.size).toBe(3);
    const accepted = d.events[2]!.body;
    expect(accepted.type === 'JoinAccepted' && accepted.replaced).toBe(old);
  });

  it('rejects: room full, no join grant, already joined', () => {
    const s = threeInRoom();
    expect(rejection(s, new Client('dave').cmd(join(), 9))).toBe('room_full');
    expect(rejection(s, new Client('erin', 'c-e', 'edge-1', { ...ALL_GRANTS, roomJoin: false }).cmd(join(), 9))).toBe(
      'not_allowed',
    );
    expect(rejection(s, alice.cmd(join(), 9))).toBe('already_joined');
  });

  it('tells a rejected joiner on its connection, since it is not a participant', () => {
    const d = decide(new Client('dave').cmd(join(), 9), threeInRoom(), CONFIG);
    expect(d.events[0]!.audience).toMatchObject({
      type: 'AudienceConnection',
      connection: { connectionId: 'conn-dave' },
    });
  });

  it('keeps hidden participants out of presence and participant lists', () => {
    const ghost = new Client('ghost', 'c-g', 'edge-1', { ...ALL_GRANTS, hidden: true });
    const { state, decisions } = run([alice.cmd(join(), 1), ghost.cmd(join(), 2), bob.cmd(join(), 3)]);
    expect(decisions[1]!.events[0]!.audience).toEqual({ type: 'AudienceNone' });
    const accepted = decisions[2]!.events[1]!.body;
    expect(accepted.type === 'JoinAccepted' && accepted.participants.map((p) => p.identity)).toEqual(['alice']);
    expect(state.participants.size).toBe(3);
  });
});

describe('disconnect, grace period and resume', () => {
  it('an unclean disconnect marks the participant reconnecting and arms the departure timer', () => {
    const s = threeInRoom();
    const d = decide(bob.cmd({ type: 'ConnectionClosed', reason: 'HEARTBEAT_TIMEOUT', clean: false }, 100), s, CONFIG);
    expect(d.events[0]!.body).toMatchObject({
      type: 'ParticipantConnectionChanged',
      status: 'RECONNECTING',
      reason: 'HEARTBEAT_TIMEOUT',
    });
    expect(dueTimers(d.state, CONFIG)).toEqual([
      { timer: 'DEPARTURE_GRACE', room: 'room-1', sessionId: sessionOf(s, 'bob'), dueAt: 100 + 20_000 },
    ]);
  });

  it('a clean close leaves at once', () => {
    const d = decide(
      bob.cmd({ type: 'ConnectionClosed', reason: 'CLIENT_CLOSED', clean: true }, 100),
      threeInRoom(),
      CONFIG,
    );
    expect(d.events[0]!.body).toMatchObject({ type: 'ParticipantLeft', reason: 'CLIENT_LEFT' });
  });

  it('the departure timer removes a participant that did not come back, and only then', () => {
    let s = threeInRoom();
    const bobId = sessionOf(s, 'bob');
    s = decide(bob.cmd({ type: 'ConnectionClosed', reason: 'HEARTBEAT_TIMEOUT', clean: false }, 100), s, CONFIG).state;
    const timer = (at: number) => ({
      commandId: `t${at}`,
      room: 'room-1',
      receivedAt: at,
      source: { type: 'ProjectorSource' as const, instanceId: 'p1' },
      body: {
        type: 'TimerFired' as const,
        timer: 'DEPARTURE_GRACE' as const,
        sessionId: bobId,
        edgeId: null,
        dueAt: 20_100,
      },
    });
    expect(decide(timer(20_099), s, CONFIG).events).toEqual([]);
    const d = decide(timer(20_100), s, CONFIG);
    expect(d.events[0]!.body).toMatchObject({ type: 'ParticipantLeft', sessionId: bobId, reason: 'DEPARTURE_TIMEOUT' });
    // A duplicated timer command is harmless.
    expect(decide(timer(20_200), d.state, CONFIG).events).toEqual([]);
  });

  it('resume on another edge re-points the session and tells others it is back', () => {
    let s = threeInRoom();
    const bobId = sessionOf(s, 'bob');
    s = decide(bob.cmd({ type: 'ConnectionClosed', reason: 'HEARTBEAT_TIMEOUT', clean: false }, 100), s, CONFIG).state;
    const seqAtLoss = s.seq - 1;
    const b2 = bob.reconnect('conn-bob-2', 'edge-2');
    const d = decide(
      b2.cmd({ type: 'Join', metadata: '', resume: { sessionId: bobId, lastSeq: seqAtLoss } }, 200),
      s,
      CONFIG,
    );
    expect(bodies(d)).toEqual(['ParticipantResumed', 'ParticipantConnectionChanged']);
    expect(d.state.participants.get(bobId)).toMatchObject({
      status: 'CONNECTED',
      connection: { edgeId: 'edge-2', connectionId: 'conn-bob-2' },
    });
    // The stale socket's late close report changes nothing.
    expect(
      decide(bob.cmd({ type: 'ConnectionClosed', reason: 'CLIENT_CLOSED', clean: true }, 300), d.state, CONFIG).events,
    ).toEqual([]);
  });

  it('refuses resume for unknown sessions, other identities and gaps older than the window', () => {
    const s = threeInRoom();
    const bobId = sessionOf(s, 'bob');
    const resumeAs = (c: Client, sessionId: string, lastSeq: number) =>
      decide(c.cmd({ type: 'Join', metadata: '', resume: { sessionId, lastSeq } }, 9), s, CONFIG).events[0]!.body;
    expect(resumeAs(bob.reconnect('x'), 'PA_nope', 1)).toMatchObject({
      type: 'ResumeRejected',
      reason: 'UNKNOWN_SESSION',
    });
    expect(resumeAs(new Client('mallory', 'm'), bobId, 1)).toMatchObject({
      type: 'ResumeRejected',
      reason: 'IDENTITY_MISMATCH',
    });
    expect(resumeAs(bob.reconnect('y'), bobId, s.seq + 5)).toMatchObject({
      type: 'ResumeRejected',
      reason: 'WINDOW_EXCEEDED',
    });
    // Push the room past the window, then a resume from seq 0 is too old.
    let busy = s;
    for (let i = 0; i < CONFIG.resumeWindowEvents + 2; i++)
      busy = decide(alice.cmd({ type: 'SendData', to: [], payload: 'x', topic: null }, 10 + i), busy, CONFIG).state;
    const old = decide(
      bob.reconnect('z').cmd({ type: 'Join', metadata: '', resume: { sessionId: bobId, lastSeq: 0 } }, 99),
      busy,
      CONFIG,
    );
    expect(old.events[0]!.body).toMatchObject({ type: 'ResumeRejected', reason: 'WINDOW_EXCEEDED' });
  });

  it('an edge declared lost puts its participants in the grace period', () => {
    const remote = new Client('remote', 'c-r', 'edge-9');
    const s = run([alice.cmd(join(), 1), remote.cmd(join(), 2)]).state;
    const d = decide(
      {
        commandId: 't',
        room: 'room-1',
        receivedAt: 50,
        source: { type: 'ProjectorSource', instanceId: 'p' },
        body: { type: 'TimerFired', timer: 'EDGE_LIVENESS', sessionId: null, edgeId: 'edge-9', dueAt: 50 },
      },
      s,
      CONFIG,
    );
    expect(d.events.map((e) => e.body)).toEqual([
      expect.objectContaining({ type: 'ParticipantConnectionChanged', status: 'RECONNECTING', reason: 'EDGE_LOST' }),
    ]);
  });

  it('an empty room closes after its timeout', () => {
    let s = run([alice.cmd(join(), 1)]).state;
    s = decide(alice.cmd({ type: 'Leave' }, 10), s, CONFIG).state;
    expect(dueTimers(s, CONFIG)).toEqual([
      { timer: 'EMPTY_ROOM', room: 'room-1', sessionId: null, dueAt: 10 + 300_000 },
    ]);
    const fire = (at: number) =>
      decide(
        {
          commandId: 'e',
          room: 'room-1',
          receivedAt: at,
          source: { type: 'ProjectorSource', instanceId: 'p' },
          body: { type: 'TimerFired', timer: 'EMPTY_ROOM', sessionId: null, edgeId: null, dueAt: 300_010 },
        },
        s,
        CONFIG,
      );
    expect(fire(300_009).events).toEqual([]);
    const closed = fire(300_010);
    expect(bodies(closed)).toEqual(['RoomClosed']);
    expect(closed.state.phase).toBe('closed');
    // A later join reopens it.
    expect(bodies(decide(bob.cmd(join(), 400_000), closed.state, CONFIG))[0]).toBe('RoomOpened');
  });
});

describe('relay', () => {
  it('relays P2P offers to the named participant only', () => {
    const s = threeInRoom();
    const d = decide(
      alice.cmd({ type: 'PeerSignal', to: 'bob', kind: 'OFFER', sdp: 'v=0', candidate: null }, 9),
      s,
      CONFIG,
    );
    expect(d.events[0]!.body).toMatchObject({
      type: 'PeerSignalRelayed',
      fromIdentity: 'alice',
      to: sessionOf(s, 'bob'),
      sdp: 'v=0',
    });
    expect(route(d.events[0]!, s).live.map((r) => r.connection.connectionId)).toEqual(['conn-bob']);
  });

  it('rejects signals to unknown participants, to oneself, and without payload', () => {
    const s = threeInRoom();
    const sig = (to: string, kind: 'OFFER' | 'CANDIDATE', sdp: string | null) =>
      alice.cmd({ type: 'PeerSignal', to, kind, sdp, candidate: null }, 9);
    expect(rejection(s, sig('zed', 'OFFER', 'v=0'))).toBe('participant_not_found');
    expect(rejection(s, sig('alice', 'OFFER', 'v=0'))).toBe('participant_not_found');
    expect(rejection(s, sig('bob', 'OFFER', null))).toBe('invalid_sdp');
    expect(rejection(s, sig('bob', 'CANDIDATE', null))).toBe('invalid_candidate');
  });

  it('sends data to the room (not back to the sender) or to listed participants', () => {
    const s = threeInRoom();
    const all = decide(alice.cmd({ type: 'SendData', to: [], payload: 'hi', topic: 'chat' }, 9), s, CONFIG).events[0]!;
    expect(
      route(all, s)
        .live.map((r) => r.connection.connectionId)
        .sort(),
    ).toEqual(['conn-bob', 'conn-carol']);
    const some = decide(alice.cmd({ type: 'SendData', to: ['carol'], payload: 'psst', topic: null }, 9), s, CONFIG)
      .events[0]!;
    expect(route(some, s).live.map((r) => r.connection.connectionId)).toEqual(['conn-carol']);
    expect(rejection(s, alice.cmd({ type: 'SendData', to: ['zed'], payload: 'x', topic: null }, 9))).toBe(
      'participant_not_found',
    );
    const mute = new Client('mute', 'c-m', 'edge-1', { ...ALL_GRANTS, canPublishData: false });
    const s2 = run([mute.cmd(join(), 10)], run([alice.cmd(join(), 1)]).state).state;
    expect(rejection(s2, mute.cmd({ type: 'SendData', to: [], payload: 'x', topic: null }, 11))).toBe('not_allowed');
  });

  it('rejects any room command from a connection that has not joined', () => {
    const s = threeInRoom();
    const stranger = new Client('stranger');
    for (const body of [
      { type: 'Leave' as const },
      { type: 'SendData' as const, to: [], payload: 'x', topic: null },
      { type: 'UpdateMetadata' as const, name: null, metadata: 'x' },
      { type: 'Publish' as const, sdp: 'v=0', tracks: [] },
      { type: 'MediaSdp' as const, transport: 'SUBSCRIBER' as const, sdpType: 'ANSWER' as const, sdp: 'v=0' },
    ]) {
      expect(rejection(s, stranger.cmd(body, 9))).toBe('not_in_room');
    }
  });
});

describe('metadata and admin actions', () => {
  const admin = new Client('admin', 'c-admin', 'edge-1', { ...ALL_GRANTS, roomAdmin: true });
  const withAdmin = () => run([admin.cmd(join(), 1), alice.cmd(join(), 2)]).state;

  it('updates own metadata for everyone', () => {
    const s = withAdmin();
    const d = decide(alice.cmd({ type: 'UpdateMetadata', name: 'Al', metadata: '{"x":1}' }, 9), s, CONFIG);
    expect(d.state.participants.get(sessionOf(s, 'alice'))).toMatchObject({ name: 'Al', metadata: '{"x":1}' });
  });

  it('lets admins kick, change permissions and room metadata; refuses others', () => {
    const s = withAdmin();
    const kicked = decide(admin.cmd({ type: 'KickParticipant', identity: 'alice' }, 9), s, CONFIG);
    expect(kicked.events[0]!.body).toMatchObject({ type: 'ParticipantLeft', reason: 'KICKED' });
    expect(route(kicked.events[0]!, s).live.map((r) => r.connection.connectionId)).toContain('conn-alice');
    expect(rejection(s, alice.cmd({ type: 'KickParticipant', identity: 'admin' }, 9))).toBe('not_allowed');
    expect(rejection(s, admin.cmd({ type: 'KickParticipant', identity: 'zed' }, 9))).toBe('participant_not_found');

    const grants = { roomAdmin: null, canPublish: null, canSubscribe: null, canPublishData: false, hidden: null };
    const perm = decide(admin.cmd({ type: 'UpdatePermissions', identity: 'alice', grants }, 9), s, CONFIG);
    expect(perm.state.participants.get(sessionOf(s, 'alice'))!.grants).toEqual({
      ...ALL_GRANTS,
      canPublishData: false,
    });
    expect(rejection(s, alice.cmd({ type: 'UpdatePermissions', identity: 'admin', grants }, 9))).toBe('not_allowed');

    expect(decide(admin.cmd({ type: 'UpdateRoomMetadata', metadata: 'topic' }, 9), s, CONFIG).state.metadata).toBe(
      'topic',
    );
    expect(rejection(s, alice.cmd({ type: 'UpdateRoomMetadata', metadata: 'x' }, 9))).toBe('not_allowed');
  });

  it('mutes a track: the owner or an admin; never an unknown track', () => {
    let s = withAdmin();
    s = decide(
      alice.cmd(
        {
          type: 'Publish',
          sdp: 'v=0',
          tracks: [{ trackId: 'mic', kind: 'AUDIO', source: 'MICROPHONE', muted: false, mid: null }],
        },
        5,
      ),
      s,
      CONFIG,
    ).state;
    const mute = (by: Client, trackId: string) =>
      decide(by.cmd({ type: 'MuteTrack', identity: 'alice', trackId, muted: true }, 9), s, CONFIG);
    expect(mute(alice, 'mic').state.participants.get(sessionOf(s, 'alice'))!.tracks[0]!.muted).toBe(true);
    expect(mute(admin, 'mic').rejected).toBeNull();
    expect(mute(alice, 'cam').rejected?.code).toBe('bad_request');
    const s2 = run([bob.cmd(join(), 6)], s).state;
    expect(
      decide(bob.cmd({ type: 'MuteTrack', identity: 'alice', trackId: 'mic', muted: true }, 9), s2, CONFIG).rejected
        ?.code,
    ).toBe('not_allowed');
  });
});

describe('media hand-off', () => {
  const cam = { trackId: 'cam', kind: 'VIDEO' as const, source: 'CAMERA' as const, muted: false, mid: null };

  it('publish announces tracks, sends the offer to the SFU and auto-subscribes the others', () => {
    const s = threeInRoom();
    const d = decide(alice.cmd({ type: 'Publish', sdp: 'offer', tracks: [cam] }, 9), s, CONFIG);
    expect(bodies(d)).toEqual(['TrackPublished', 'SubscriptionChanged', 'SubscriptionChanged']);
    expect(d.media.map((m) => m.body.type)).toEqual(['PublishOffer', 'SubscribeTracks', 'SubscribeTracks']);
    const aliceId = sessionOf(s, 'alice');
    expect(d.state.participants.get(sessionOf(s, 'bob'))!.subscriptions).toEqual([`${aliceId}/cam`]);
    // A newcomer is subscribed to what is already published.
    const dave = new Client('dave');
    const bigger = { ...d.state, config: { ...d.state.config!, maxParticipants: 10 } };
    const joined = decide(dave.cmd(join(), 10), bigger, CONFIG);
    expect(bodies(joined)).toEqual(['ParticipantJoined', 'JoinAccepted', 'SubscriptionChanged']);
  });

  it('refuses publish without the grant or without tracks', () => {
    const viewer = new Client('viewer', 'c-v', 'edge-1', { ...ALL_GRANTS, canPublish: false });
    const s = run([viewer.cmd(join(), 1)]).state;
    expect(rejection(s, viewer.cmd({ type: 'Publish', sdp: 'o', tracks: [cam] }, 2))).toBe('not_allowed');
    expect(rejection(s, alice.cmd({ type: 'Publish', sdp: 'o', tracks: [] }, 2))).toBe('not_in_room');
    const s2 = run([alice.cmd(join(), 3)], s).state;
    expect(rejection(s2, alice.cmd({ type: 'Publish', sdp: 'o', tracks: [] }, 4))).toBe('bad_request');
  });

  it('unpublish removes the track and its subscriptions; subscribe validates track ids', () => {
    let s = threeInRoom();
    s = decide(alice.cmd({ type: 'Publish', sdp: 'offer', tracks: [cam] }, 9), s, CONFIG).state;
    const aliceId = sessionOf(s, 'alice');
    const un = decide(alice.cmd({ type: 'Unpublish', trackIds: ['cam'] }, 10), s, CONFIG);
    expect(un.state.participants.get(sessionOf(s, 'bob'))!.subscriptions).toEqual([]);
    expect(rejection(s, alice.cmd({ type: 'Unpublish', trackIds: ['nope'] }, 10))).toBe('bad_request');
    expect(rejection(s, bob.cmd({ type: 'Subscribe', trackIds: ['nope/x'] }, 10))).toBe('bad_request');
    const unsub = decide(bob.cmd({ type: 'Unsubscribe', trackIds: [`${aliceId}/cam`] }, 10), s, CONFIG);
    expect(unsub.media[0]!.body.type).toBe('UnsubscribeTracks');
  });

  it('routes SFU answers and candidates to the participant, and forwards client SDP/ICE to the SFU', () => {
    const s = threeInRoom();
    const bobId = sessionOf(s, 'bob');
    const sfu = (body: ReturnType<Client['cmd']>['body']) => ({
      commandId: 'x',
      room: 'room-1',
      receivedAt: 9,
      source: { type: 'SfuSource' as const, workerId: 'w1' },
      body,
    });
    const ans = decide(
      sfu({ type: 'SfuSdp', sessionId: bobId, transport: 'PUBLISHER', sdpType: 'ANSWER', sdp: 'answer' }),
      s,
      CONFIG,
    );
    expect(ans.events[0]!.body).toMatchObject({
      type: 'MediaSignal',
      transport: 'PUBLISHER',
      kind: 'ANSWER',
      sdp: 'answer',
    });
    expect(route(ans.events[0]!, s).live.map((r) => r.sessionId)).toEqual([bobId]);
    const end = decide(
      sfu({ type: 'SfuCandidate', sessionId: bobId, transport: 'SUBSCRIBER', candidate: null }),
      s,
      CONFIG,
    );
    expect(end.events[0]!.body).toMatchObject({ kind: 'END_OF_CANDIDATES' });
    expect(
      decide(bob.cmd({ type: 'MediaSdp', transport: 'SUBSCRIBER', sdpType: 'ANSWER', sdp: 'a' }, 9), s, CONFIG)
        .media[0]!.body,
    ).toMatchObject({ type: 'RemoteSdp' });
    expect(
      decide(bob.cmd({ type: 'MediaCandidate', transport: 'PUBLISHER', candidate: null }, 9), s, CONFIG).media[0]!.body,
    ).toMatchObject({ type: 'RemoteCandidate' });
    expect(decide(bob.cmd({ type: 'RestartIce' }, 9), s, CONFIG).media[0]!.body).toMatchObject({ type: 'IceRestart' });
    const err = decide(sfu({ type: 'SfuError', sessionId: bobId, code: 'invalid_sdp', message: 'bad' }), s, CONFIG);
    expect(err.events[0]!.body).toMatchObject({ type: 'CommandRejected', code: 'invalid_sdp' });
  });

  it('subscribe adds publisher-scoped tracks and tells the SFU; it needs the grant', () => {
    let s = threeInRoom();
    s = decide(alice.cmd({ type: 'Publish', sdp: 'offer', tracks: [cam] }, 9), s, CONFIG).state;
    const aliceId = sessionOf(s, 'alice');
    s = decide(bob.cmd({ type: 'Unsubscribe', trackIds: [`${aliceId}/cam`] }, 10), s, CONFIG).state;
    const sub = decide(bob.cmd({ type: 'Subscribe', trackIds: [`${aliceId}/cam`] }, 11), s, CONFIG);
    expect(sub.events[0]!.body).toMatchObject({ type: 'SubscriptionChanged', trackIds: [`${aliceId}/cam`] });
    expect(sub.media[0]!.body).toEqual({
      type: 'SubscribeTracks',
      tracks: [{ publisherSessionId: aliceId, trackId: 'cam' }],
    });
    const viewer = new Client('viewer', 'c-v', 'edge-1', { ...ALL_GRANTS, canSubscribe: false });
    const s2 = run([viewer.cmd(join(), 12)], { ...s, config: { ...s.config!, maxParticipants: 10 } }).state;
    expect(rejection(s2, viewer.cmd({ type: 'Subscribe', trackIds: [`${aliceId}/cam`] }, 13))).toBe('not_allowed');
  });

  it('a worker refusing the room tells the participants with media why', () => {
    let s = threeInRoom();
    s = decide(alice.cmd({ type: 'Publish', sdp: 'offer', tracks: [cam] }, 9), s, CONFIG).state;
    const refused = decide(
      {
        commandId: 'r',
        room: 'room-1',
        receivedAt: 10,
        source: { type: 'SfuSource', workerId: 'w9' },
        body: { type: 'SfuRoomStatus', workerId: 'w9', status: 'REFUSED', code: 'sfu_capacity' },
      },
      s,
      CONFIG,
    );
    expect(refused.events.map((e) => e.body)).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'CommandRejected', code: 'sfu_capacity' })]),
    );
    // Operational SFU signals are not room facts.
    const flowing = decide(
      {
        commandId: 'f',
        room: 'room-1',
        receivedAt: 11,
        source: { type: 'SfuSource', workerId: 'w1' },
        body: { type: 'SfuTrackState', sessionId: sessionOf(s, 'alice'), trackId: 'cam', mid: '0', state: 'FLOWING' },
      },
      s,
      CONFIG,
    );
    expect(flowing.events).toEqual([]);
  });

  it('a worker releasing the room resets media once; a late release from an old worker changes nothing', () => {
    let s = threeInRoom();
    const status = (workerId: string, phase: 'ACCEPTED' | 'RELEASED') => ({
      commandId: `${workerId}-${phase}`,
      room: 'room-1',
      receivedAt: 9,
      source: { type: 'SfuSource' as const, workerId },
      body: { type: 'SfuRoomStatus' as const, workerId, status: phase, code: null },
    });
    s = decide(status('w1', 'ACCEPTED'), s, CONFIG).state;
    s = decide(alice.cmd({ type: 'Publish', sdp: 'offer', tracks: [cam] }, 10), s, CONFIG).state;
    const released = decide(status('w1', 'RELEASED'), s, CONFIG);
    expect(bodies(released)).toEqual(['SfuReleased', 'MediaReset']);
    expect(released.state.sfuWorker).toBeNull();
    // The same worker (or another) taking the room again finds no stale media to reset twice.
    expect(bodies(decide(status('w1', 'ACCEPTED'), released.state, CONFIG))).toEqual(['SfuAssigned']);
    // Another worker accepted before the old one's release arrived: the release is stale.
    const moved = decide(status('w2', 'ACCEPTED'), s, CONFIG).state;
    expect(decide(status('w1', 'RELEASED'), moved, CONFIG).events).toEqual([]);
  });

  it('a worker failover resets media and tells everyone to re-publish', () => {
    let s = threeInRoom();
    const status = (workerId: string) => ({
      commandId: workerId,
      room: 'room-1',
      receivedAt: 9,
      source: { type: 'SfuSource' as const, workerId },
      body: { type: 'SfuRoomStatus' as const, workerId, status: 'ACCEPTED' as const, code: null },
    });
    s = decide(status('w1'), s, CONFIG).state;
    s = decide(alice.cmd({ type: 'Publish', sdp: 'offer', tracks: [cam] }, 10), s, CONFIG).state;
    const d = decide(status('w2'), s, CONFIG);
    expect(bodies(d)).toEqual(['SfuAssigned', 'MediaReset']);
    expect(d.state.participants.get(sessionOf(s, 'alice'))!.tracks).toEqual([]);
  });
});

describe('evolve', () => {
  it('detects gaps, duplicates, reordering and foreign rooms', () => {
    const { decisions } = run([alice.cmd(join(), 1), bob.cmd(join(), 2)]);
    const events: RoomEvent[] = decisions.flatMap((d) => d.events);
    const fold = (list: RoomEvent[]) => list.reduce(evolve, initialState('room-1'));
    expect(() => fold(events)).not.toThrow();
    const kind = (list: RoomEvent[]) => {
      try {
        fold(list);
        return 'ok';
      } catch (err) {
        return (err as LogIntegrityError).kind;
      }
    };
    expect(kind([events[0]!, events[2]!])).toBe('gap');
    expect(kind([events[0]!, events[1]!, events[1]!])).toBe('duplicate');
    expect(kind([events[0]!, events[2]!, events[1]!])).toBe('gap');
    expect(kind([events[0]!, events[1]!, events[2]!, events[1]!])).toBe('out_of_order');
    expect(kind([{ ...events[0]!, room: 'other' }])).toBe('wrong_room');
  });

  it('rebuilding from events gives the state the decider had', () => {
    const { state, decisions } = run([
      alice.cmd(join(), 1),
      bob.cmd(join(), 2),
      alice.cmd({ type: 'UpdateMetadata', name: null, metadata: 'm' }, 3),
      bob.cmd({ type: 'Leave' }, 4),
    ]);
    const rebuilt = decisions.flatMap((d) => d.events).reduce(evolve, initialState('room-1'));
    expect(rebuilt).toEqual(state);
  });
});
