/**
 * The meaning of every error code and WebSocket close code. The codes themselves are the Avro
 * enum `ErrorCode` (schemas/avro): the same values appear in room events, logs and on the wire.
 * docs/protocol.md's tables are generated from these two objects.
 */
import type { ErrorCode } from '../generated/types.js';

/** A WebSocket close code the server uses, and what the client should make of it. */
export interface CloseCodeInfo {
  readonly code: number;
  readonly name: CloseCodeName;
  /** Whether the client should reconnect (with backoff, to any edge) and resume its session. */
  readonly resume: boolean;
  readonly description: string;
}

export type CloseCodeName =
  | 'normal'
  | 'going_away'
  | 'policy_violation'
  | 'message_too_big'
  | 'internal_error'
  | 'try_again_later'
  | 'token_expired'
  | 'kicked'
  | 'duplicate_identity'
  | 'slow_consumer'
  | 'draining'
  | 'heartbeat_timeout'
  | 'abuse';

/**
 * Close codes by name. 1001 invites resume because proxies and CDNs cut sockets with it; closes
 * caused by the client (kicked, replaced, abuse, oversize) do not, since reconnecting would
 * repeat the cause or fight the newer session.
 */
export const CLOSE_CODES = {
  normal: {
    code: 1000,
    name: 'normal',
    resume: false,
    description: 'The session ended: the client left, or the room closed.',
  },
  going_away: {
    code: 1001,
    name: 'going_away',
    resume: true,
    description: 'The server or an intermediary (proxy, CDN) is going away; reconnect and resume.',
  },
  policy_violation: {
    code: 1008,
    name: 'policy_violation',
    resume: false,
    description:
      'The client broke the protocol (e.g. kept sending invalid frames); fix the client, do not reconnect automatically.',
  },
  message_too_big: {
    code: 1009,
    name: 'message_too_big',
    resume: false,
    description: 'A frame exceeded the transport size cap.',
  },
  internal_error: {
    code: 1011,
    name: 'internal_error',
    resume: true,
    description: 'Unexpected server error; reconnect with backoff and resume.',
  },
  try_again_later: {
    code: 1013,
    name: 'try_again_later',
    resume: true,
    description: 'The server is overloaded; reconnect with backoff and resume.',
  },
  token_expired: {
    code: 4001,
    name: 'token_expired',
    resume: false,
    description: 'The access token expired without a refresh_token; the session ended. Join again with a fresh token.',
  },
  kicked: { code: 4002, name: 'kicked', resume: false, description: 'An admin removed the participant from the room.' },
  duplicate_identity: {
    code: 4003,
    name: 'duplicate_identity',
    resume: false,
    description: 'A newer session with the same identity replaced this one.',
  },
  slow_consumer: {
    code: 4004,
    name: 'slow_consumer',
    resume: true,
    description:
      'The client did not read fast enough and its send buffer overflowed; resume to get what it missed. The close frame queues behind the unread data: a client that does not read it within 4 s sees an abnormal close (1006) instead, resume on that too.',
  },
  draining: {
    code: 4005,
    name: 'draining',
    resume: true,
    description: 'This edge is draining (after a reconnect_elsewhere notice); resume on another edge.',
  },
  heartbeat_timeout: {
    code: 4006,
    name: 'heartbeat_timeout',
    resume: true,
    description: 'No pong (or any frame) within the heartbeat timeout; resume.',
  },
  abuse: {
    code: 4008,
    name: 'abuse',
    resume: false,
    description: 'Persistent abuse: rate limits exceeded again and again.',
  },
} as const satisfies { readonly [N in CloseCodeName]: CloseCodeInfo & { readonly name: N } };

/** The catalogue entry of a close code, or undefined for a code the server never sends. */
export function closeCodeInfo(code: number): CloseCodeInfo | undefined {
  return Object.values(CLOSE_CODES).find((info) => info.code === code);
}

/** What an error code means for the client. */
export interface ErrorCodeInfo {
  /** Whether the same message may succeed if sent again unchanged, after a delay (see retryAfterMs). */
  readonly retriable: boolean;
  readonly description: string;
  /** The close code used when this error ends the connection. */
  readonly closeCode?: number;
}

/** Every error code's meaning; TypeScript rejects a missing or unknown code. */
export const ERROR_CATALOGUE: Readonly<Record<ErrorCode, ErrorCodeInfo>> = {
  bad_request: {
    retriable: false,
    description:
      'The message is valid but makes no sense in the current state (e.g. an answer without an offer, an empty update).',
  },
  invalid_message: {
    retriable: false,
    description:
      'The frame is not JSON, not an object, nested too deeply, or violates the message schema; `message` gives the path and what was expected. A client that keeps sending invalid frames is closed with 1008.',
    closeCode: CLOSE_CODES.policy_violation.code,
  },
  message_too_large: {
    retriable: false,
    description:
      'The frame exceeds the size cap; it was not parsed, and the connection closes with 1009. A frame over twice the cap is dropped by the WebSocket layer without a close frame (the client observes 1006).',
    closeCode: CLOSE_CODES.message_too_big.code,
  },
  unknown_type: { retriable: false, description: 'The message `type` is not part of the protocol.' },
  unauthorized: {
    retriable: false,
    description: 'The token is missing, malformed or wrongly signed (HTTP 401 at the upgrade; error to refresh_token).',
  },
  token_expired: {
    retriable: false,
    description: 'The token expired; fetch a fresh one (refresh_token before expiry keeps the session).',
    closeCode: CLOSE_CODES.token_expired.code,
  },
  forbidden: {
    retriable: false,
    description: 'The token does not grant access to this room (HTTP 403 at the upgrade).',
  },
  origin_not_allowed: { retriable: false, description: 'The Origin header is not allowed (HTTP 403 at the upgrade).' },
  rate_limited: {
    retriable: true,
    description:
      'Too many messages; the message was dropped. Retry after `retryAfterMs`. Persisting closes the connection with 4008.',
    closeCode: CLOSE_CODES.abuse.code,
  },
  room_full: { retriable: false, description: 'The room reached its participant limit.' },
  room_not_found: { retriable: false, description: 'The room does not exist (or closed).' },
  not_in_room: { retriable: false, description: 'The message requires having joined: send join first.' },
  participant_not_found: { retriable: false, description: 'The target identity is not in the room.' },
  already_joined: { retriable: false, description: 'This connection already joined a room.' },
  duplicate_identity: {
    retriable: false,
    description: 'A newer session with the same identity replaced this one.',
    closeCode: CLOSE_CODES.duplicate_identity.code,
  },
  resume_failed: {
    retriable: false,
    description: 'The session cannot be resumed (see resume_failed.reason); join again.',
  },
  kafka_unavailable: {
    retriable: true,
    description: 'The message could not be logged to Kafka, so it was not accepted; send it again later.',
  },
  overloaded: {
    retriable: true,
    description: 'The server is overloaded; retry with backoff. When it sheds connections it closes with 1013.',
    closeCode: CLOSE_CODES.try_again_later.code,
  },
  slow_consumer: {
    retriable: true,
    description:
      'The client did not read fast enough; the connection is closed with 4004, resume to get what it missed.',
    closeCode: CLOSE_CODES.slow_consumer.code,
  },
  draining: {
    retriable: true,
    description: 'This edge is draining and accepts no new joins; reconnect to another edge (resume if joined).',
    closeCode: CLOSE_CODES.draining.code,
  },
  internal: {
    retriable: false,
    description: 'Unexpected server error. When it ends the connection the close code is 1011, which invites resume.',
    closeCode: CLOSE_CODES.internal_error.code,
  },
  sfu_unavailable: { retriable: true, description: 'No media worker serves this room right now.' },
  sfu_capacity: { retriable: true, description: 'The media worker serving this room is at capacity.' },
  invalid_sdp: { retriable: false, description: 'The SDP could not be parsed or negotiated.' },
  invalid_candidate: { retriable: false, description: 'The ICE candidate is malformed.' },
  not_allowed: {
    retriable: false,
    description: 'A grant this action needs is missing (canPublish, canSubscribe, canPublishData or roomAdmin).',
  },
  timeout: {
    retriable: true,
    description: 'The operation did not complete in time (e.g. no SFU answer); it may or may not have taken effect.',
  },
  abuse: {
    retriable: false,
    description: 'The connection kept exceeding its rate limit after being told to slow down; it is closed.',
    closeCode: CLOSE_CODES.abuse.code,
  },
  kicked: {
    retriable: false,
    description: 'An admin removed this participant from the room; do not rejoin automatically.',
    closeCode: CLOSE_CODES.kicked.code,
  },
  heartbeat_timeout: {
    retriable: true,
    description:
      'No frame arrived within the heartbeat timeout; the connection is closed and the client should resume.',
    closeCode: CLOSE_CODES.heartbeat_timeout.code,
  },
};
