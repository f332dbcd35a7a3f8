/**
 * Why a socket ends, as one table: the close code the client sees, the reason text, and the
 * `ConnectionClosed` fact the projector gets (reason + clean). Close codes come from the protocol
 * catalogue, so what the edge sends is what docs/protocol.md tells clients to expect.
 */
import { CLOSE_CODES, type DisconnectReason } from '@sig/schemas';

/** Why the edge closes a connection. */
export type ServerCloseCause =
  | 'heartbeat_timeout'
  | 'slow_consumer'
  | 'draining'
  | 'token_expired'
  | 'abuse'
  | 'invalid_frames'
  | 'message_too_big'
  | 'kicked'
  | 'replaced'
  | 'session_ended'
  | 'room_closed'
  | 'internal';

/** How the edge closes a connection for a given cause. */
export interface CloseDecision {
  readonly code: number;
  /** Close frame reason (kept well under the 123-byte limit). */
  readonly reason: string;
  /** The `ConnectionClosed.reason` logged when the connection had joined a room. */
  readonly disconnect: DisconnectReason;
}

/**
 * Every server-initiated close. Kicked/replaced/ended sessions log nothing (the room already
 * removed the participant); the others are unclean so the projector starts the departure grace
 * period and the client can resume.
 */
export const SERVER_CLOSES: Readonly<Record<ServerCloseCause, CloseDecision>> = {
  heartbeat_timeout: {
    code: CLOSE_CODES.heartbeat_timeout.code,
    reason: 'heartbeat timeout',
    disconnect: 'HEARTBEAT_TIMEOUT',
  },
  slow_consumer: { code: CLOSE_CODES.slow_consumer.code, reason: 'slow consumer', disconnect: 'SLOW_CONSUMER' },
  draining: { code: CLOSE_CODES.draining.code, reason: 'edge draining', disconnect: 'EDGE_DRAINING' },
  token_expired: { code: CLOSE_CODES.token_expired.code, reason: 'token expired', disconnect: 'TOKEN_EXPIRED' },
  // Rate-limit abuse: the protocol catalogue's 4008 (rate_limited → abuse close), not 1008.
  abuse: { code: CLOSE_CODES.abuse.code, reason: 'rate limits exceeded', disconnect: 'ABUSE' },
  invalid_frames: {
    code: CLOSE_CODES.policy_violation.code,
    reason: 'too many invalid frames',
    disconnect: 'PROTOCOL_ERROR',
  },
  message_too_big: { code: CLOSE_CODES.message_too_big.code, reason: 'message too big', disconnect: 'PROTOCOL_ERROR' },
  kicked: { code: CLOSE_CODES.kicked.code, reason: 'kicked', disconnect: 'UNKNOWN' },
  replaced: { code: CLOSE_CODES.duplicate_identity.code, reason: 'replaced by a newer session', disconnect: 'UNKNOWN' },
  session_ended: { code: CLOSE_CODES.normal.code, reason: 'session ended', disconnect: 'UNKNOWN' },
  room_closed: { code: CLOSE_CODES.normal.code, reason: 'room closed', disconnect: 'UNKNOWN' },
  internal: { code: CLOSE_CODES.internal_error.code, reason: 'internal error', disconnect: 'UNKNOWN' },
};

/** Causes after which the session is already over in the room: nothing is logged for the socket. */
const SESSION_OVER: ReadonlySet<ServerCloseCause> = new Set(['kicked', 'replaced', 'session_ended', 'room_closed']);

/** The `ConnectionClosed` body to log, or null when there is nothing for the room to learn. */
export function connectionClosedFor(
  close: { readonly by: 'server'; readonly cause: ServerCloseCause } | { readonly by: 'client'; readonly code: number },
): { readonly reason: DisconnectReason; readonly clean: boolean } | null {
  if (close.by === 'client') {
    // Only a deliberate 1000 is clean. 1001 is what proxies and tab closes send, and 1005/1006
    // are lost transports: all of those deserve the departure grace period and a resume.
    return { reason: 'CLIENT_CLOSED', clean: close.code === CLOSE_CODES.normal.code };
  }
  if (SESSION_OVER.has(close.cause)) return null;
  return { reason: SERVER_CLOSES[close.cause].disconnect, clean: false };
}
