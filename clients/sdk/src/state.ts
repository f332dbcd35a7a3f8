/**
 * The connection lifecycle as an explicit state union with its legal transitions. The client
 * never holds loose flags such as `isReconnecting`: everything it does depends on `state.status`.
 *
 * ```
 * idle → connecting → joined ⇄ reconnecting → closed
 *             └──────────────→ reconnecting / closed
 * ```
 */

/** Why the client reached `closed`. */
export type CloseReason =
  /** `close()` or `leave()` was called. */
  | 'client'
  /** The server ended the session (room closed, kicked, replaced, token expired, refused join). */
  | 'server'
  /** Reconnecting gave up (the backoff policy returned null). */
  | 'reconnect_exhausted';

/** Where the client connection is. */
export type ConnectionState =
  | { readonly status: 'idle' }
  /** Opening a WebSocket and joining; `resuming` when it will resume an existing session. */
  | { readonly status: 'connecting'; readonly attempt: number; readonly resuming: boolean }
  /** In the room with a live WebSocket. */
  | { readonly status: 'joined'; readonly room: string; readonly sessionId: string }
  /** The WebSocket was lost; the next attempt starts after `delayMs`. */
  | { readonly status: 'reconnecting'; readonly attempt: number; readonly delayMs: number; readonly closeCode: number }
  /** Terminal. `error` says why when it was not the application's own doing. */
  | { readonly status: 'closed'; readonly reason: CloseReason; readonly error?: Error };

/** A connection status. */
export type ConnectionStatus = ConnectionState['status'];

const LEGAL: Readonly<Record<ConnectionStatus, readonly ConnectionStatus[]>> = {
  idle: ['connecting', 'closed'],
  connecting: ['joined', 'reconnecting', 'closed'],
  joined: ['reconnecting', 'closed'],
  reconnecting: ['connecting', 'closed'],
  closed: [],
};

/** Thrown on a transition the lifecycle does not allow (a bug in the client). */
export class IllegalStateError extends Error {
  constructor(
    readonly from: ConnectionStatus,
    readonly to: ConnectionStatus,
  ) {
    super(`illegal connection state transition ${from} → ${to}`);
    this.name = 'IllegalStateError';
  }
}

/** Whether `from → to` is legal. */
export function canTransition(from: ConnectionStatus, to: ConnectionStatus): boolean {
  return LEGAL[from].includes(to);
}

/** Returns `next` when `current → next` is legal, else throws {@link IllegalStateError}. */
export function transition(current: ConnectionState, next: ConnectionState): ConnectionState {
  if (!canTransition(current.status, next.status)) throw new IllegalStateError(current.status, next.status);
  return next;
}
