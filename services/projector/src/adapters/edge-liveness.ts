import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { CONSUMER_OUTAGE_RETRY, createConsumer, recordHeaders, type Logger } from '@sig/runtime';
import type { AvroCodec } from '@sig/schemas';
import { LivenessJudge } from './liveness-judge.js';

/** How often each projector instance writes its witness record (the tick of the log clock). */
export const WITNESS_INTERVAL_MS = 250;
/** Witness records further apart than this mean the log (or this process) stood still. */
export const WITNESS_GAP_MS = 2000;
/** After such a gap, how long (log time, on top of three intervals) edges get to be heard again. */
export const AFTER_GAP_GRACE_MS = 5000;

/**
 * Follows edge heartbeats on the liveness topic (every projector instance reads the whole
 * compacted topic) and writes this instance's witness records to it, so that liveness is judged
 * by log time (see `LivenessJudge`): a broker outage, during which no edge can write a heartbeat,
 * does not make every edge look dead once the broker is back.
 */
export class EdgeLiveness {
  private consumer: Consumer | null = null;
  private witnessTimer: NodeJS.Timeout | null = null;
  private witnessInFlight = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly judge: LivenessJudge;
  /** `edgeId` of this instance's witness records (fresh per start: never confused with an earlier run's). */
  readonly witnessId: string;
  /** Their key: one compacted record per instance id. */
  private readonly witnessKey: string;

  constructor(
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly codec: AvroCodec<'signal.EdgeHeartbeat'>,
    private readonly groupPrefix: string,
    instanceId: string,
    startupGraceMs: number,
    private readonly logger: Logger,
  ) {
    this.witnessKey = `projector-witness:${instanceId}`;
    this.witnessId = `${this.witnessKey}:${randomUUID().slice(0, 8)}`;
    this.judge = new LivenessJudge({
      witnessId: this.witnessId,
      startupGraceMs,
      gapMs: WITNESS_GAP_MS,
      afterGapGraceMs: AFTER_GAP_GRACE_MS,
    });
  }

  async start(): Promise<void> {
    await this.run();
    void this.witness();
    this.witnessTimer = setInterval(() => void this.witness(), WITNESS_INTERVAL_MS);
    this.witnessTimer.unref();
  }

  private async run(): Promise<void> {
    // A private group per instance: every projector must see every edge.
    const consumer = createConsumer(this.kafka, {
      groupId: `${this.groupPrefix}projector-liveness-${randomUUID()}`,
      // A long outage must not end the consumer: retry with a capped delay, then replace it below.
      retry: CONSUMER_OUTAGE_RETRY,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.warn({ err: payload.error, restart: payload.restart }, 'edge liveness consumer crashed');
      if (!payload.restart && this.consumer === consumer) this.replace(consumer);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ message }) => {
        if (!message.value) return Promise.resolve();
        try {
          this.judge.read(this.codec.decode(message.value));
        } catch (err) {
          this.logger.warn({ err }, 'unreadable edge heartbeat');
        }
        return Promise.resolve();
      },
    });
  }

  /**
   * A consumer that crashed for good (kafkajs gives up on some errors after a broker restart, e.g.
   * "Failed to find group coordinator") is replaced: it re-reads the topic, which the judge ignores.
   */
  private replace(old: Consumer): void {
    this.consumer = null;
    void old.disconnect().catch(() => undefined);
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      this.run().catch((err: unknown) => {
        this.logger.warn({ err }, 'edge liveness consumer restart failed');
        if (this.consumer) this.replace(this.consumer);
      });
    }, 1000);
  }

  /** Writes one witness record; skipped while the previous one is still being sent. Never rejects. */
  private async witness(): Promise<void> {
    if (this.witnessInFlight) return;
    this.witnessInFlight = true;
    const value = this.codec.encode({
      edgeId: this.witnessId,
      // No reply slot: marks a projector's witness, not an edge.
      replySlot: -1,
      at: Date.now(),
      state: 'RUNNING',
      connections: 0,
      intervalMs: WITNESS_INTERVAL_MS,
    });
    try {
      await this.producer.send({
        topic: this.topic,
        messages: [{ key: this.witnessKey, value, headers: recordHeaders({ trace: false }) }],
      });
    } catch (err) {
      this.logger.debug({ err }, 'liveness witness not written');
    } finally {
      this.witnessInFlight = false;
    }
  }

  /** Whether connections on this edge should be considered lost. */
  isDead(edgeId: string): boolean {
    return this.judge.isDead(edgeId);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    if (this.witnessTimer) clearInterval(this.witnessTimer);
    this.witnessTimer = null;
    const c = this.consumer;
    this.consumer = null;
    await c?.disconnect();
    // A tombstone, so compaction forgets this instance's witness (best effort: a crash leaves one
    // record). Not waited for more than a second: a stop during a broker outage must not hang on it.
    const tombstone = this.producer
      .send({ topic: this.topic, messages: [{ key: this.witnessKey, value: null }] })
      .catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([tombstone, new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
    clearTimeout(timer);
  }
}
