/**
 * Which rooms had live media when a partition changed hands. A worker that is given a partition
 * folds that partition's media-command history: a room with a participant whose media was set up
 * and never closed was being served by the previous owner, so the new owner claims it at once
 * (SfuRoomStatus ACCEPTED). The projector then tells the room's clients to re-publish
 * (MediaReset) — without waiting for the next media command, which may never come while the
 * clients' connections to the dead worker silently time out.
 */
import type { MediaCommandBody } from '@sig/schemas';

/** The part of a media command the fold needs. */
export interface MediaCommandFact {
  readonly room: string;
  readonly sessionId: string;
  readonly body: { readonly type: MediaCommandBody['type'] };
}

/** Rooms → sessions with media, folded command by command. */
export class LiveRooms {
  readonly #rooms = new Map<string, Set<string>>();

  apply(command: MediaCommandFact): void {
    const { room, sessionId } = command;
    switch (command.body.type) {
      case 'PublishOffer':
      case 'SubscribeTracks':
      case 'RemoteSdp':
      case 'RemoteCandidate':
      case 'IceRestart': {
        if (sessionId === '') return;
        let sessions = this.#rooms.get(room);
        if (!sessions) {
          sessions = new Set();
          this.#rooms.set(room, sessions);
        }
        sessions.add(sessionId);
        return;
      }
      case 'UnsubscribeTracks':
        return;
      case 'CloseSession': {
        const sessions = this.#rooms.get(room);
        sessions?.delete(sessionId);
        if (sessions?.size === 0) this.#rooms.delete(room);
        return;
      }
      case 'CloseRoom':
        this.#rooms.delete(room);
        return;
    }
  }

  /** Rooms with at least one session whose media was never closed. */
  rooms(): string[] {
    return [...this.#rooms.keys()];
  }
}
