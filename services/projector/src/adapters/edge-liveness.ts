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
 */
export class EdgeLiveness {
  private readonly edges = new Map<string, EdgeSeen>();
  private consumer: Consumer | null = null;
  private readonly startedAt = Date.now();

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
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ message }) => {
        if (!message.value) return Promise.resolve();
        try {
          const hb = this.codec.decode(message.value);
          const prev = this.edges.get(hb.edgeId);
          if (!prev || prev.at <= hb.at)
            this.edges.set(hb.edgeId, { at: hb.at, intervalMs: hb.intervalMs, state: hb.state });
        } catch (err) {
          this.logger.warn({ err }, 'unreadable edge heartbeat');
        }
        return Promise.resolve();
      },
    });
  }

  /** Whether connections on this edge should be considered lost. */
  isDead(edgeId: string, now: number): boolean {
    const seen = this.edges.get(edgeId);
    if (!seen) return now - this.startedAt > this.startupGraceMs;
    if (seen.state === 'STOPPED') return true;
    return now - seen.at > 3 * seen.intervalMs;
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = null;
    await c?.disconnect();
  }
}
