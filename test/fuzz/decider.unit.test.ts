/**
 * Property-based tests of the projector's decider: for ANY sequence of commands (clients of a few
 * identities on a few sockets and edges, SFU events, timers, garbage ids), `decide` never throws,
 * its events carry consecutive sequence numbers, its state is the fold of its events with
 * `evolve`, replaying the whole log rebuilds the same state, a rejection is one CommandRejected,
 * and no session ever leaves (or resumes) without having joined.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  DisconnectReasonValues,
  ErrorCodeValues,
  MediaTransportValues,
  PeerConnectionStateValues,
  PeerSignalKindValues,
  SdpTypeValues,
  SfuRoomPhaseValues,
  SfuTrackPhaseValues,
  TimerKindValues,
  TrackKindValues,
  TrackSourceValues,
  type Command,
  type CommandBody,
  type CommandSource,
  type Grants,
  type IceCandidate,
  type RoomEvent,
} from '@sig/schemas';
import {
  decide,
  evolve,
  initialState,
  participantByConnection,
  replay,
  type DeciderConfig,
  type RoomState,
} from '../../services/projector/src/domain/index.js';

/** Fixed by default so `npm test` is deterministic; FUZZ_SEED=<n> explores other cases. */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_121);
const ROOM = 'fuzz-room';
const CONFIG: DeciderConfig = {
  room: { maxParticipants: 3, emptyTimeoutMs: 5_000, departureTimeoutMs: 5_000 },
  resumeWindowEvents: 16,
};
const IDENTITIES = ['alice', 'bob', 'carol', 'dave'] as const;
const EDGES = ['edge-a', 'edge-b'] as const;

/**
 * A reference to a session, resolved against the state when the command is built: the n-th
 * current participant (so commands hit real sessions), or an id nobody has.
 */
type SessionRef = { readonly nth: number } | { readonly raw: string } | { readonly own: true };

const sessionRef: fc.Arbitrary<SessionRef> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ own: true } as const) },
  { weight: 4, arbitrary: fc.nat({ max: 5 }).map((nth) => ({ nth })) },
  { weight: 1, arbitrary: fc.constantFrom('', 'ses_nobody', '__proto__', 'constructor').map((raw) => ({ raw })) },
);

const text = fc.oneof(fc.constantFrom('', 'v=0', 'x'.repeat(300), '__proto__'), fc.string({ maxLength: 20 }));
const nullable = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null });
const candidate: fc.Arbitrary<IceCandidate> = fc.record({
  candidate: text,
  sdpMid: nullable(text),
  sdpMLineIndex: nullable(fc.nat({ max: 3 })),
  usernameFragment: nullable(text),
});
const identity = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...IDENTITIES) }, { weight: 1, arbitrary: text });
const trackId = fc.constantFrom('mic', 'cam', 'screen', '', 'nope');
const trackIds = fc.array(fc.oneof(trackId, fc.constantFrom('ses_x/mic')), { maxLength: 4 });
const grants: fc.Arbitrary<Grants> = fc.record({
  roomJoin: fc.boolean(),
  roomAdmin: fc.boolean(),
  canPublish: fc.boolean(),
  canSubscribe: fc.boolean(),
  canPublishData: fc.boolean(),
  hidden: fc.boolean(),
});

/** A command body whose session references are still symbolic. */
type SymbolicBody = { readonly body: (session: (ref: SessionRef) => string, seq: number) => CommandBody };
const b = (build: SymbolicBody['body']): SymbolicBody => ({ body: build });

const joinBody: fc.Arbitrary<SymbolicBody> = fc
  .record({
    metadata: text,
    resume: fc.oneof(
      { weight: 3, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.record({ ref: sessionRef, back: fc.integer({ min: -2, max: 24 }) }) },
    ),
  })
  .map(({ metadata, resume }) =>
    b((s, seq) => ({
      type: 'Join',
      metadata,
      // lastSeq relative to the room's: mostly inside the resume window, sometimes past either end.
      resume: resume === null ? null : { sessionId: s(resume.ref), lastSeq: Math.max(0, seq - resume.back) },
    })),
  );

const otherBodies: fc.Arbitrary<SymbolicBody> = fc.oneof(
  fc.constant(b(() => ({ type: 'Leave' }))),
  fc
    .record({
      to: identity,
      kind: fc.constantFrom(...PeerSignalKindValues),
      sdp: nullable(text),
      candidate: nullable(candidate),
    })
    .map((r) => b(() => ({ type: 'PeerSignal', ...r }))),
  fc
    .record({ to: fc.array(identity, { maxLength: 3 }), payload: text, topic: nullable(text) })
    .map((r) => b(() => ({ type: 'SendData', ...r }))),
  fc.record({ name: nullable(text), metadata: nullable(text) }).map((r) => b(() => ({ type: 'UpdateMetadata', ...r }))),
  identity.map((who) => b(() => ({ type: 'KickParticipant', identity: who }))),
  fc.record({ identity, trackId, muted: fc.boolean() }).map((r) => b(() => ({ type: 'MuteTrack', ...r }))),
  fc
    .record({
      identity,
      grants: fc.record({
        roomAdmin: nullable(fc.boolean()),
        canPublish: nullable(fc.boolean()),
        canSubscribe: nullable(fc.boolean()),
        canPublishData: nullable(fc.boolean()),
        hidden: nullable(fc.boolean()),
      }),
    })
    .map((r) => b(() => ({ type: 'UpdatePermissions', ...r }))),
  text.map((metadata) => b(() => ({ type: 'UpdateRoomMetadata', metadata }))),
  fc
    .record({
      sdp: text,
      tracks: fc.array(
        fc.record({
          trackId,
          kind: fc.constantFrom(...TrackKindValues),
          source: fc.constantFrom(...TrackSourceValues),
          muted: fc.boolean(),
          mid: nullable(text),
        }),
        { maxLength: 3 },
      ),
    })
    .map((r) => b(() => ({ type: 'Publish', ...r }))),
  trackIds.map((ids) => b(() => ({ type: 'Unpublish', trackIds: ids }))),
  trackIds.map((ids) => b(() => ({ type: 'Subscribe', trackIds: ids }))),
  trackIds.map((ids) => b(() => ({ type: 'Unsubscribe', trackIds: ids }))),
  fc
    .record({
      transport: fc.constantFrom(...MediaTransportValues),
      sdpType: fc.constantFrom(...SdpTypeValues),
      sdp: text,
    })
    .map((r) => b(() => ({ type: 'MediaSdp', ...r }))),
  fc
    .record({ transport: fc.constantFrom(...MediaTransportValues), candidate: nullable(candidate) })
    .map((r) => b(() => ({ type: 'MediaCandidate', ...r }))),
  fc.constant(b(() => ({ type: 'RestartIce' }))),
  fc
    .record({ reason: fc.constantFrom(...DisconnectReasonValues), clean: fc.boolean() })
    .map((r) => b(() => ({ type: 'ConnectionClosed', ...r }))),
  fc
    .record({
      timer: fc.constantFrom(...TimerKindValues),
      ref: nullable(sessionRef),
      edgeId: nullable(fc.constantFrom(...EDGES, 'edge-gone')),
      dueIn: fc.integer({ min: -1000, max: 120_000 }),
    })
    .map(({ timer, ref, edgeId, dueIn }) =>
      b((s) => ({ type: 'TimerFired', timer, sessionId: ref === null ? null : s(ref), edgeId, dueAt: dueIn })),
    ),
  fc
    .record({
      ref: sessionRef,
      transport: fc.constantFrom(...MediaTransportValues),
      sdpType: fc.constantFrom(...SdpTypeValues),
      sdp: text,
    })
    .map(({ ref, ...r }) => b((s) => ({ type: 'SfuSdp', sessionId: s(ref), ...r }))),
  fc
    .record({ ref: sessionRef, transport: fc.constantFrom(...MediaTransportValues), candidate: nullable(candidate) })
    .map(({ ref, ...r }) => b((s) => ({ type: 'SfuCandidate', sessionId: s(ref), ...r }))),
  fc
    .record({ ref: sessionRef, trackId, mid: nullable(text), state: fc.constantFrom(...SfuTrackPhaseValues) })
    .map(({ ref, ...r }) => b((s) => ({ type: 'SfuTrackState', sessionId: s(ref), ...r }))),
  fc
    .record({ ref: sessionRef, state: fc.constantFrom(...PeerConnectionStateValues) })
    .map(({ ref, ...r }) => b((s) => ({ type: 'SfuConnectionState', sessionId: s(ref), ...r }))),
  fc
    .record({
      workerId: fc.constantFrom('sfu-1.a', 'sfu-2.b'),
      status: fc.constantFrom(...SfuRoomPhaseValues),
      code: nullable(fc.constantFrom(...ErrorCodeValues)),
    })
    .map((r) => b(() => ({ type: 'SfuRoomStatus', ...r }))),
  fc
    .record({ ref: sessionRef, code: fc.constantFrom(...ErrorCodeValues), message: text })
    .map(({ ref, ...r }) => b((s) => ({ type: 'SfuError', sessionId: s(ref), ...r }))),
);

// Joins are frequent, or most commands would only meet not_in_room.
const bodies = fc.oneof({ weight: 1, arbitrary: joinBody }, { weight: 2, arbitrary: otherBodies });

/** Who sent it: a client socket (identity × edge × socket number), an SFU worker or the projector. */
const source: fc.Arbitrary<(requestId: string) => CommandSource> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        identity: fc.constantFrom(...IDENTITIES),
        // Mostly one socket per identity (so commands come from joined sockets), sometimes another.
        edge: fc.oneof(
          { weight: 5, arbitrary: fc.constant(EDGES[0]) },
          { weight: 1, arbitrary: fc.constant(EDGES[1]) },
        ),
        socket: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.constant(1) }),
        grants: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: grants }),
        expiresAt: fc.oneof(
          { weight: 9, arbitrary: fc.constant(9_999_999_999_999) },
          { weight: 1, arbitrary: fc.integer({ min: 900_000, max: 1_100_000 }) },
        ),
      })
      .map((r) => (requestId: string): CommandSource => ({
        type: 'ClientSource',
        edgeId: r.edge,
        replySlot: r.edge === 'edge-a' ? 1 : 2,
        connectionId: `${r.identity}-${r.edge}-${r.socket}`,
        identity: r.identity,
        name: r.identity.toUpperCase(),
        grants: r.grants ?? {
          roomJoin: true,
          roomAdmin: r.identity === 'alice',
          canPublish: true,
          canSubscribe: true,
          canPublishData: true,
          hidden: r.identity === 'dave',
        },
        requestId,
        tokenExpiresAt: r.expiresAt,
      })),
  },
  { weight: 1, arbitrary: fc.constant(() => ({ type: 'SfuSource', workerId: 'sfu-1.a' }) as const) },
  { weight: 1, arbitrary: fc.constant(() => ({ type: 'ProjectorSource', instanceId: 'projector-1' }) as const) },
);

const step = fc.record({ source, body: bodies, advanceMs: fc.nat({ max: 30_000 }) });
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** Which source produces each body in the system: edges, SFU workers, the projector's timers. */
function SOURCE_OF(type: CommandBody['type']): string {
  if (type === 'TimerFired') return 'ProjectorSource';
  return type.startsWith('Sfu') ? 'SfuSource' : 'ClientSource';
}

/** Resolves a symbolic session reference against the current participants and the sender. */
function resolver(state: RoomState, source: CommandSource): (ref: SessionRef) => string {
  const ids = [...state.participants.keys()];
  const sender = source.type === 'ClientSource' ? source.identity : null;
  return (ref) => {
    if ('raw' in ref) return ref.raw;
    if ('own' in ref)
      return [...state.participants.values()].find((p) => p.identity === sender)?.sessionId ?? 'ses_none';
    return ids[ref.nth % Math.max(1, ids.length)] ?? 'ses_none';
  };
}

/** The state without the request-id windows (what a forged command may still change). */
function withoutRequestIds(state: RoomState): RoomState {
  const participants = new Map([...state.participants].map(([id, p]) => [id, { ...p, recentRequestIds: [] }]));
  return { ...state, participants };
}

/** Builds and decides the commands of `steps` in order: the commands, the events, and the state after each. */
function runSteps(steps: readonly Step[]): { commands: Command[]; events: RoomEvent[]; states: RoomState[] } {
  let state = initialState(ROOM);
  let now = 1_000_000;
  const commands: Command[] = [];
  const events: RoomEvent[] = [];
  const states = [state];
  steps.forEach((s, i) => {
    now += s.advanceMs;
    const source = s.source(`r${i}`);
    const body = s.body.body(resolver(state, source), state.seq);
    if (body.type === 'TimerFired') (body as { dueAt: number }).dueAt = now - body.dueAt;
    const command: Command = { commandId: `cmd-${i}`, room: ROOM, receivedAt: now, source, body };
    const d = decide(command, state, CONFIG);
    commands.push(command);
    events.push(...d.events);
    state = d.state;
    states.push(state);
  });
  return { commands, events, states };
}

/** The session holding a client command's connection in `state`, if any. */
function holder(state: RoomState, command: Command): string | undefined {
  const src = command.source;
  return src.type === 'ClientSource'
    ? participantByConnection(state, src.edgeId, src.connectionId)?.sessionId
    : undefined;
}

describe('decider properties (fast-check)', () => {
  test('any command in any state: no throw, gap-free seq, state = fold(evolve), replay agrees, no left without joined', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60, size: 'max' }), (steps) => {
        let state = initialState(ROOM);
        let now = 1_000_000;
        const log: RoomEvent[] = [];
        const joined = new Set<string>();
        steps.forEach((s, i) => {
          now += s.advanceMs;
          const src = s.source(`r${i}`);
          const body = s.body.body(resolver(state, src), state.seq);
          if (body.type === 'TimerFired') (body as { dueAt: number }).dueAt = now - body.dueAt;
          const command: Command = {
            commandId: `cmd-${i}`,
            room: ROOM,
            receivedAt: now,
            source: src,
            body,
          };
          const decision = decide(command, state, CONFIG);

          // Consecutive sequence numbers after the state's, all in this room, all at "now".
          decision.events.forEach((e, k) => {
            expect(e.seq).toBe(state.seq + 1 + k);
            expect(e.room).toBe(ROOM);
            expect(e.at).toBe(now);
            expect(e.causation?.commandId).toBe(command.commandId);
          });
          // The decision's state is exactly the fold of its events.
          expect(decision.events.reduce(evolve, state)).toEqual(decision.state);
          // A rejection is told as exactly one CommandRejected with the same code; an accepted
          // client command is never answered by one (SFU failures are, to the participants concerned).
          const rejections = decision.events.filter((e) => e.body.type === 'CommandRejected');
          if (decision.rejected !== null) {
            expect(rejections).toHaveLength(1);
            expect(rejections[0]!.body).toMatchObject({ code: decision.rejected.code });
          } else if (command.source.type === 'ClientSource')
            expect(rejections, JSON.stringify({ command, events: decision.events })).toHaveLength(0);
          // Never `left`/`resumed` for a session that did not join first.
          for (const e of decision.events) {
            if (e.body.type === 'ParticipantJoined') joined.add(e.body.participant.sessionId);
            if (e.body.type === 'ParticipantLeft' || e.body.type === 'ParticipantResumed')
              expect(joined.has(e.body.sessionId), `${e.body.type} ${e.body.sessionId} before joined`).toBe(true);
          }
          // A body from a source that cannot produce it (only a Kafka writer can forge that) is
          // refused and changes nothing but the sequence (and the sender's remembered request ids).
          if (!SOURCE_OF(body.type).includes(command.source.type)) {
            expect(decision.rejected?.code).toBe('bad_request');
            expect(withoutRequestIds({ ...decision.state, seq: state.seq })).toEqual(withoutRequestIds(state));
          }
          // Participants never exceed the room's capacity.
          expect(decision.state.participants.size).toBeLessThanOrEqual(CONFIG.room.maxParticipants);
          log.push(...decision.events);
          for (const e of decision.events) {
            const key = e.body.type === 'CommandRejected' ? `rejected:${e.body.code}` : e.body.type;
            seen.set(key, (seen.get(key) ?? 0) + 1);
          }
          state = decision.state;
        });
        const replayed = replay(log);
        expect(replayed.violations).toEqual([]);
        expect(replayed.rooms.get(ROOM) ?? initialState(ROOM)).toEqual(state);
      }),
      { numRuns: 300, seed: SEED },
    );
    // The generator must reach the interesting paths, or the properties above prove little.
    for (const type of [
      'ParticipantJoined',
      'ParticipantLeft',
      'ParticipantResumed',
      'ResumeRejected',
      'TrackPublished',
      'PeerSignalRelayed',
      'rejected:room_full',
    ])
      expect(seen.get(type) ?? 0, `${type} never decided: ${JSON.stringify([...seen])}`).toBeGreaterThan(0);
  }, 30_000);

  test('client retries: a history with duplicated client commands decides the same events as without', () => {
    let duplicates = 0;
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 60, size: 'max' }),
        // Retries: which command (index modulo the history) is sent again, how many commands later.
        fc.array(fc.record({ of: fc.nat(), later: fc.nat({ max: 5 }) }), { maxLength: 20 }),
        (steps, retries) => {
          const original = runSteps(steps);
          // A retry goes out on the connection of the original, with its request id and a new command
          // id. It is a duplicate when the original was logged and decided (it produced events) by the
          // session that still holds that connection when the retry arrives; otherwise (never joined,
          // left, resumed elsewhere, an answer only the SFU gives) the retry is a new request.
          const after = new Map<number, Command[]>();
          for (const { of, later } of retries) {
            const j = of % original.commands.length;
            const at = Math.min(j + later, original.commands.length - 1);
            const cmd = original.commands[j]!;
            const decided = original.events.some((e) => e.causation?.commandId === cmd.commandId);
            const session = holder(original.states[j + 1]!, cmd);
            if (cmd.source.type !== 'ClientSource' || !decided || session === undefined) continue;
            if (holder(original.states[at + 1]!, cmd) !== session) continue;
            const retry = { ...cmd, commandId: `${cmd.commandId}-retry-${after.get(at)?.length ?? 0}` };
            after.set(at, [...(after.get(at) ?? []), retry]);
          }
          let state = initialState(ROOM);
          const events: RoomEvent[] = [];
          original.commands.forEach((cmd, i) => {
            for (const c of [cmd, ...(after.get(i) ?? [])]) {
              const d = decide(c, state, CONFIG);
              if (c !== cmd) {
                duplicates++;
                expect(d.duplicate, `${c.commandId} not recognised as a retry`).toBe(true);
                expect(d.events).toEqual([]);
                expect(d.media).toEqual([]);
              }
              events.push(...d.events);
              state = d.state;
            }
          });
          expect(events).toEqual(original.events);
          expect(state).toEqual(original.states.at(-1));
        },
      ),
      { numRuns: 200, seed: SEED },
    );
    expect(duplicates, 'the generator produced no retry to deduplicate').toBeGreaterThan(50);
  }, 30_000);

  test('evolve is total: any event body of the decider, applied to any reachable state, yields a state', () => {
    // Events decided in one room's history are re-applied to the states of another history:
    // facts about unknown sessions must be ignored, never throw.
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 30 }),
        fc.array(step, { minLength: 1, maxLength: 30 }),
        (a, c) => {
          const run = (steps: typeof a): { states: RoomState[]; events: RoomEvent[] } => {
            let state = initialState(ROOM);
            const states = [state];
            const events: RoomEvent[] = [];
            steps.forEach((s, i) => {
              const src = s.source(`r${i}`);
              const cmd: Command = {
                commandId: `c${i}`,
                room: ROOM,
                receivedAt: 1_000_000 + i * 1000,
                source: src,
                body: s.body.body(resolver(state, src), state.seq),
              };
              const d = decide(cmd, state, CONFIG);
              events.push(...d.events);
              state = d.state;
              states.push(state);
            });
            return { states, events };
          };
          const first = run(a);
          const second = run(c);
          for (const st of second.states) {
            for (const e of first.events) {
              const next = evolve(st, { ...e, seq: st.seq + 1 });
              expect(next.seq).toBe(st.seq + 1);
            }
          }
        },
      ),
      { numRuns: 60, seed: SEED },
    );
  }, 30_000);
});
