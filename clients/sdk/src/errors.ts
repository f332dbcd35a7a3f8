/**
 * Typed errors: callers branch on `code` and `retriable`, never on `message`. Server refusals
 * carry the server's code (docs/protocol.md, "Error codes"); the SDK adds a few of its own.
 */
import type { ServerErrorCode, ServerMessageOf } from './protocol.js';

/** Codes of failures detected by the SDK itself rather than reported by the server. */
export type SdkErrorCode =
  /** The WebSocket was lost before the request was answered; it may or may not have been logged. */
  | 'connection_lost'
  /** The client is closed (or was closed while the operation was pending). */
  | 'client_closed'
  /** The server ended the connection with a close code that does not invite a resume. */
  | 'connection_closed'
  /** Reconnecting gave up (the backoff policy returned null). */
  | 'reconnect_exhausted'
  /** A WebRTC operation failed locally (createOffer, setRemoteDescription…). */
  | 'media_failed';

/** Every code a {@link SignalClientError} may carry. */
export type ErrorCode = ServerErrorCode | SdkErrorCode;

/** An error with a stable code. */
export class SignalClientError extends Error {
  /** Server-suggested delay before retrying, when retriable. */
  readonly retryAfterMs: number | undefined;
  /** WebSocket close code, for connection_closed. */
  readonly closeCode: number | undefined;
  /** Room sequence of the refusal when the room decided it (final); undefined for the edge's and the SDK's. */
  readonly seq: number | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Whether the same operation may succeed if tried again later. */
    readonly retriable: boolean,
    extra: { retryAfterMs?: number; closeCode?: number; seq?: number; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'SignalClientError';
    this.retryAfterMs = extra.retryAfterMs;
    this.closeCode = extra.closeCode;
    this.seq = extra.seq;
  }

  /** The error a server `error` message stands for. */
  static fromServer(m: ServerMessageOf<'error'>): SignalClientError {
    return new SignalClientError(m.code, m.message, m.retriable, {
      ...(m.retryAfterMs === undefined ? {} : { retryAfterMs: m.retryAfterMs }),
      ...(m.seq === undefined ? {} : { seq: m.seq }),
    });
  }

  static connectionLost(detail: string): SignalClientError {
    return new SignalClientError('connection_lost', `connection lost: ${detail}`, true);
  }

  static closed(): SignalClientError {
    return new SignalClientError('client_closed', 'the client is closed', false);
  }
}
