/**
 * Typed errors with stable codes, shared by every service.
 *
 * Callers branch on `code` and `retriable`, never on messages. The codes, their meaning and their
 * close codes are the protocol's (`ERROR_CATALOGUE` in @sig/schemas, over the Avro enum
 * `ErrorCode`); this module only adds what a server needs on top: the HTTP status of each code.
 */
import { ERROR_CATALOGUE, ErrorCodeValues, type ErrorCode } from '@sig/schemas';

export type { ErrorCode };

/** Whether a WebSocket close code is one a server may send (1000–1015 except reserved, or 3000–4999). */
export function isValidCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  // 1004, 1005, 1006 and 1015 are reserved: they must never appear in a close frame.
  if (code >= 1000 && code <= 1014) return code !== 1004 && code !== 1005 && code !== 1006;
  return code >= 3000 && code <= 4999;
}

/** Every stable error code (the Avro enum's symbols, in their declared order). */
export const ERROR_CODE_LIST: readonly ErrorCode[] = ErrorCodeValues;

/** Catalogue entry of an error code: the protocol's meaning plus its HTTP status. */
export interface ErrorCodeInfo {
  /** Whether the same request may succeed if retried as is, after a delay. */
  readonly retriable: boolean;
  /** Status when the error answers an HTTP request (the WebSocket upgrade, admin endpoints). */
  readonly httpStatus?: number;
  /** Close code when the error ends the connection. */
  readonly closeCode?: number;
  readonly description: string;
}

// Only server-side concern added here: how a code answers an HTTP request.
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  bad_request: 400,
  invalid_message: 400,
  message_too_large: 413,
  unknown_type: 400,
  unauthorized: 401,
  token_expired: 401,
  forbidden: 403,
  origin_not_allowed: 403,
  not_allowed: 403,
  rate_limited: 429,
  abuse: 429,
  room_full: 409,
  room_not_found: 404,
  not_in_room: 409,
  participant_not_found: 404,
  already_joined: 409,
  duplicate_identity: 409,
  resume_failed: 410,
  kafka_unavailable: 503,
  overloaded: 503,
  draining: 503,
  timeout: 504,
  internal: 500,
  sfu_unavailable: 503,
  sfu_capacity: 503,
  invalid_sdp: 400,
  invalid_candidate: 400,
};

/** The error catalogue: the protocol's entries with their HTTP status. */
export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeInfo>> = Object.fromEntries(
  ERROR_CODE_LIST.map((code) => {
    const status = HTTP_STATUS[code];
    return [code, status === undefined ? ERROR_CATALOGUE[code] : { ...ERROR_CATALOGUE[code], httpStatus: status }];
  }),
) as Record<ErrorCode, ErrorCodeInfo>;

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
