/**
 * Routes delivery records from this edge's reply slot to its sockets: decode the Delivery, drop
 * it if it is for another edge sharing the slot, decode each room event once, then render and
 * send per listed connection. Records that cannot be decoded are dead-lettered, never retried
 * forever and never silently lost.
 */
import { ATTR, SPAN, msToSeconds, withSpan, type Logger } from '@sig/runtime';
import { SchemaDecodeError, type AvroCodec, type RoomEvent, type ServerMessage } from '@sig/schemas';
import { applyGrants } from '../domain/grants.js';
import { renderDelivery, type JoinExtras, type RenderOutcome } from '../domain/render.js';
import { unsentEvents } from '../domain/sent-seq.js';
import type { DeliveryRecord } from '../adapters/delivery-consumer.js';
import type { EdgeMetrics } from '../adapters/metrics.js';
import type { Connection } from './connection.js';
import type { ConnectionRegistry } from './registry.js';

export interface DeliveryRouterDeps {
  readonly edgeId: string;
  readonly deliveryCodec: AvroCodec<'signal.Delivery'>;
  readonly eventCodec: AvroCodec<'signal.RoomEvent'>;
  readonly registry: ConnectionRegistry;
  readonly metrics: EdgeMetrics;
  readonly logger: Logger;
  /** `joined` extras for a connection (fresh TURN credentials for its identity). */
  readonly joinExtras: (conn: Connection) => JoinExtras;
  /** Where undecodable records go (signal.dead-letters). */
  readonly deadLetter: (record: DeliveryRecord, error: SchemaDecodeError) => void;
  readonly now?: () => number;
}

export class DeliveryRouter {
  readonly #d: DeliveryRouterDeps;
  readonly #now: () => number;

  constructor(deps: DeliveryRouterDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Handles one record of the reply slot (synchronously: sends are non-blocking). */
  onRecord(record: DeliveryRecord): void {
    const { metrics, logger } = this.#d;
    let delivery;
    try {
      delivery = this.#d.deliveryCodec.decode(record.value);
    } catch (error) {
      return this.#undecodable(record, error);
    }
    if (delivery.edgeId !== this.#d.edgeId) {
      metrics.deliveriesDropped.inc({ reason: 'other_edge' });
      return;
    }
    const events: RoomEvent[] = [];
    let failure: unknown;
    for (const bytes of delivery.events) {
      try {
        events.push(this.#d.eventCodec.decode(bytes));
      } catch (error) {
        failure ??= error;
      }
    }
    // The rest of the batch is still delivered: the client sees the seq gap and can resume.
    if (failure !== undefined) this.#undecodable(record, failure);
    const decidedAt = new Map(events.map((e) => [e.seq, e.at]));
    // A child of the record's `process` span (delivery-consumer.ts), which continues its trace.
    withSpan(SPAN.edgeDeliver, { [ATTR.signalRoom]: delivery.room, [ATTR.messagingKafkaOffset]: record.offset }, () => {
      for (const connectionId of delivery.connectionIds) {
        const conn = this.#d.registry.get(connectionId);
        if (conn === undefined || !conn.isOpen) {
          metrics.deliveriesDropped.inc({ reason: 'unknown_connection' });
          continue;
        }
        const unsent = unsentEvents(events, delivery.room, conn.sentSeq);
        if (unsent.fresh.length < events.length) metrics.deliveriesDropped.inc({ reason: 'duplicate' });
        if (unsent.fresh.length === 0 && events.length > 0) continue;
        conn.sentSeq = unsent.sent;
        this.#deliver(conn, unsent.fresh, delivery.kind, decidedAt);
      }
    });
    logger.trace(
      { room: delivery.room, events: events.length, connections: delivery.connectionIds.length },
      'delivery routed',
    );
  }

  #deliver(
    conn: Connection,
    events: readonly RoomEvent[],
    kind: 'LIVE' | 'RESUME' | 'UNKNOWN',
    decidedAt: ReadonlyMap<number, number>,
  ): void {
    const outcome: RenderOutcome = renderDelivery(
      events,
      kind,
      { identity: conn.identity, sessionId: conn.sessionId },
      {
        joinExtras: () => this.#d.joinExtras(conn),
      },
    );
    const now = this.#now();
    // A long resume arrives in several RESUME records; `resumed` (in the last) counts them all.
    const messages = kind === 'RESUME' ? outcome.messages.map((m) => this.#countReplayed(conn, m)) : outcome.messages;
    for (const message of messages) {
      const seq = 'seq' in message ? message.seq : undefined;
      const attributes = {
        [ATTR.signalConnection]: conn.id,
        [ATTR.signalParticipant]: conn.identity,
        [ATTR.signalEventType]: message.type,
        ...(seq === undefined ? {} : { [ATTR.signalSeq]: seq }),
      };
      if (!withSpan(SPAN.wsSend, attributes, () => conn.send(message))) return;
      // `at` is the causing command's receivedAt, stamped by the edge that received it.
      const at = seq === undefined ? undefined : decidedAt.get(seq);
      if (at === undefined) continue;
      this.#d.metrics.relayLatency.observe({ type: message.type }, msToSeconds(now - at));
      if (message.type === 'joined') this.#d.metrics.joinLatency.observe(msToSeconds(now - at));
    }
    conn.sessionId = outcome.sessionId;
    if (outcome.grants !== undefined) conn.video = applyGrants(conn.video, outcome.grants);
    if (outcome.leftRoom) conn.room = null;
    if (outcome.close !== undefined) conn.close(outcome.close);
  }

  #countReplayed(conn: Connection, message: ServerMessage): ServerMessage {
    if (message.type !== 'resumed') {
      if ('seq' in message && message.seq !== undefined) conn.replayedBefore++;
      return message;
    }
    const replayed = conn.replayedBefore;
    conn.replayedBefore = 0;
    return { ...message, replayed };
  }

  #undecodable(record: DeliveryRecord, error: unknown): void {
    this.#d.metrics.deliveriesDropped.inc({ reason: 'undecodable' });
    this.#d.logger.error({ err: error, offset: record.offset }, 'undecodable delivery record');
    if (error instanceof SchemaDecodeError) this.#d.deadLetter(record, error);
  }
}
