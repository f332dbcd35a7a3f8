import type { RoomEvent, SessionFact } from '@sig/schemas';

/** What is being measured about one participant session while it lasts. */
interface OpenSession {
  readonly sessionId: string;
  readonly identity: string;
  readonly joinedAt: number;
  readonly connection: string;
  joinLatencyMs: number;
  reconnects: number;
  resumes: number;
  renegotiations: number;
  readonly errors: Map<string, number>;
  peakParticipants: number;
}

/** What is being measured about one room while it is open. */
interface OpenRoom {
  readonly openedAt: number;
  readonly sessions: Map<string, OpenSession>;
  peakParticipants: number;
  readonly errors: Map<string, number>;
  reconnects: number;
  resumes: number;
  renegotiations: number;
}

/** Analytics state of every room seen: the fold of room events with their log timestamps. */
export interface AnalyticsState {
  readonly rooms: Map<string, OpenRoom>;
}

/** The state before any event. */
export function initialAnalytics(): AnalyticsState {
  return { rooms: new Map() };
}

/** A room event as the analytics consumer sees it: with the time the projector logged it. */
export interface LoggedEvent {
  readonly event: RoomEvent;
  /** Kafka record timestamp (ms): when the projector wrote the event. */
  readonly loggedAt: number;
}

const connectionKey = (c: { edgeId: string; connectionId: string }) => `${c.edgeId}/${c.connectionId}`;
const bump = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);

/**
 * Applies one logged room event; returns the facts it completes (a session that ended, a room
 * that closed). Pure and deterministic: the same log always yields the same facts, so a replay
 * after a restart reproduces them exactly. Mutates `state` (the caller owns it, one per consumer).
 */
export function derive(state: AnalyticsState, { event, loggedAt }: LoggedEvent): SessionFact[] {
  const b = event.body;
  let room = state.rooms.get(event.room);
  if (b.type === 'RoomOpened' || !room) {
    room = {
      openedAt: event.at,
      sessions: new Map(),
      peakParticipants: 0,
      errors: new Map(),
      reconnects: 0,
      resumes: 0,
      renegotiations: 0,
    };
    state.rooms.set(event.room, room);
  }
  const session = (id: string) => room.sessions.get(id);
  switch (b.type) {
    case 'ParticipantJoined': {
      room.sessions.set(b.participant.sessionId, {
        sessionId: b.participant.sessionId,
        identity: b.participant.identity,
        joinedAt: b.participant.joinedAt,
        connection: connectionKey(b.connection),
        joinLatencyMs: 0,
        reconnects: 0,
        resumes: 0,
        renegotiations: 0,
        errors: new Map(),
        peakParticipants: 0,
      });
      room.peakParticipants = Math.max(room.peakParticipants, room.sessions.size);
      for (const s of room.sessions.values()) s.peakParticipants = Math.max(s.peakParticipants, room.sessions.size);
      return [];
    }
    case 'JoinAccepted': {
      // From the command's receipt at the edge (`at`) to the answer being on the log.
      const s = session(b.self.sessionId);
      if (s) s.joinLatencyMs = Math.max(0, loggedAt - event.at);
      return [];
    }
    case 'ParticipantConnectionChanged':
      if (b.status === 'RECONNECTING') {
        const s = session(b.sessionId);
        if (s) s.reconnects++;
        room.reconnects++;
      }
      return [];
    case 'ParticipantResumed': {
      const s = session(b.sessionId);
      if (s) {
        s.resumes++;
        room.sessions.set(s.sessionId, { ...s, connection: connectionKey(b.connection) });
      }
      room.resumes++;
      return [];
    }
    case 'PeerSignalRelayed':
    case 'MediaSignal': {
      // An offer starts a (re)negotiation; answers and candidates belong to it.
      if (b.kind !== 'OFFER') return [];
      const s = session(b.type === 'PeerSignalRelayed' ? b.from : b.sessionId);
      if (s) s.renegotiations++;
      room.renegotiations++;
      return [];
    }
    case 'CommandRejected': {
      bump(room.errors, b.code);
      const s = rejectedSession(room, event);
      if (s) bump(s.errors, b.code);
      return [];
    }
    case 'ParticipantLeft': {
      const s = session(b.sessionId);
      if (!s) return [];
      room.sessions.delete(b.sessionId);
      return [sessionFact(event.room, s, event.at, b.reason)];
    }
    case 'RoomClosed': {
      const facts = [...room.sessions.values()].map((s) => sessionFact(event.room, s, event.at, 'ROOM_CLOSED'));
      facts.push(roomFact(event.room, room, event.at, b.reason));
      state.rooms.delete(event.room);
      return facts;
    }
    default:
      return [];
  }
}

function rejectedSession(room: OpenRoom, event: RoomEvent): OpenSession | undefined {
  const a = event.audience;
  if (a.type === 'AudienceSessions')
    return a.sessionIds.map((id) => room.sessions.get(id)).find((s) => s !== undefined);
  if (a.type === 'AudienceConnection') {
    const key = connectionKey(a.connection);
    return [...room.sessions.values()].find((s) => s.connection === key);
  }
  return undefined;
}

function sessionFact(room: string, s: OpenSession, endedAt: number, leaveReason: string): SessionFact {
  return {
    room,
    sessionId: s.sessionId,
    identity: s.identity,
    kind: 'SESSION_ENDED',
    joinedAt: s.joinedAt,
    endedAt,
    durationMs: Math.max(0, endedAt - s.joinedAt),
    joinLatencyMs: s.joinLatencyMs,
    reconnects: s.reconnects,
    resumes: s.resumes,
    renegotiations: s.renegotiations,
    errors: Object.fromEntries(s.errors),
    leaveReason,
    peakParticipants: s.peakParticipants,
  };
}

function roomFact(room: string, r: OpenRoom, endedAt: number, reason: string): SessionFact {
  return {
    room,
    sessionId: '',
    identity: '',
    kind: 'ROOM_ENDED',
    joinedAt: r.openedAt,
    endedAt,
    durationMs: Math.max(0, endedAt - r.openedAt),
    joinLatencyMs: 0,
    reconnects: r.reconnects,
    resumes: r.resumes,
    renegotiations: r.renegotiations,
    errors: Object.fromEntries(r.errors),
    leaveReason: reason,
    peakParticipants: r.peakParticipants,
  };
}
