import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import {
  ATTR,
  SPAN,
  committedOffset,
  createProducer,
  isFencedError,
  readPartitionsToEnd,
  withSpan,
  type Logger,
} from '@sig/runtime';
import { topicName, type AvroCodec } from '@sig/schemas';
import type { DeciderConfig } from '../domain/index.js';
import type { ProjectorMetrics } from './metrics.js';
import { emptyOutput, PartitionProjection, type BatchOutput, type ProjectionCodecs } from './partition-projection.js';
import { readSnapshots } from './snapshots.js';
import { CommandInbox } from './command-inbox.js';
import { commitDecisions } from './transaction.js';

/** Settings shared by every partition worker. */
export interface WorkerContext {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly topicPrefix: string;
  readonly consumerGroupId: string;
  readonly decider: DeciderConfig;
  readonly codecs: ProjectionCodecs & {
    readonly command: AvroCodec<'signal.Command'>;
    readonly deadLetter: AvroCodec<'signal.DeadLetter'>;
    readonly snapshot: AvroCodec<'signal.RoomSnapshot'>;
  };
  /** Snapshot the partition's changed rooms after this many new events (0 = never). */
  readonly snapshotEveryEvents: number;
  /** Commands decided per transaction (bounds transaction size and latency under bursts). */
  readonly maxCommandsPerTransaction: number;
  /**
   * Pause between two transactions of the partition. The coordinator completes a commit a few ms
   * after answering it; a transaction begun at once gets CONCURRENT_TRANSACTIONS, which kafkajs
   * retries only after a metadata refresh. Measured on one broker: 3 ms removed every such retry
   * and made each transaction cheaper (3.9 → 3.2 ms of CPU) and no slower (8.2 → 7.5 ms).
   */
  readonly transactionGapMs: number;
  /** Consumed commands waiting for a transaction, above which the partition's fetching pauses. */
  readonly maxBacklogCommands: number;
  readonly maxBacklogBytes: number;
  /** Called after each rebuild with what it cost. */
  readonly onRebuilt?: (info: { partition: number; ms: number; snapshots: number; tailEvents: number }) => void;
  readonly metrics?: ProjectorMetrics;
}

/** Explicit lifecycle of a worker: building its state, serving, or closed (after loss or fencing). */
export type WorkerState = 'rebuilding' | 'ready' | 'closed';

/** What a worker tells its owner (the projector, which holds the consumer). */
export interface WorkerEvents {
  /** Rebuilt and fenced: consume the partition from `offset` (seek there and resume fetching). */
  readonly resumeAt: (partition: number, offset: bigint) => void;
  /** Not accepting commands until the next `resumeAt`: pause fetching the partition. */
  readonly rebuilding: (partition: number) => void;
  /** The backlog went over (true) or back under half (false) its bound: pause or resume fetching. */
  readonly backlog: (partition: number, full: boolean) => void;
  /** A transaction committed `commands` consumed commands. */
  readonly committed: (partition: number, out: BatchOutput, commands: number) => void;
  /** A transaction or a rebuild failed; the worker rebuilds and consumes again from the log. */
  readonly failed: (partition: number, err: unknown) => void;
  /** A newer owner fenced this worker's producer: the partition is no longer ours. */
  readonly fenced: (partition: number) => void;
}

/** For a worker driven through `process()` alone (tests): nobody to tell. */
export const NO_WORKER_EVENTS: WorkerEvents = {
  resumeAt: () => undefined,
  rebuilding: () => undefined,
  backlog: () => undefined,
  committed: () => undefined,
  failed: () => undefined,
  fenced: () => undefined,
};

/**
 * Owns one partition of the room-keyed topics while this instance is assigned it: the
 * transactional producer `projector-<partition>` (whose initialisation fences any zombie that
 * still writes this partition and aborts its open transaction), and the projection rebuilt from
 * the committed room events of that partition.
 */
export class PartitionWorker {
  private producer: Producer | null = null;
  private projection: PartitionProjection | null = null;
  private stateValue: WorkerState = 'rebuilding';
  private readiness: Promise<void> | null = null;
  /**
   * First command offset not yet decided: the group's committed offset read after fencing, then
   * advanced by each commit. Commands below it are skipped, never decided twice (see `build`).
   */
  private nextOffset = 0n;
  private readonly inbox = new CommandInbox<KafkaMessage>();
  /** The loop deciding the inbox, transaction after transaction (null when idle). */
  private draining: Promise<void> | null = null;
  private backlogFull = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelayMs = 0;
  private lastCommitAt = -Infinity;
  rebuildMs = 0;

  constructor(
    readonly partition: number,
    private readonly ctx: WorkerContext,
    private readonly events: WorkerEvents = NO_WORKER_EVENTS,
  ) {}

  /** Commands consumed and waiting for a transaction. */
  get backlog(): number {
    return this.inbox.size;
  }

  /**
   * Rebuilds (retrying with a capped backoff while Kafka is unavailable) and then asks for the
   * partition from the group's committed offset. Called on assignment and after a failure.
   */
  start(): void {
    if (this.stateValue === 'closed' || this.retryTimer) return;
    this.ready().then(
      () => (this.retryDelayMs = 0),
      (err: unknown) => {
        if (this.stateValue === 'closed') return;
        this.events.failed(this.partition, err);
        this.retryDelayMs = Math.min(5000, Math.max(250, this.retryDelayMs * 2));
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.start();
        }, this.retryDelayMs);
        this.retryTimer.unref();
      },
    );
  }

  /**
   * Takes consumed commands. They are decided in the next transaction, together with whatever
   * else arrives while the current one commits: the consumer is never held up by a transaction,
   * and batches grow with the load instead of the latency.
   */
  offer(messages: readonly KafkaMessage[]): void {
    if (this.inbox.offer(messages) === 0) return;
    const full = this.inbox.size >= this.ctx.maxBacklogCommands || this.inbox.bytes >= this.ctx.maxBacklogBytes;
    if (full && !this.backlogFull) {
      this.backlogFull = true;
      this.events.backlog(this.partition, true);
    }
    this.drainSoon();
  }

  private drainSoon(): void {
    if (this.draining || this.stateValue !== 'ready' || this.inbox.size === 0) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      this.drainSoon();
    });
  }

  private async drain(): Promise<void> {
    while (this.stateValue === 'ready' && this.inbox.size > 0) {
      const wait = this.lastCommitAt + this.ctx.transactionGapMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if ((this.stateValue as WorkerState) !== 'ready') return;
      const chunk = this.inbox.take(this.ctx.maxCommandsPerTransaction);
      this.maybeUnblock();
      let out: BatchOutput;
      try {
        out = await this.process(chunk, Date.now());
      } catch (err) {
        await this.recover(err);
        return;
      }
      this.lastCommitAt = performance.now();
      this.events.committed(this.partition, out, chunk.length);
    }
  }

  private maybeUnblock(): void {
    const low = this.inbox.size < this.ctx.maxBacklogCommands / 2 && this.inbox.bytes < this.ctx.maxBacklogBytes / 2;
    if (this.backlogFull && low) {
      this.backlogFull = false;
      this.events.backlog(this.partition, false);
    }
  }

  /**
   * After a failed transaction: the projection may be ahead of the log and the commands taken
   * may or may not be committed (a commit whose answer was lost). Forget both, re-fence with a
   * new producer (which completes or aborts that transaction), rebuild, and consume again from
   * the committed offset.
   */
  private async recover(err: unknown): Promise<void> {
    this.inbox.stop();
    this.maybeUnblock();
    if (isFencedError(err)) {
      this.events.fenced(this.partition);
      return;
    }
    this.events.failed(this.partition, err);
    this.events.rebuilding(this.partition);
    this.stateValue = 'rebuilding';
    this.projection = null;
    this.readiness = null;
    await this.dropProducer();
    this.start();
  }

  get state(): WorkerState {
    return this.stateValue;
  }

  get rooms(): PartitionProjection['rooms'] {
    return this.projection?.rooms ?? new Map();
  }

  /** Connects the producer (fencing zombies) and rebuilds from the log; idempotent. */
  ready(): Promise<void> {
    if (this.stateValue === 'closed') return Promise.reject(new Error(`partition ${this.partition} worker is closed`));
    this.readiness ??= withSpan(
      SPAN.projectorRebuild,
      { [ATTR.messagingDestinationPartitionId]: String(this.partition) },
      () => this.build(),
    ).catch((err: unknown) => {
      this.readiness = null;
      throw err;
    });
    return this.readiness;
  }

  /**
   * Fences, then rebuilds. Every build starts a new producer, also after a failed transaction of
   * this worker's own (kafkajs can also be left stuck in COMMITTING/ABORTING after a failed
   * EndTxn): its InitProducerId completes (or aborts) any transaction of
   * `projector-<p>` still in flight, so the log read below can no longer change under us. A failed
   * commit may still have committed; reusing the producer could rebuild without it and decide the
   * same commands again with the same seqs.
   */
  private async build(): Promise<void> {
    const started = Date.now();
    this.stateValue = 'rebuilding';
    this.inbox.stop();
    this.events.rebuilding(this.partition);
    await this.dropProducer();
    const producer = createProducer(this.ctx.kafka, {
      transactionalId: `${this.ctx.topicPrefix}projector-${this.partition}`,
    });
    try {
      await producer.connect();
      // kafkajs' connect() only gets an idempotent producer id: the transactional InitProducerId,
      // which fences a previous owner and completes or aborts its open transaction, is sent by
      // the first transaction(). It must come before the committed offset and the log are read.
      const fence = await producer.transaction();
      await fence.abort();
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    this.producer = producer;
    this.assertOpen();
    // Stable now that no transaction of this partition is pending. kafkajs fetches the offset it
    // consumes from at assignment, possibly before the previous owner's last commit was complete
    // (it does not ask for stable offsets): the commands it hands over below this were decided.
    this.nextOffset = await committedOffset(
      this.ctx.kafka,
      this.ctx.consumerGroupId,
      topicName('commands', this.ctx.topicPrefix),
      this.partition,
    );
    const projection = new PartitionProjection(this.partition, this.ctx.decider, this.ctx.codecs);
    const { snapshots, checkpoint } = await readSnapshots(this.ctx, this.partition);
    for (const snapshot of snapshots.values()) projection.restore(snapshot);
    let tailEvents = 0;
    const from = checkpoint === null ? 0n : BigInt(checkpoint.offset) + 1n;
    await readPartitionsToEnd(
      this.ctx.kafka,
      topicName('roomEvents', this.ctx.topicPrefix),
      new Map([[this.partition, from]]),
      (_p, message) => {
        if (!message.value) return;
        // Room events are written only by this partition's transactional producer: an
        // unreadable one means the log is damaged, which must stop the partition, not be skipped.
        projection.applyCommitted(
          this.ctx.codecs.roomEvent.decode(message.value),
          message.value,
          BigInt(message.offset),
        );
        tailEvents++;
      },
      { groupPrefix: this.ctx.topicPrefix, label: 'projector-rebuild', timeoutMs: 120_000 },
    );
    if (projection.lastEventOffset === null && checkpoint !== null)
      projection.lastEventOffset = BigInt(checkpoint.offset);
    this.assertOpen();
    this.projection = projection;
    this.rebuildMs = Date.now() - started;
    this.stateValue = 'ready';
    this.inbox.startAt(this.nextOffset);
    this.events.resumeAt(this.partition, this.nextOffset);
    this.ctx.onRebuilt?.({ partition: this.partition, ms: this.rebuildMs, snapshots: snapshots.size, tailEvents });
    this.ctx.logger.info(
      {
        partition: this.partition,
        snapshots: snapshots.size,
        fromOffset: from.toString(),
        tailEvents,
        rooms: projection.rooms.size,
        resumeFrom: this.nextOffset.toString(),
        ms: this.rebuildMs,
      },
      'partition rebuilt',
    );
  }

  /**
   * Decides a chunk of consumed commands and commits the resulting records together with the
   * consumer offset in one transaction. On any failure the transaction is aborted and the
   * projection discarded (rebuilt on next use), so memory never runs ahead of the log.
   */
  async process(consumed: readonly KafkaMessage[], now: number): Promise<BatchOutput> {
    await this.ready();
    const messages = consumed.filter((m) => BigInt(m.offset) >= this.nextOffset);
    if (messages.length < consumed.length) {
      this.ctx.logger.warn(
        {
          partition: this.partition,
          skipped: consumed.length - messages.length,
          from: consumed[0]?.offset,
          committed: this.nextOffset.toString(),
        },
        'commands below the committed offset handed again: already decided, skipped',
      );
    }
    if (messages.length === 0) return emptyOutput();
    const projection = this.projection!;
    try {
      const out = await commitDecisions(this.ctx, this.partition, this.producer!, projection, messages, now);
      this.nextOffset = BigInt(messages.at(-1)!.offset) + 1n;
      return out;
    } catch (err) {
      // The projection ran ahead of the log; the next build fences with a new producer.
      this.projection = null;
      this.readiness = null;
      throw err;
    }
  }

  /**
   * Gives the partition up: lets the transaction in flight finish (so a graceful stop or a
   * rebalance commits what it decided instead of leaving it to the transaction timeout), forgets
   * the backlog (the next owner consumes it from the committed offset), disconnects the producer.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.inbox.stop();
    await this.draining?.catch(() => undefined);
    this.projection = null;
    await this.dropProducer();
  }

  /** A worker closed while it was rebuilding (its partition was revoked) must not come back to life. */
  private assertOpen(): void {
    if (this.closed) {
      void this.dropProducer();
      throw new Error(`partition ${this.partition} worker closed while rebuilding`);
    }
  }

  private get closed(): boolean {
    return this.stateValue === 'closed';
  }

  private async dropProducer(): Promise<void> {
    const p = this.producer;
    this.producer = null;
    await p?.disconnect().catch(() => undefined);
  }
}
