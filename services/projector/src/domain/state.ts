import type { ConnectionRef, Grants, ParticipantStatus, TrackInfo } from '@sig/schemas';

/** Room limits decided by configuration, recorded in RoomOpened so replay sees the same values. */
export interface RoomConfig {
  readonly maxParticipants: number;
  readonly emptyTimeoutMs: number;
  readonly departureTimeoutMs: number;
}

/** One participant session as the projector knows it. */
export interface ParticipantState {
  readonly sessionId: string;
  readonly identity: string;
  readonly name: string;
  readonly metadata: string;
  readonly grants: Grants;
  readonly joinedAt: number;
  readonly tracks: readonly TrackInfo[];
  readonly status: ParticipantStatus;
  readonly connection: ConnectionRef;
  /** When the connection was lost (status RECONNECTING), else null. */
  readonly disconnectedAt: number | null;
  /** Track ids (publisher-scoped: `<sessionId>/<trackId>`) this participant receives via the SFU. */
  readonly subscriptions: readonly string[];
  /**
   * Request ids of this session's recent commands that produced room events, oldest first (at most
   * REQUEST_ID_WINDOW): a command repeating one of them is a client retry, decided only once.
   */
  readonly recentRequestIds: readonly string[];
}

/** Lifecycle of a room: never opened, open, closed (a later join reopens it). */
export type RoomPhase = 'absent' | 'open' | 'closed';

/** The state of one room: the fold of its room events. */
export interface RoomState {
  readonly room: string;
  readonly phase: RoomPhase;
  /** Last room sequence number applied (0 before the first event). */
  readonly seq: number;
  readonly config: RoomConfig | null;
  readonly metadata: string;
  /** Participants by session id, in join order. */
  readonly participants: ReadonlyMap<string, ParticipantState>;
  /** When the room last became empty (open rooms only), else null. */
  readonly emptySince: number | null;
  /** SFU worker serving the room's media, if any. */
  readonly sfuWorker: string | null;
}

/** The state of a room nobody has used yet. */
export function initialState(room: string): RoomState {
  return {
    room,
    phase: 'absent',
    seq: 0,
    config: null,
    metadata: '',
    participants: new Map(),
    emptySince: null,
    sfuWorker: null,
  };
}

/** The participant holding this connection, if any. */
export function participantByConnection(
  state: RoomState,
  edgeId: string,
  connectionId: string,
): ParticipantState | undefined {
  for (const p of state.participants.values()) {
    if (p.connection.edgeId === edgeId && p.connection.connectionId === connectionId) return p;
  }
  return undefined;
}

/** The participant with this identity, if any (identities are unique in a room). */
export function participantByIdentity(state: RoomState, identity: string): ParticipantState | undefined {
  for (const p of state.participants.values()) if (p.identity === identity) return p;
  return undefined;
}

/** Scoped id of a track: track ids are only unique per publisher. */
export function scopedTrackId(sessionId: string, trackId: string): string {
  return `${sessionId}/${trackId}`;
}
