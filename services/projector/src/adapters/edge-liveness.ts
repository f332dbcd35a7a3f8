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

/** Without a successful fetch of the heartbeat topic for this long, it is not being read. */
export const READ_STALL_MS = 2000;
/** After a read stall, edges get this long (plus three of their intervals) to be heard again. */
export const AFTER_STALL_GRACE_MS = 5000;

/**
 * Follows edge heartbeats (every projector instance reads the whole compacted topic) and tells
 * whether an edge is alive. An edge that stopped, or missed three heartbeats, is dead; an edge
 * never heard of is given a startup grace period (its heartbeats may not have been read yet).
 *
 * Missing heartbeats only count while the log can be read: during a broker outage nobody can
 * write or read them, and declaring every edge dead afterwards would evict every participant of
 * every room (their edges were fine, Kafka was not). So no verdict is given while fetches fail,
 * and once reading resumes an edge is dead only after three of its intervals plus
 * AFTER_STALL_GRACE_MS without a heartbeat, counted from that moment.
 */
export class EdgeLiveness {
  private readonly edges = new Map<string, EdgeSeen>();
  private consumer: Consumer | null = null;
  private readonly startedAt = Date.now();
  private lastFetchAt = Date.now();
  /** When reading last (re)started: the start, or the end of a read stall. */
  private readingSince = Date.now();

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly codec: AvroCodec<'signal.EdgeHeartbeat'>,
    private readonly groupPrefix: string,
    private readonly startupGraceMs: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    // A private group per instance: every projector must see every edge.
    const consumer = createConsumer(this.kafka, { groupId: `${this.groupPrefix}projector-liveness-${randomUUID()}` });
    this.consumer = consumer;
    consumer.on(consumer.events.FETCH, () => this.fetched(Date.now()));
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

  /** Records a successful fetch (public for tests). */
  fetched(now: number): void {
    if (now - this.lastFetchAt > READ_STALL_MS) {
      this.readingSince = now;
      this.logger.info({ stalledMs: now - this.lastFetchAt }, 'edge heartbeats readable again: grace restarts');
    }
    this.lastFetchAt = now;
  }

  /** Whether connections on this edge should be considered lost. */
  isDead(edgeId: string, now: number): boolean {
    if (now - this.lastFetchAt > READ_STALL_MS) return false;
    const seen = this.edges.get(edgeId);
    if (!seen) return now - this.startedAt > this.startupGraceMs;
    if (seen.state === 'STOPPED') return true;
    const silentSince = this.readingSince > this.startedAt ? Math.max(seen.at, this.readingSince) : seen.at;
    const allowance = 3 * seen.intervalMs + (silentSince === this.readingSince ? AFTER_STALL_GRACE_MS : 0);
    return now - silentSince > allowance;
  }

  /** Applies one heartbeat (public for tests). */
  seen(hb: Pick<EdgeHeartbeat, 'edgeId' | 'at' | 'intervalMs' | 'state'>): void {
    const prev = this.edges.get(hb.edgeId);
    if (!prev || prev.at <= hb.at) this.edges.set(hb.edgeId, { at: hb.at, intervalMs: hb.intervalMs, state: hb.state });
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = null;
    await c?.disconnect();
  }
}
