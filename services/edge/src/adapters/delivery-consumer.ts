/**
 * Reads this edge's reply slot of `signal.deliveries`, and nothing else: an edge's delivery cost
 * follows its own clients' traffic, not the cluster's. kafkajs has no manual partition assignment,
 * so the edge joins its own consumer group (`edge-<edgeId>`, one member) whose assigner hands out
 * exactly the slot partition. Before clients are accepted the consumer is positioned at the slot's
 * high watermark, so every delivery produced after start is read (none from before: they were for
 * connections of a previous process). read_committed: aborted projector work is never delivered.
 *
 * The position is kept in memory, not in committed offsets: on every group join (the first one,
 * kafkajs' own restarts after a crash, rebalances) the consumer seeks to the next offset it has
 * not handled. The seek is issued from the GROUP_JOIN listener, which kafkajs runs before its
 * fetch loop applies pending seeks, so no record is skipped or read twice.
 */
import { createRequire } from 'node:module';
import type * as KafkaJs from 'kafkajs';
import type { Consumer, IHeaders, Kafka, PartitionAssigner } from 'kafkajs';
import type { Gauge } from 'prom-client';
import {
  createConsumer,
  exponentialJitter,
  retryAsync,
  trackConsumerLag,
  withProcessSpan,
  type Logger,
} from '@sig/runtime';

const require = createRequire(import.meta.url);
const kafkajs = (): typeof KafkaJs => require('kafkajs') as typeof KafkaJs;

/** An assigner that gives the group's members the slot partition only (the first member gets it). */
export function replySlotAssigner(slot: number): PartitionAssigner {
  return () => ({
    name: 'EdgeReplySlot',
    version: 1,
    assign({ members, topics }) {
      const { AssignerProtocol } = kafkajs();
      // Sorted so that, should two processes ever share an edge id, exactly one gets the slot.
      const sorted = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
      return Promise.resolve(
        sorted.map((member, i) => ({
          memberId: member.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 1,
            assignment: i === 0 ? Object.fromEntries(topics.map((t) => [t, [slot]])) : {},
            userData: Buffer.alloc(0),
          }),
        })),
      );
    },
    protocol({ topics }) {
      const { AssignerProtocol } = kafkajs();
      return {
        name: 'EdgeReplySlot',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}

/** One consumed delivery record. */
export interface DeliveryRecord {
  readonly value: Buffer;
  readonly headers: IHeaders | undefined;
  readonly offset: string;
}

export interface DeliveryConsumerOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly slot: number;
  readonly edgeId: string;
  readonly logger: Logger;
  /** Handles one record synchronously; a throw is logged, never crashes the consumer. */
  readonly onRecord: (record: DeliveryRecord) => void;
  /** Delay before replacing a consumer that crashed for good. Default 1000 ms. */
  readonly restartDelayMs?: number;
  /** `signal_kafka_consumer_lag` of the slot. */
  readonly lag?: Gauge<'topic' | 'partition'>;
}

/** The delivery consumer: start() resolves once it is positioned on the slot. */
export class DeliveryConsumer {
  readonly #o: DeliveryConsumerOptions;
  #consumer: Consumer | undefined;
  #positioned = false;
  /** Next offset to read; survives a consumer replacement so nothing is skipped or repeated. */
  #next: string | undefined;
  #stopped = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #onPositioned: (() => void) | undefined;

  constructor(options: DeliveryConsumerOptions) {
    this.#o = options;
  }

  /** Whether the consumer holds the slot and is positioned (readiness). */
  get positioned(): boolean {
    return this.#positioned;
  }

  get groupId(): string {
    return `edge-${this.#o.edgeId}`;
  }

  /** Positions at the slot's current high watermark and joins; rejects after `timeoutMs`. */
  async start(timeoutMs: number): Promise<void> {
    this.#next = await this.#highWatermark();
    const positioned = new Promise<void>((resolve) => (this.#onPositioned = resolve));
    await this.#run();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        positioned,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`delivery consumer not positioned on slot ${this.#o.slot} within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    this.#o.logger.info(
      { slot: this.#o.slot, offset: this.#next, groupId: this.groupId },
      'delivery consumer positioned',
    );
  }

  /** Leaves the group and disconnects; idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#positioned = false;
    clearTimeout(this.#restartTimer);
    const consumer = this.#consumer;
    this.#consumer = undefined;
    await consumer
      ?.disconnect()
      .catch((err: unknown) => this.#o.logger.warn({ err }, 'delivery consumer disconnect failed'));
  }

  async #highWatermark(): Promise<string> {
    const admin = this.#o.kafka.admin();
    await admin.connect();
    try {
      // Right after a topic is created its leaders may not be known yet (NOT_LEADER…): retry those.
      return await retryAsync(
        async () => {
          const offsets = await admin.fetchTopicOffsets(this.#o.topic);
          const slot = offsets.find((o) => o.partition === this.#o.slot);
          if (slot === undefined) throw new Error(`${this.#o.topic} has no partition ${this.#o.slot}`);
          return slot.high;
        },
        exponentialJitter({ baseMs: 100, maxMs: 1000, maxElapsedMs: 15_000 }),
      );
    } finally {
      await admin.disconnect();
    }
  }

  async #run(): Promise<void> {
    const { kafka, topic, slot, logger } = this.#o;
    const consumer = createConsumer(kafka, {
      groupId: this.groupId,
      partitionAssigners: [replySlotAssigner(slot)],
      // A long outage must not end the consumer: retry with a capped delay, then restart below.
      retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 20 },
    });
    this.#consumer = consumer;
    if (this.#o.lag !== undefined) trackConsumerLag(consumer, this.#o.lag);
    const { GROUP_JOIN, CRASH, REBALANCING } = consumer.events;
    consumer.on(GROUP_JOIN, ({ payload }) => {
      const assigned = payload.memberAssignment[topic]?.includes(slot) ?? false;
      if (!assigned) {
        this.#positioned = false;
        logger.warn({ assignment: payload.memberAssignment }, 'delivery consumer joined without its slot');
        return;
      }
      if (this.#next !== undefined) consumer.seek({ topic, partition: slot, offset: this.#next });
      this.#positioned = true;
      this.#onPositioned?.();
    });
    consumer.on(REBALANCING, () => (this.#positioned = false));
    consumer.on(CRASH, ({ payload }) => {
      this.#positioned = false;
      logger.error({ err: payload.error, restart: payload.restart }, 'delivery consumer crashed');
      if (!payload.restart && this.#consumer === consumer) this.#restart();
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      // Handling is synchronous (sends never block), so the next record waits for nothing.
      eachMessage: ({ message }) => {
        try {
          const value = message.value;
          // Handled inside the record's `process` span: its trace continues the projector's.
          if (value !== null)
            withProcessSpan({ topic, partition: slot, groupId: this.groupId }, message, () =>
              this.#o.onRecord({ value, headers: message.headers, offset: message.offset }),
            );
        } catch (err) {
          logger.error({ err, offset: message.offset }, 'delivery handling failed');
        }
        this.#next = (BigInt(message.offset) + 1n).toString();
        return Promise.resolve();
      },
    });
  }

  /** Replaces the consumer after a delay; keeps trying until it runs again or the edge stops. */
  #restart(): void {
    if (this.#stopped) return;
    const old = this.#consumer;
    this.#consumer = undefined;
    void old?.disconnect().catch(() => undefined);
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      if (this.#stopped) return;
      this.#o.logger.info({ offset: this.#next }, 'replacing the delivery consumer');
      this.#run().catch((err: unknown) => {
        this.#o.logger.error({ err }, 'delivery consumer restart failed');
        this.#restart();
      });
    }, this.#o.restartDelayMs ?? 1000);
  }
}
