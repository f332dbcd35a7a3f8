/**
 * What happens to one client frame: size cap, parse, per-connection rate limit, edge-local
 * answers (ping, pong, refresh_token), room and grant checks, the shared per-identity limit, then
 * log-then-ack. A connection's frames are handled strictly in order; the shared limit is asked
 * as each frame arrives and the write to Kafka runs in the background (the command log keeps its
 * order), so a busy client is throttled neither to one Redis nor to one broker round trip per
 * message.
 */
import { ATTR, SPAN, SignalError, SpanKind, withSpan, type Logger } from '@sig/runtime';
import {
  parseClientMessage,
  type ClientMessage,
  type ClientMessageOf,
  type ErrorCode,
  type ParseResult,
} from '@sig/schemas';
import { isEdgeLocal, toCommandBody, type LoggedMessage } from '../domain/commands.js';
import { checkMessage, roomGranted, type TokenClaims } from '../domain/grants.js';
import { invalidFrame, strike } from '../domain/liveness.js';
import { take, type BucketLimits } from '../domain/token-bucket.js';
import type { SharedTake } from '../adapters/rate-limiter.js';
import type { EdgeMetrics } from '../adapters/metrics.js';
import type { CommandWriter } from './command-writer.js';
import type { Connection } from './connection.js';

export interface FrameSettings {
  readonly maxMessageBytes: number;
  readonly connLimits: BucketLimits;
  readonly abuseStrikes: number;
  /** Strikes are forgotten after this long without a refusal. */
  readonly strikeResetMs: number;
  readonly invalidFrameLimit: number;
  /** Frames a connection may have waiting; beyond it frames are refused with `overloaded`. */
  readonly maxQueuedFrames: number;
}

export interface FrameDeps {
  readonly settings: FrameSettings;
  readonly writer: CommandWriter;
  readonly limiter: { take(identity: string): Promise<SharedTake> };
  readonly verifier: { verify(token: string): Promise<TokenClaims> };
  readonly metrics: EdgeMetrics;
  readonly logger: Logger;
  readonly isDraining: () => boolean;
  readonly now?: () => number;
}

/** Write failures whose code the client can act on; anything else is reported as `internal`. */
const PASSED_THROUGH = ['kafka_unavailable', 'overloaded', 'draining', 'message_too_large'] as const;

export class FrameHandler {
  readonly #d: FrameDeps;
  readonly #now: () => number;

  constructor(deps: FrameDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Entry point from the transport. `data` is only valid during this call: it is copied here. */
  onFrame(conn: Connection, data: ArrayBuffer, isBinary: boolean): void {
    if (!conn.isOpen) return;
    const { settings, metrics } = this.#d;
    conn.lastInboundAt = this.#now();
    if (data.byteLength > settings.maxMessageBytes) {
      metrics.messagesIn.inc({ type: 'invalid' });
      conn.sendError(
        undefined,
        'message_too_large',
        `frame of ${data.byteLength} bytes exceeds the ${settings.maxMessageBytes}-byte cap`,
      );
      conn.close('message_too_big');
      return;
    }
    if (isBinary) {
      metrics.messagesIn.inc({ type: 'invalid' });
      this.#invalid(conn, undefined, 'invalid_message', '/: binary frames are not part of the protocol');
      return;
    }
    if (conn.queued >= settings.maxQueuedFrames) {
      conn.sendError(undefined, 'overloaded', 'too many messages waiting; slow down');
      return;
    }
    const parsed = parseClientMessage(Buffer.from(data).toString('utf8'), settings.maxMessageBytes);
    // The shared per-identity limit (a Redis round trip) is asked at arrival, not when the frame's
    // turn comes: frames are handled in order, and asking in turn would cap a connection at one
    // message per Redis round trip. Only messages that go to Kafka are counted, as before.
    const shared = parsed.ok && !isEdgeLocal(parsed.message) ? this.#d.limiter.take(conn.identity) : null;
    conn.enqueue(async () => {
      try {
        await this.#handle(conn, parsed, shared);
      } catch (err) {
        this.#d.logger.error({ err, connectionId: conn.id }, 'frame handling failed');
        conn.sendError(undefined, 'internal', 'unexpected server error');
      }
    });
  }

  async #handle(conn: Connection, parsed: ParseResult, shared: Promise<SharedTake> | null): Promise<void> {
    if (!conn.isOpen) return;
    const { settings, metrics } = this.#d;
    if (!parsed.ok) {
      metrics.messagesIn.inc({ type: 'invalid' });
      this.#invalid(conn, parsed.id, parsed.code, parsed.message);
      return;
    }
    const msg = parsed.message;
    metrics.messagesIn.inc({ type: msg.type });
    // Answers to our own pings are never refused: refusing them would make a limited client look dead.
    if (msg.type !== 'pong') {
      const taken = take(conn.bucket, settings.connLimits, this.#now());
      conn.bucket = taken.bucket;
      if (!taken.allowed) return this.#rateLimited(conn, msg.id, taken.retryAfterMs, 'connection');
    }
    if (isEdgeLocal(msg)) return this.#local(conn, msg);
    if (msg.type === 'join' && this.#d.isDraining()) {
      return conn.sendError(msg.id, 'draining', 'this edge is draining: connect to another edge');
    }
    if (this.#refuse(conn, msg)) return;
    const body = toCommandBody(msg);

    const identityLimit = await (shared ?? this.#d.limiter.take(conn.identity));
    if (!conn.isOpen) return;
    if (!identityLimit.allowed) return this.#rateLimited(conn, msg.id, identityLimit.retryAfterMs, 'identity');
    // A delivery may have changed the room state while the shared limiter answered.
    if (this.#refuse(conn, msg)) return;

    const room = msg.type === 'join' ? msg.room : conn.room!;
    if (msg.type === 'join') {
      conn.room = room;
      conn.deliveredSeq = 0;
    }
    const attributes = {
      [ATTR.signalRoom]: room,
      [ATTR.signalConnection]: conn.id,
      [ATTR.signalParticipant]: conn.identity,
      [ATTR.signalCommandType]: body.type,
    };
    // The root of this message's trace: everything it causes downstream continues it.
    const logged = (): Promise<void> => {
      this.#d.logger.debug({ connectionId: conn.id, room, type: body.type }, 'command received');
      return this.#d.writer.write(conn, room, body, msg.id ?? null);
    };
    void withSpan(SPAN.edgeReceive, attributes, logged, { kind: SpanKind.SERVER }).then(
      () => {
        if (msg.id !== undefined) conn.send({ type: 'ack', id: msg.id });
      },
      (error: unknown) => this.#logFailed(conn, msg, room, error),
    );
  }

  #refuse(conn: Connection, msg: LoggedMessage): boolean {
    const refusal = checkMessage(msg, {
      identity: conn.identity,
      room: conn.room,
      upgradeRoom: conn.upgradeRoom,
      video: conn.video,
    });
    if (refusal === null) return false;
    conn.sendError(msg.id, refusal.code, refusal.message);
    return true;
  }

  #logFailed(conn: Connection, msg: LoggedMessage, room: string, error: unknown): void {
    const err = SignalError.is(error) ? error : SignalError.internal(error);
    if (err.code === 'internal') this.#d.logger.error({ err: error, type: msg.type }, 'command could not be logged');
    // The join never reached the log: the connection is free to try again.
    if (msg.type === 'join' && conn.room === room && conn.sessionId === null) conn.room = null;
    const code: ErrorCode = (PASSED_THROUGH as readonly string[]).includes(err.code) ? err.code : 'internal';
    conn.sendError(msg.id, code, code === 'internal' ? 'unexpected server error' : err.message, err.retryAfterMs);
  }

  #local(
    conn: Connection,
    msg: Extract<ClientMessage, { type: 'ping' | 'pong' | 'refresh_token' }>,
  ): Promise<void> | void {
    switch (msg.type) {
      case 'ping':
        conn.send({ type: 'pong', ts: msg.ts });
        break;
      case 'pong':
        break;
      case 'refresh_token':
        return this.#refresh(conn, msg);
    }
    if (msg.id !== undefined) conn.send({ type: 'ack', id: msg.id });
  }

  async #refresh(conn: Connection, msg: ClientMessageOf<'refresh_token'>): Promise<void> {
    let claims: TokenClaims;
    try {
      claims = await this.#d.verifier.verify(msg.token);
    } catch (error) {
      const err = SignalError.is(error) ? error : SignalError.internal(error);
      const code: ErrorCode = err.code === 'token_expired' || err.code === 'timeout' ? err.code : 'unauthorized';
      return conn.sendError(msg.id, code, err.message);
    }
    if (!conn.isOpen) return;
    if (claims.identity !== conn.identity)
      return conn.sendError(msg.id, 'forbidden', 'the new token is for another identity');
    if (conn.room !== null && !roomGranted(claims.video, conn.room)) {
      return conn.sendError(msg.id, 'forbidden', `the new token does not grant room "${conn.room}"`);
    }
    conn.tokenExpiresAt = claims.expiresAt;
    conn.expiryNoticeSent = false;
    conn.video = claims.video;
    if (msg.id !== undefined) conn.send({ type: 'ack', id: msg.id });
  }

  #invalid(conn: Connection, id: string | undefined, code: ErrorCode, message: string): void {
    conn.sendError(id, code, message);
    const next = invalidFrame(conn.invalidFrames, this.#d.settings.invalidFrameLimit);
    conn.invalidFrames = next.count;
    if (next.close) conn.close('invalid_frames');
  }

  #rateLimited(conn: Connection, id: string | undefined, retryAfterMs: number, scope: 'connection' | 'identity'): void {
    this.#d.metrics.rateLimitHits.inc({ scope });
    conn.sendError(id, 'rate_limited', `rate limit exceeded (${scope}); retry after ${retryAfterMs} ms`, retryAfterMs);
    const next = strike(conn.strikes, this.#now(), this.#d.settings.abuseStrikes, this.#d.settings.strikeResetMs);
    conn.strikes = next.strikes;
    if (next.close) conn.close('abuse');
  }
}
