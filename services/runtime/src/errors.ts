/**
 * Stable error codes shared by every service, the wire protocol and the client SDK.
 *
 * Callers branch on `code` and `retriable`, never on messages. `ERROR_CODES` is the single
 * catalogue docs/protocol.md and the SDK are generated from, so a code added here is documented
 * everywhere at once.
 */

/** WebSocket close codes the edge sends (RFC 6455 range 1000–2999, application range 4000–4999). */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  /** Never sent: what a client observes when the TCP connection drops without a close frame. */
  abnormal: 1006,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
  tryAgainLater: 1013,
  tokenExpired: 4001,
  kicked: 4002,
  duplicateIdentity: 4003,
  slowConsumer: 4004,
  reconnectElsewhere: 4005,
  heartbeatTimeout: 4006,
  abuse: 4008,
} as const;

export type CloseCodeName = keyof typeof CLOSE_CODES;
export type CloseCode = (typeof CLOSE_CODES)[CloseCodeName];

/**
 * What a client should do after a close:
 * - `resume`: reconnect (any edge, with backoff) and resume with `{ sessionId, lastSeq }`;
 * - `resume_with_new_token`: same, after fetching a fresh token;
 * - `none`: do not reconnect automatically (the user or the app must decide).
 */
export type ReconnectAdvice = 'resume' | 'resume_with_new_token' | 'none';

/** Per close code: whether it invites resume, and why it is sent. */
export interface CloseCodeInfo {
  readonly name: CloseCodeName;
  readonly reconnect: ReconnectAdvice;
  readonly description: string;
}

/**
 * Which closes invite resume. Proxies and CDNs cut idle sockets with 1001, so 1001 must invite
 * resume or clients never recover (a pain point of the systems we replace). Closes caused by the
 * client itself (kicked, replaced by a newer session, abuse, oversize frames) do not: an automatic
 * reconnect would repeat the cause, or ping-pong with the newer session.
 */
export const CLOSE_CODE_INFO: Readonly<Record<CloseCode, CloseCodeInfo>> = {
  1000: { name: 'normal', reconnect: 'none', description: 'Session ended normally (leave or client close).' },
  1001: { name: 'goingAway', reconnect: 'resume', description: 'Server or an intermediary is going away.' },
  1006: {
    name: 'abnormal',
    reconnect: 'resume',
    description: 'Connection lost without a close frame (observed, never sent).',
  },
  1008: { name: 'policyViolation', reconnect: 'none', description: 'The client violated the protocol or a policy.' },
  1009: { name: 'messageTooBig', reconnect: 'none', description: 'A frame exceeded the size cap.' },
  1011: { name: 'internalError', reconnect: 'resume', description: 'Unexpected server error; reconnect with backoff.' },
  1013: { name: 'tryAgainLater', reconnect: 'resume', description: 'Server overloaded; reconnect with backoff.' },
  4001: {
    name: 'tokenExpired',
    reconnect: 'resume_with_new_token',
    description: 'The access token expired and was not refreshed.',
  },
  4002: { name: 'kicked', reconnect: 'none', description: 'Removed from the room by an admin.' },
  4003: {
    name: 'duplicateIdentity',
    reconnect: 'none',
    description: 'A newer session with the same identity replaced this one.',
  },
  4004: {
    name: 'slowConsumer',
    reconnect: 'resume',
    description: 'The client could not keep up; resume to fetch what it missed.',
  },
  4005: {
    name: 'reconnectElsewhere',
    reconnect: 'resume',
    description: 'This edge is draining; resume on another edge.',
  },
  4006: { name: 'heartbeatTimeout', reconnect: 'resume', description: 'No pong within the heartbeat timeout.' },
  4008: { name: 'abuse', reconnect: 'none', description: 'Persistent abuse (rate limits, garbage frames).' },
};

/** Whether a WebSocket close code is one a server may send (1000–1015 except reserved, or 3000–4999). */
export function isValidCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  // 1004, 1005, 1006 and 1015 are reserved: they must never appear in a close frame.
  if (code >= 1000 && code <= 1014) return code !== 1004 && code !== 1005 && code !== 1006;
  return code >= 3000 && code <= 4999;
}

/** Every stable error code; the order is the order of docs/protocol.md. */
export const ERROR_CODE_LIST = [
  'bad_request',
  'invalid_message',
  'message_too_large',
  'unknown_type',
  'unauthorized',
  'token_expired',
  'forbidden',
  'origin_not_allowed',
  'not_allowed',
  'rate_limited',
  'abuse',
  'room_full',
  'room_not_found',
  'not_in_room',
  'participant_not_found',
  'already_joined',
  'duplicate_identity',
  'kicked',
  'resume_failed',
  'kafka_unavailable',
  'overloaded',
  'slow_consumer',
  'heartbeat_timeout',
  'draining',
  'timeout',
  'internal',
  'sfu_unavailable',
  'sfu_capacity',
  'invalid_sdp',
  'invalid_candidate',
] as const;

/** A stable error code, the same in logs, metrics, span attributes and on the wire. */
export type ErrorCode = (typeof ERROR_CODE_LIST)[number];

/** Catalogue entry of an error code. */
export interface ErrorCodeInfo {
  /** Whether the same request may succeed if retried as is, after a delay. */
  readonly retriable: boolean;
  /** Status when the error answers an HTTP request (the WebSocket upgrade, admin endpoints). */
  readonly httpStatus?: number;
  /** Close code when the error ends the connection. */
  readonly closeCode?: CloseCode;
  readonly description: string;
}

/** The error catalogue: the single source of docs/protocol.md and the client SDK's error table. */
export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeInfo>> = {
  bad_request: { retriable: false, httpStatus: 400, description: 'The request is malformed.' },
  invalid_message: {
    retriable: false,
    httpStatus: 400,
    description: 'The message does not match the protocol schema.',
  },
  message_too_large: {
    retriable: false,
    httpStatus: 413,
    closeCode: CLOSE_CODES.messageTooBig,
    description: 'The frame exceeds the size cap.',
  },
  unknown_type: { retriable: false, httpStatus: 400, description: 'The message type is not part of the protocol.' },
  unauthorized: {
    retriable: false,
    httpStatus: 401,
    description: 'The token is missing, malformed or its signature is invalid.',
  },
  token_expired: {
    retriable: false,
    httpStatus: 401,
    closeCode: CLOSE_CODES.tokenExpired,
    description: 'The token has expired; fetch a new one.',
  },
  forbidden: { retriable: false, httpStatus: 403, description: 'The token does not grant access to this room.' },
  origin_not_allowed: { retriable: false, httpStatus: 403, description: 'The Origin header is not allowed.' },
  not_allowed: {
    retriable: false,
    httpStatus: 403,
    description: 'A grant required by this action is missing (e.g. canPublish, roomAdmin).',
  },
  rate_limited: { retriable: true, httpStatus: 429, description: 'Too many requests; retry after `retryAfterMs`.' },
  abuse: {
    retriable: false,
    httpStatus: 429,
    closeCode: CLOSE_CODES.abuse,
    description: 'Persistent abuse of rate limits or protocol; the connection is closed.',
  },
  room_full: { retriable: false, httpStatus: 409, description: 'The room reached its participant limit.' },
  room_not_found: { retriable: false, httpStatus: 404, description: 'The room does not exist.' },
  not_in_room: { retriable: false, httpStatus: 409, description: 'The action requires having joined the room.' },
  participant_not_found: {
    retriable: false,
    httpStatus: 404,
    description: 'The target participant is not in the room.',
  },
  already_joined: { retriable: false, httpStatus: 409, description: 'This session already joined the room.' },
  duplicate_identity: {
    retriable: false,
    httpStatus: 409,
    closeCode: CLOSE_CODES.duplicateIdentity,
    description: 'A newer session with the same identity replaced this one.',
  },
  kicked: { retriable: false, closeCode: CLOSE_CODES.kicked, description: 'Removed from the room by an admin.' },
  resume_failed: {
    retriable: false,
    httpStatus: 410,
    description: 'The session cannot be resumed (unknown session or gap older than the resume window); rejoin.',
  },
  kafka_unavailable: {
    retriable: true,
    httpStatus: 503,
    description: 'The message could not be logged; it was not accepted. Retry later.',
  },
  overloaded: {
    retriable: true,
    httpStatus: 503,
    closeCode: CLOSE_CODES.tryAgainLater,
    description: 'The server is overloaded; retry with backoff.',
  },
  slow_consumer: {
    retriable: true,
    closeCode: CLOSE_CODES.slowConsumer,
    description: 'The client did not read fast enough; resume to fetch what it missed.',
  },
  heartbeat_timeout: {
    retriable: true,
    closeCode: CLOSE_CODES.heartbeatTimeout,
    description: 'No heartbeat within the timeout; resume.',
  },
  draining: {
    retriable: true,
    httpStatus: 503,
    closeCode: CLOSE_CODES.reconnectElsewhere,
    description: 'This node is draining; reconnect to another one and resume.',
  },
  timeout: { retriable: true, httpStatus: 504, description: 'The operation did not complete in time.' },
  internal: {
    retriable: false,
    httpStatus: 500,
    closeCode: CLOSE_CODES.internalError,
    description: 'Unexpected server error.',
  },
  sfu_unavailable: { retriable: true, httpStatus: 503, description: 'No media worker serves this room right now.' },
  sfu_capacity: { retriable: true, httpStatus: 503, description: 'The media worker is at capacity.' },
  invalid_sdp: { retriable: false, httpStatus: 400, description: 'The SDP could not be parsed or negotiated.' },
  invalid_candidate: { retriable: false, httpStatus: 400, description: 'The ICE candidate is malformed.' },
};

/** Whether a string is a known error code (wire input is untrusted). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** Options of a `SignalError`; `retriable` defaults to the catalogue's value. */
export interface SignalErrorOptions {
  readonly retriable?: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

/** The error shape sent to clients. */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly retriable: boolean;
  readonly retryAfterMs?: number;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * An error with a stable code. `message` and `details` may reach clients: put internals (stack,
 * broker names, SQL…) in `cause`, which is only logged.
 */
export class SignalError extends Error {
  override readonly name = 'SignalError';
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message?: string, options: SignalErrorOptions = {}) {
    super(message ?? ERROR_CODES[code].description, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? ERROR_CODES[code].retriable;
    if (options.details !== undefined) this.details = options.details;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = Math.max(0, Math.ceil(options.retryAfterMs));
  }

  /** Whether a value is a `SignalError` (works across duplicated module copies too). */
  static is(value: unknown): value is SignalError {
    return (
      value instanceof SignalError ||
      (value instanceof Error && value.name === 'SignalError' && isErrorCode((value as { code?: unknown }).code))
    );
  }

  /** The value itself if it is a `SignalError`, else an `internal` error caused by it. */
  static from(value: unknown): SignalError {
    return SignalError.is(value) ? value : new SignalError('internal', undefined, { cause: value });
  }

  /** The client-facing shape (no stack, no cause). */
  toWire(): WireError {
    return {
      code: this.code,
      message: this.message,
      retriable: this.retriable,
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }

  /** Catalogue entry of this error's code. */
  get info(): ErrorCodeInfo {
    return ERROR_CODES[this.code];
  }

  static badRequest(message: string, details?: Record<string, unknown>): SignalError {
    return new SignalError('bad_request', message, withDetails(details));
  }
  static invalidMessage(message: string, details?: Record<string, unknown>): SignalError {
    return new SignalError('invalid_message', message, withDetails(details));
  }
  static messageTooLarge(sizeBytes: number, limitBytes: number): SignalError {
    return new SignalError('message_too_large', `Message of ${sizeBytes} bytes exceeds the ${limitBytes}-byte cap.`, {
      details: { sizeBytes, limitBytes },
    });
  }
  static unknownType(type: string): SignalError {
    return new SignalError('unknown_type', `Unknown message type "${truncate(type, 64)}".`, {
      details: { type: truncate(type, 64) },
    });
  }
  static unauthorized(reason: string): SignalError {
    return new SignalError('unauthorized', reason);
  }
  static tokenExpired(expiredAtMs?: number): SignalError {
    return new SignalError(
      'token_expired',
      undefined,
      withDetails(expiredAtMs === undefined ? undefined : { expiredAtMs }),
    );
  }
  static forbidden(reason: string): SignalError {
    return new SignalError('forbidden', reason);
  }
  static originNotAllowed(origin: string): SignalError {
    return new SignalError('origin_not_allowed', `Origin "${truncate(origin, 256)}" is not allowed.`);
  }
  static notAllowed(grant: string): SignalError {
    return new SignalError('not_allowed', `This action requires the "${grant}" grant.`, { details: { grant } });
  }
  static rateLimited(retryAfterMs: number, scope?: string): SignalError {
    return new SignalError('rate_limited', undefined, {
      retryAfterMs,
      ...withDetails(scope === undefined ? undefined : { scope }),
    });
  }
  static abuse(reason: string): SignalError {
    return new SignalError('abuse', reason);
  }
  static roomFull(room: string, maxParticipants: number): SignalError {
    return new SignalError('room_full', `Room "${room}" is full (${maxParticipants} participants).`, {
      details: { room, maxParticipants },
    });
  }
  static roomNotFound(room: string): SignalError {
    return new SignalError('room_not_found', `Room "${room}" does not exist.`, { details: { room } });
  }
  static notInRoom(room: string): SignalError {
    return new SignalError('not_in_room', `Not joined to room "${room}".`, { details: { room } });
  }
  static participantNotFound(identity: string): SignalError {
    return new SignalError('participant_not_found', `Participant "${identity}" is not in the room.`, {
      details: { identity },
    });
  }
  static alreadyJoined(room: string): SignalError {
    return new SignalError('already_joined', `Already joined room "${room}".`, { details: { room } });
  }
  static duplicateIdentity(identity: string): SignalError {
    return new SignalError('duplicate_identity', undefined, { details: { identity } });
  }
  static kicked(reason?: string): SignalError {
    return new SignalError('kicked', reason);
  }
  static resumeFailed(reason: string): SignalError {
    return new SignalError('resume_failed', `Cannot resume: ${reason}.`, { details: { reason } });
  }
  static kafkaUnavailable(cause?: unknown, retriable = true): SignalError {
    return new SignalError('kafka_unavailable', undefined, { cause, retriable });
  }
  static overloaded(retryAfterMs?: number): SignalError {
    return new SignalError('overloaded', undefined, retryAfterMs === undefined ? {} : { retryAfterMs });
  }
  static slowConsumer(bufferedBytes: number): SignalError {
    return new SignalError('slow_consumer', undefined, { details: { bufferedBytes } });
  }
  static heartbeatTimeout(timeoutMs: number): SignalError {
    return new SignalError('heartbeat_timeout', undefined, { details: { timeoutMs } });
  }
  static draining(): SignalError {
    return new SignalError('draining');
  }
  static timeout(operation: string, afterMs: number): SignalError {
    return new SignalError('timeout', `${operation} timed out after ${afterMs} ms.`, {
      details: { operation, afterMs },
    });
  }
  static internal(cause?: unknown): SignalError {
    return new SignalError('internal', undefined, { cause });
  }
  static sfuUnavailable(room?: string): SignalError {
    return new SignalError('sfu_unavailable', undefined, withDetails(room === undefined ? undefined : { room }));
  }
  static sfuCapacity(): SignalError {
    return new SignalError('sfu_capacity');
  }
  static invalidSdp(reason: string): SignalError {
    return new SignalError('invalid_sdp', `Invalid SDP: ${reason}.`);
  }
  static invalidCandidate(reason: string): SignalError {
    return new SignalError('invalid_candidate', `Invalid ICE candidate: ${reason}.`);
  }
}

/** Whether an error should be retried: `SignalError.retriable`, or kafkajs-style `retriable: true`. */
export function isRetriable(error: unknown): boolean {
  if (SignalError.is(error)) return error.retriable;
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
}

function withDetails(details: Record<string, unknown> | undefined): SignalErrorOptions {
  return details === undefined ? {} : { details };
}

// Untrusted input echoed back in messages is bounded so an error cannot amplify a payload.
function truncate(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max)}…`;
}
