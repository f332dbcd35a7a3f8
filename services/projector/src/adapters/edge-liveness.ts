import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { createConsumer, type Logger } from '@sig/runtime';
import type { AvroCodec, EdgeHeartbeat } from '@sig/schemas';

/** What the projector knows of one edge from its heartbeats. */
interface EdgeSeen {
  readonly at: number;
  readonly intervalMs: number;
  readonly state: EdgeHeartbeat['state'];
}

/**
 * Follows edge heartbeats (every projector instance reads the whole compacted topic) and tells
 * whether an edge is alive. An edge that stopped, or missed three heartbeats, is dead; an edge
 * never heard of is given a startup grace period (its heartbeats may not have been read yet).
 *
 * "Missed" is judged against what this projector has actually read, not against its clock: a
 * heartbeat counts as missing only if a fetch that started three intervals after it should have
 * returned a newer one. A projector whose event loop was blocked for a while (a large transaction
 * or snapshot under CPU contention) used to wake up, compare its clock with heartbeats it had not
 * fetched yet, and declare live edges dead: their participants went `reconnecting` while their
 * sockets were fine, and deliveries to them stopped for good (the fault suite's slow-consumer
 * finding). A fetch that has not completed (broker down, event loop busy) gives no verdict.
 */
export class EdgeLiveness {
  private readonly edges = new Map<string, EdgeSeen>();
  private consumer: Consumer | null = null;
  private readonly startedAt: number;
  private readonly view = new FetchView();

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly codec: AvroCodec<'signal.EdgeHeartbeat'>,
    private readonly groupPrefix: string,
    private readonly startupGraceMs: number,
    private readonly logger: Logger,
    now: number = Date.now(),
  ) {
    this.startedAt = now;
  }

  async start(): Promise<void> {
    // A private group per instance: every projector must see every edge.
    const consumer = createConsumer(this.kafka, { groupId: `${this.groupPrefix}projector-liveness-${randomUUID()}` });
    this.consumer = consumer;
    // kafkajs fetches from a broker only after the previous fetch's records were handled.
    consumer.on(consumer.events.FETCH_START, ({ payload }) => this.view.fetchStarting(payload.nodeId, Date.now()));
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ message }) => {
        if (!message.value) return Promise.resolve();
        try {
          this.seen(this.codec.decode(message.value));
        } catch (err) {
          this.logger.warn({ err }, 'unreadable edge heartbeat');
        }
        return Promise.resolve();
      },
    });
  }

  /** Applies one heartbeat (public for tests). */
  seen(hb: Pick<EdgeHeartbeat, 'edgeId' | 'at' | 'intervalMs' | 'state'>): void {
    const prev = this.edges.get(hb.edgeId);
    if (!prev || prev.at <= hb.at) this.edges.set(hb.edgeId, { at: hb.at, intervalMs: hb.intervalMs, state: hb.state });
  }

  /** Records that a fetch from `nodeId` starts (public for tests; the consumer calls it). */
  fetchStarting(nodeId: number, now: number): void {
    this.view.fetchStarting(nodeId, now);
  }

  /** Whether connections on this edge should be considered lost (judged on what was read, see above). */
  isDead(edgeId: string): boolean {
    const asOf = this.view.asOf();
    if (asOf === undefined) return false;
    const seen = this.edges.get(edgeId);
    if (!seen) return asOf - this.startedAt > this.startupGraceMs;
    if (seen.state === 'STOPPED') return true;
    return asOf - seen.at > 3 * seen.intervalMs;
  }

  /** When the edge's latest heartbeat read was written (for logs). */
  heardAt(edgeId: string): number | undefined {
    return this.edges.get(edgeId)?.at;
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = null;
    await c?.disconnect();
  }
}

/** A broker not fetched from for this long (newest fetch elsewhere) no longer leads a partition we read. */
const NODE_GONE_MS = 30_000;

/**
 * Up to when the heartbeat log has been read: the start time of the latest fetch whose records
 * have all been handled, per broker (the oldest of them when several brokers lead partitions).
 */
export class FetchView {
  /** Per broker: start of the fetch in flight (its records not handled yet) and of the last handled one. */
  readonly #nodes = new Map<number, { inFlightSince: number; handledAsOf: number | undefined }>();

  /** A fetch from `nodeId` starts: the previous one from it is complete, records handled. */
  fetchStarting(nodeId: number, now: number): void {
    const node = this.#nodes.get(nodeId);
    if (node === undefined) this.#nodes.set(nodeId, { inFlightSince: now, handledAsOf: undefined });
    else this.#nodes.set(nodeId, { inFlightSince: now, handledAsOf: node.inFlightSince });
  }

  /** Every heartbeat written before this time has been read; undefined before the first complete fetch. */
  asOf(): number | undefined {
    let newest = -Infinity;
    for (const node of this.#nodes.values()) newest = Math.max(newest, node.inFlightSince);
    let oldest: number | undefined;
    for (const node of this.#nodes.values()) {
      if (node.inFlightSince < newest - NODE_GONE_MS) continue;
      if (node.handledAsOf === undefined) return undefined;
      oldest = oldest === undefined ? node.handledAsOf : Math.min(oldest, node.handledAsOf);
    }
    return oldest;
  }
}
