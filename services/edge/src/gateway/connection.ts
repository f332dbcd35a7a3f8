/**
 * One client connection: its identity and grants, its room and session, its counters, and the one
 * way to write to it (`send`, which enforces the bounded send buffer). The socket is behind a
 * small interface so this class does not depend on uWS.
 */
import { ERROR_CATALOGUE, serializeServerMessage, type ErrorCode, type ServerMessage } from '@sig/schemas';
import { SERVER_CLOSES, type ServerCloseCause } from '../domain/close.js';
import type { TokenClaims, VideoGrant } from '../domain/grants.js';
import { NO_STRIKES, type Strikes } from '../domain/liveness.js';
import type { TokenBucket } from '../domain/token-bucket.js';
import type { SentSeq } from '../domain/sent-seq.js';

/** What the transport reports for one send. */
export type SendStatus = 'ok' | 'backpressure' | 'dropped' | 'closed';

/** The socket operations a connection needs (implemented over uWS in adapters/ws-server.ts). */
export interface ClientSocket {
  send(text: string): SendStatus;
  bufferedAmount(): number;
  /** Sends a close frame; the transport then reports the close (synchronously, for uWS). */
  end(code: number, reason: string): void;
}

/** Who the connection is, from the verified token and the upgrade. */
export interface AdmittedClient {
  readonly ip: string;
  readonly claims: TokenClaims;
  /** `?room=` at the upgrade, or null. */
  readonly upgradeRoom: string | null;
}

/** Hooks the connection calls; kept narrow so the connection owns no policy. */
export interface ConnectionHooks {
  /** Counts a message sent, by type. */
  readonly sent: (type: ServerMessage['type']) => void;
  /** Counts an error sent, by code. */
  readonly errored: (code: ErrorCode) => void;
}

/** A connected client. Mutable by design: the gateway updates it as frames and events arrive. */
export class Connection {
  readonly id: string;
  readonly ip: string;
  readonly identity: string;
  name: string;
  tokenExpiresAt: number;
  expiryNoticeSent = false;
  /** When the TURN credentials last handed to this client expire (null: none handed out). */
  iceExpiresAt: number | null = null;
  video: VideoGrant;
  readonly upgradeRoom: string | null;
  /** The room this connection joined (set when its join is accepted for logging). */
  room: string | null = null;
  /** Its session in the room, once the room accepted the join. */
  sessionId: string | null = null;
  /** Missed events already sent by earlier records of a resume split over several (see deliveries.ts). */
  replayedBefore = 0;
  /** Highest room seq sent on this connection (a delivery record written twice is not sent twice). */
  sentSeq: SentSeq | null = null;
  lastInboundAt: number;
  invalidFrames = 0;
  strikes: Strikes = NO_STRIKES;
  bucket: TokenBucket;
  /** Set when the edge decided to close; the close handler logs accordingly. */
  closeCause: ServerCloseCause | undefined;
  #open = true;
  /** Frames being processed in order (the identity rate limit is asynchronous). */
  #tail: Promise<void> = Promise.resolve();
  #queued = 0;

  constructor(
    id: string,
    client: AdmittedClient,
    private readonly socket: ClientSocket,
    private readonly sendBufferMaxBytes: number,
    private readonly hooks: ConnectionHooks,
    now: number,
    bucket: TokenBucket,
  ) {
    this.id = id;
    this.ip = client.ip;
    this.identity = client.claims.identity;
    this.name = client.claims.name;
    this.tokenExpiresAt = client.claims.expiresAt;
    this.video = client.claims.video;
    this.upgradeRoom = client.upgradeRoom;
    this.lastInboundAt = now;
    this.bucket = bucket;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Frames waiting to be processed. */
  get queued(): number {
    return this.#queued;
  }

  /**
   * Writes a message. A client whose buffer is over the limit is closed with 4004: never an
   * unbounded queue. Returns false when the message was not (or will not be) delivered.
   */
  send(message: ServerMessage): boolean {
    if (!this.#open) return false;
    const status = this.socket.send(serializeServerMessage(message));
    if (status === 'closed') return false;
    this.hooks.sent(message.type);
    if (message.type === 'error') this.hooks.errored(message.code);
    if (status === 'dropped' || this.socket.bufferedAmount() > this.sendBufferMaxBytes) {
      this.close('slow_consumer');
      return false;
    }
    return true;
  }

  /** Sends `error` for a refused message; `id` is echoed when the client gave one. */
  sendError(id: string | undefined, code: ErrorCode, message: string, retryAfterMs?: number): void {
    this.send({
      type: 'error',
      ...(id === undefined ? {} : { id }),
      code,
      message,
      retriable: ERROR_CATALOGUE[code].retriable,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }

  /** Closes with the code of `cause`; later calls are ignored (the first cause is the one logged). */
  close(cause: ServerCloseCause): void {
    if (!this.#open) return;
    this.closeCause = cause;
    const { code, reason } = SERVER_CLOSES[cause];
    this.socket.end(code, reason);
    // uWS reports the close synchronously; other transports may not, so mark it here as well.
    this.#open = false;
  }

  /** Called by the transport once the socket is gone (whoever closed it). */
  markClosed(): void {
    this.#open = false;
  }

  /** Runs `step` after every earlier frame's step; keeps a connection's frames in order. */
  enqueue(step: () => Promise<void> | void): void {
    this.#queued++;
    this.#tail = this.#tail.then(step).finally(() => this.#queued--);
  }
}
