/**
 * The room as this participant sees it, kept from the sequenced room messages: who is there,
 * their status, metadata and tracks. Pure bookkeeping, applied after seq deduplication.
 */
import type { Participant, ServerMessage, ServerMessageOf, Track } from './protocol.js';

/** The participants (others, by session id), this participant and the room metadata. */
export class RoomModel {
  readonly participants = new Map<string, Participant>();
  self: Participant | null = null;
  metadata = '';

  /** Starts over from a `joined` snapshot. */
  reset(m: ServerMessageOf<'joined'>): void {
    this.participants.clear();
    for (const p of m.participants) this.participants.set(p.sessionId, p);
    this.self = m.self;
    this.metadata = m.roomMetadata;
  }

  /** The participant (self included) with this session id. */
  get(sessionId: string): Participant | undefined {
    return this.self?.sessionId === sessionId ? this.self : this.participants.get(sessionId);
  }

  set(p: Participant): void {
    if (this.self?.sessionId === p.sessionId) this.self = p;
    else this.participants.set(p.sessionId, p);
  }
}

function withTracks(p: Participant, tracks: Track[]): Participant {
  return { ...p, tracks };
}

/** Applies a room message to the model; true when the participants changed. */
export function applyToRoom(room: RoomModel, m: ServerMessage): boolean {
  switch (m.type) {
    case 'participant_joined':
      room.set(m.participant);
      return true;
    case 'participant_left':
      return room.participants.delete(m.sessionId);
    case 'participant_updated': {
      const p = room.get(m.sessionId);
      if (!p) return false;
      room.set({
        ...p,
        ...(m.name === undefined ? {} : { name: m.name }),
        ...(m.metadata === undefined ? {} : { metadata: m.metadata }),
        ...(m.status === undefined ? {} : { status: m.status }),
      });
      return true;
    }
    case 'track_published': {
      const p = room.get(m.sessionId);
      if (!p) return false;
      room.set(withTracks(p, [...p.tracks.filter((t) => t.trackId !== m.track.trackId), m.track]));
      return true;
    }
    case 'track_unpublished': {
      const p = room.get(m.sessionId);
      if (!p) return false;
      room.set(
        withTracks(
          p,
          p.tracks.filter((t) => t.trackId !== m.trackId),
        ),
      );
      return true;
    }
    case 'track_muted': {
      const p = room.get(m.sessionId);
      if (!p) return false;
      room.set(
        withTracks(
          p,
          p.tracks.map((t) => (t.trackId === m.trackId ? { ...t, muted: m.muted } : t)),
        ),
      );
      return true;
    }
    case 'room_updated':
      room.metadata = m.metadata;
      return false;
    default:
      return false;
  }
}
