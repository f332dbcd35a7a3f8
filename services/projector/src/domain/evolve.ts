import type { RoomEvent, RoomEventBody } from '@sig/schemas';
import { rememberRequest } from './requests.js';
import type { ParticipantState, RoomState } from './state.js';

type Body<T extends RoomEventBody['type']> = Extract<RoomEventBody, { type: T }>;
type Evolver<T extends RoomEventBody['type']> = (state: RoomState, body: Body<T>, event: RoomEvent) => RoomState;

/** Error raised when a log is not a valid history (gap, duplicate, reordering, foreign room). */
export class LogIntegrityError extends Error {
  override readonly name = 'LogIntegrityError';
  constructor(
    readonly kind: 'gap' | 'duplicate' | 'out_of_order' | 'wrong_room',
    readonly room: string,
    readonly expectedSeq: number,
    readonly actualSeq: number,
  ) {
    super(`room ${room}: ${kind} (expected seq ${expectedSeq}, got ${actualSeq})`);
  }
}

/**
 * Applies one room event. Total: any event with the next sequence number yields a state,
 * whatever its body (facts about unknown sessions are ignored), so replaying any valid log
 * never throws. A sequence that is not `state.seq + 1` is not a valid history and throws
 * LogIntegrityError, which is how replay detects gaps, duplicates and reordering.
 */
export function evolve(state: RoomState, event: RoomEvent): RoomState {
  if (event.room !== state.room) throw new LogIntegrityError('wrong_room', state.room, state.seq + 1, event.seq);
  if (event.seq !== state.seq + 1) {
    const kind = event.seq <= state.seq ? (event.seq === state.seq ? 'duplicate' : 'out_of_order') : 'gap';
    throw new LogIntegrityError(kind, state.room, state.seq + 1, event.seq);
  }
  const next = { ...state, seq: event.seq };
  const evolver = EVOLVERS[event.body.type] as Evolver<RoomEventBody['type']>;
  return rememberRequest(evolver(next, event.body, event), event);
}

const unchanged = (s: RoomState): RoomState => s;

function withParticipants(state: RoomState, participants: Map<string, ParticipantState>, at: number): RoomState {
  const empty = participants.size === 0;
  return { ...state, participants, emptySince: empty ? (state.emptySince ?? at) : null };
}

function updateParticipant(
  state: RoomState,
  sessionId: string,
  update: (p: ParticipantState) => ParticipantState,
): RoomState {
  const p = state.participants.get(sessionId);
  if (!p) return state;
  const participants = new Map(state.participants);
  participants.set(sessionId, update(p));
  return { ...state, participants };
}

const EVOLVERS: { readonly [T in RoomEventBody['type']]: Evolver<T> } = {
  RoomOpened: (s, b, e) => ({
    ...s,
    phase: 'open',
    config: {
      maxParticipants: b.maxParticipants,
      emptyTimeoutMs: b.emptyTimeoutMs,
      departureTimeoutMs: b.departureTimeoutMs,
    },
    participants: new Map(),
    emptySince: e.at,
    sfuWorker: null,
  }),
  RoomClosed: (s) => ({ ...s, phase: 'closed', participants: new Map(), emptySince: null, sfuWorker: null }),
  RoomMetadataChanged: (s, b) => ({ ...s, metadata: b.metadata }),
  ParticipantJoined: (s, b, e) => {
    const participants = new Map(s.participants);
    participants.set(b.participant.sessionId, {
      sessionId: b.participant.sessionId,
      identity: b.participant.identity,
      name: b.participant.name,
      metadata: b.participant.metadata,
      grants: b.grants,
      joinedAt: b.participant.joinedAt,
      tracks: b.participant.tracks,
      status: 'CONNECTED',
      connection: b.connection,
      disconnectedAt: null,
      subscriptions: [],
      recentRequestIds: [],
    });
    return withParticipants(s, participants, e.at);
  },
  JoinAccepted: unchanged,
  ParticipantResumed: (s, b) =>
    updateParticipant(s, b.sessionId, (p) => ({
      ...p,
      connection: b.connection,
      status: 'CONNECTED',
      disconnectedAt: null,
    })),
  ResumeRejected: unchanged,
  ParticipantConnectionChanged: (s, b, e) =>
    updateParticipant(s, b.sessionId, (p) =>
      b.status === 'RECONNECTING'
        ? { ...p, status: 'RECONNECTING', disconnectedAt: p.disconnectedAt ?? e.at }
        : { ...p, status: 'CONNECTED', disconnectedAt: null },
    ),
  ParticipantLeft: (s, b, e) => {
    if (!s.participants.has(b.sessionId)) return s;
    const participants = new Map(s.participants);
    participants.delete(b.sessionId);
    // Subscriptions to the leaver's tracks end with it.
    const prefix = `${b.sessionId}/`;
    for (const [id, p] of participants) {
      if (p.subscriptions.some((t) => t.startsWith(prefix))) {
        participants.set(id, { ...p, subscriptions: p.subscriptions.filter((t) => !t.startsWith(prefix)) });
      }
    }
    return withParticipants(s, participants, e.at);
  },
  ParticipantUpdated: (s, b) =>
    updateParticipant(s, b.sessionId, (p) => ({
      ...p,
      name: b.name ?? p.name,
      metadata: b.metadata ?? p.metadata,
      grants: b.grants ?? p.grants,
    })),
  TrackPublished: (s, b) =>
    updateParticipant(s, b.sessionId, (p) => ({
      ...p,
      tracks: [...p.tracks.filter((t) => t.trackId !== b.track.trackId), b.track],
    })),
  TrackUnpublished: (s, b) => {
    const scoped = `${b.sessionId}/${b.trackId}`;
    let next = updateParticipant(s, b.sessionId, (p) => ({
      ...p,
      tracks: p.tracks.filter((t) => t.trackId !== b.trackId),
    }));
    for (const p of next.participants.values()) {
      if (p.subscriptions.includes(scoped)) {
        next = updateParticipant(next, p.sessionId, (q) => ({
          ...q,
          subscriptions: q.subscriptions.filter((t) => t !== scoped),
        }));
      }
    }
    return next;
  },
  TrackMuted: (s, b) =>
    updateParticipant(s, b.sessionId, (p) => ({
      ...p,
      tracks: p.tracks.map((t) => (t.trackId === b.trackId ? { ...t, muted: b.muted } : t)),
    })),
  PeerSignalRelayed: unchanged,
  DataRelayed: unchanged,
  MediaSignal: unchanged,
  SubscriptionChanged: (s, b) => updateParticipant(s, b.sessionId, (p) => ({ ...p, subscriptions: b.trackIds })),
  SfuAssigned: (s, b) => ({ ...s, sfuWorker: b.workerId }),
  SfuReleased: (s) => ({ ...s, sfuWorker: null }),
  MediaReset: (s) => {
    // Media state is gone with the worker: tracks must be published again.
    const participants = new Map<string, ParticipantState>();
    for (const [id, p] of s.participants) participants.set(id, { ...p, tracks: [], subscriptions: [] });
    return { ...s, participants };
  },
  CommandRejected: unchanged,
};
