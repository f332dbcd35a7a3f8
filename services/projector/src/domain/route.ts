import type { ConnectionRef, RoomEvent } from '@sig/schemas';
import type { RoomState } from './state.js';

/** One socket an event must be pushed to now. */
export interface LiveRecipient {
  /** Participant session, or null for a connection that is not a participant (rejected join). */
  readonly sessionId: string | null;
  readonly connection: ConnectionRef;
}

/** Who an event is for. */
export interface Routing {
  /** Sockets to push the event to now (connected recipients). */
  readonly live: readonly LiveRecipient[];
  /**
   * Every session the event is addressed to, connected or not: a RECONNECTING participant gets
   * it on resume. The resume window keeps this set per event.
   */
  readonly addressed: readonly string[];
}

const NOBODY: Routing = { live: [], addressed: [] };

/**
 * Resolves an event's audience against the room state just before the event: "the room" is
 * whoever was in it when the fact happened, so a kicked participant hears of its own kick and
 * a newcomer does not receive its own join notice.
 */
export function route(event: RoomEvent, before: RoomState): Routing {
  const a = event.audience;
  switch (a.type) {
    case 'AudienceNone':
      return NOBODY;
    case 'AudienceConnection':
      return { live: [{ sessionId: null, connection: a.connection }], addressed: [] };
    case 'AudienceRoom': {
      const live: LiveRecipient[] = [];
      const addressed: string[] = [];
      for (const p of before.participants.values()) {
        if (a.exclude.includes(p.sessionId)) continue;
        addressed.push(p.sessionId);
        if (p.status === 'CONNECTED') live.push({ sessionId: p.sessionId, connection: p.connection });
      }
      return { live, addressed };
    }
    case 'AudienceSessions': {
      const live: LiveRecipient[] = [];
      const addressed: string[] = [];
      for (const id of a.sessionIds) {
        const p = before.participants.get(id);
        if (!p) continue;
        addressed.push(id);
        if (p.status === 'CONNECTED') live.push({ sessionId: id, connection: p.connection });
      }
      return { live, addressed };
    }
  }
}
