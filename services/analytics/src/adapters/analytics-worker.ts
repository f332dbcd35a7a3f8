import {
  createConsumer,
  createProducer,
  exponentialJitter,
  readPartitionsToEnd,
  recordHeaders,
  retryAsync,
  type Logger,
} from '@sig/runtime';
import { AvroCodec, SchemaDecodeError, topicName, type SchemaSet, type SessionFact } from '@sig/schemas';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { derive, initialAnalytics, type AnalyticsState } from '../domain/index.js';

/** Start-up retries of retriable broker errors: up to ≈ 60 s. */
const STARTUP_RETRY = exponentialJitter({ baseMs: 200, maxMs: 2000, maxElapsedMs: 60_000 });

/** Wiring of the analytics worker. */
export interface AnalyticsWorkerOptions {
  readonly kafka: Kafka;
  readonly schemas: SchemaSet;
  readonly topicPrefix: string;
  readonly logger: Logger;
  /** Called with every fact published (metrics, tests). */
  readonly onFacts?: (facts: readonly SessionFact[]) => void;
  /**
   * A batch failed after its events were applied to the in-memory state: the state is ahead of
   * the log, so the process must restart (and rebuild) rather than let kafkajs retry the batch.
   */
  readonly onFatal: (err: unknown) => void;
}

type Phase = 'created' | 'rebuilding' | 'running' | 'failed' | 'stopping' | 'stopped';

/**
 * Consumes room events and publishes session facts, exactly once: facts and the consumer offset
 * are committed in one transaction. The derivation state is rebuilt at start by replaying the
 * room-event log up to the committed offset (facts for events before it were already published).
 * One instance owns every partition (group `analytics`): the derivation is cheap, and a single
 * owner keeps the rebuild simple.
 */
export class AnalyticsWorker {
  private phase: Phase = 'created';
  private readonly state: AnalyticsState = initialAnalytics();
  private readonly eventCodec: AvroCodec<'signal.RoomEvent'>;
  private readonly factCodec: AvroCodec<'signal.SessionFact'>;
  private readonly eventsTopic: string;
  private readonly factsTopic: string;
  private readonly groupId: string;
  private producer: Producer | null = null;
  private consumer: Consumer | null = null;
  /** Facts published since start. */
  published = 0;
  /** Room events that could not be decoded (skipped). */
  undecodable = 0;

  constructor(private readonly o: AnalyticsWorkerOptions) {
    this.eventCodec = new AvroCodec(o.schemas, 'signal.RoomEvent');
    this.factCodec = new AvroCodec(o.schemas, 'signal.SessionFact');
    this.eventsTopic = topicName('roomEvents', o.topicPrefix);
    this.factsTopic = topicName('analytics', o.topicPrefix);
    this.groupId = `${o.topicPrefix}analytics`;
  }

  /** Whether facts are being published live. */
  get running(): boolean {
    return this.phase === 'running';
  }

  /** Rebuilds, catches up, then consumes live. */
  async start(): Promise<void> {
    if (this.phase !== 'created') throw new Error(`analytics worker cannot start when ${this.phase}`);
    this.phase = 'rebuilding';
    this.producer = createProducer(this.o.kafka, { transactionalId: this.groupId });
    await this.producer.connect();
    await this.rebuild();
    this.consumer = createConsumer(this.o.kafka, { groupId: this.groupId });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.eventsTopic, fromBeginning: true });
    this.phase = 'running';
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const last = batch.messages.at(-1);
        if (!last || this.phase !== 'running') return;
        const facts = batch.messages.flatMap((m) => this.apply(m));
        try {
          await this.publish(facts, new Map([[batch.partition, BigInt(last.offset) + 1n]]));
        } catch (err) {
          this.phase = 'failed';
          this.o.onFatal(err);
          throw err;
        }
      },
    });
  }

  /** Stops consuming and producing; idempotent. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped' || this.phase === 'stopping') return;
    this.phase = 'stopping';
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    this.phase = 'stopped';
  }

  private apply(m: KafkaMessage): SessionFact[] {
    if (!m.value) return [];
    try {
      return derive(this.state, { event: this.eventCodec.decode(m.value), loggedAt: Number(m.timestamp) });
    } catch (err) {
      if (!(err instanceof SchemaDecodeError)) throw err;
      this.undecodable++;
      this.o.logger.warn({ err, offset: m.offset }, 'undecodable room event skipped');
      return [];
    }
  }

  /** Replays the log; facts of events at or after the committed offset are published once. */
  private async rebuild(): Promise<void> {
    const admin = this.o.kafka.admin();
    await admin.connect();
    let committed: Map<number, bigint>;
    let partitions: number[];
    try {
      // A fresh broker answers group requests with NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS
      // for a few seconds after it starts (retriable): wait that out instead of failing the start.
      const [offsets] = await retryAsync(
        () => admin.fetchOffsets({ groupId: this.groupId, topics: [this.eventsTopic] }),
        STARTUP_RETRY,
        { onRetry: ({ error, delayMs }) => this.o.logger.info({ err: error, delayMs }, 'group coordinator not ready') },
      );
      committed = new Map((offsets?.partitions ?? []).map((p) => [p.partition, BigInt(Math.max(0, Number(p.offset)))]));
      partitions = (await admin.fetchTopicOffsets(this.eventsTopic)).map((o) => o.partition);
    } finally {
      await admin.disconnect();
    }
    const pending: SessionFact[] = [];
    const ends = new Map<number, bigint>();
    await readPartitionsToEnd(
      this.o.kafka,
      this.eventsTopic,
      new Map(partitions.map((p) => [p, 'earliest' as const])),
      (partition, m) => {
        const facts = this.apply(m);
        const offset = BigInt(m.offset);
        if (offset >= (committed.get(partition) ?? 0n)) pending.push(...facts);
        ends.set(partition, offset + 1n);
      },
      { groupPrefix: this.o.topicPrefix, label: 'analytics-rebuild', timeoutMs: 120_000 },
    );
    const ahead = new Map([...ends].filter(([p, end]) => end > (committed.get(p) ?? 0n)));
    if (ahead.size > 0) await this.publish(pending, ahead);
    this.o.logger.info({ rooms: this.state.rooms.size, caughtUp: pending.length }, 'analytics rebuilt');
  }

  private async publish(facts: readonly SessionFact[], offsets: ReadonlyMap<number, bigint>): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new Error('analytics worker is not started');
    const txn = await producer.transaction();
    try {
      if (facts.length > 0) {
        await txn.send({
          topic: this.factsTopic,
          messages: facts.map((f) => ({ key: f.room, value: this.factCodec.encode(f), headers: recordHeaders() })),
        });
      }
      await txn.sendOffsets({
        consumerGroupId: this.groupId,
        topics: [
          {
            topic: this.eventsTopic,
            partitions: [...offsets].map(([partition, offset]) => ({ partition, offset: offset.toString() })),
          },
        ],
      });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
    this.published += facts.length;
    if (facts.length > 0) this.o.onFacts?.(facts);
  }
}
