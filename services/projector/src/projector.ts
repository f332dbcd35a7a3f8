import type { Consumer, Kafka, Producer } from 'kafkajs';
import { createConsumer, createProducer, Lifecycle, trackConsumerLag, type Logger } from '@sig/runtime';
import { AvroCodec, topicName, type SchemaSet } from '@sig/schemas';
import type { DeciderConfig } from './domain/index.js';
import { dependsOnEdge } from './domain/index.js';
import { EdgeLiveness } from './adapters/edge-liveness.js';
import { PartitionWorker, type WorkerContext, type WorkerEvents } from './adapters/partition-worker.js';
import type { BatchOutput } from './adapters/partition-projection.js';
import { TimerScheduler } from './adapters/timer-scheduler.js';

/** Settings of a projector instance. */
export interface ProjectorOptions {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly schemas: SchemaSet;
  readonly topicPrefix: string;
  readonly instanceId: string;
  readonly decider: DeciderConfig;
  /** Commands decided per transaction (bounds transaction size and latency under bursts). */
  readonly maxCommandsPerTransaction: number;
  /** Pause between two transactions of a partition (see WorkerContext.transactionGapMs). Default 3. */
  readonly transactionGapMs?: number;
  /** Consumed commands a partition may hold before its fetching pauses (count and bytes). */
  readonly maxBacklogCommands?: number;
  readonly maxBacklogBytes?: number;
  /** Connections on an edge never heard of are considered lost after this. */
  readonly edgeStartupGraceMs: number;
  /** Snapshot a partition's changed rooms every this many events (0 = never). */
  readonly snapshotEveryEvents: number;
  readonly onRebuilt?: WorkerContext['onRebuilt'];
  readonly metrics?: WorkerContext['metrics'];
}

/** Counters the admin endpoint and tests read. */
export interface ProjectorStats {
  commands: number;
  events: number;
  deliveries: number;
  transactions: number;
  aborted: number;
}

/** Why fetching of a partition is paused: its worker rebuilds, or its backlog is full. */
type PauseReason = 'rebuilding' | 'backlog';

/**
 * The room projector: consumes `signal.commands` in a consumer group, and for every partition it
 * owns decides commands against the rebuilt room states, writing room events, deliveries, media
 * commands and the consumed offsets in one transaction.
 *
 * The consumer only hands batches to the partition workers; each worker runs its transactions at
 * its own pace (see PartitionWorker.offer). kafkajs fetches again only once every batch of a fetch
 * is handled, so waiting for transactions there made every partition wait for the slowest one.
 */
export class Projector {
  readonly lifecycle = new Lifecycle('projector');
  readonly stats: ProjectorStats = { commands: 0, events: 0, deliveries: 0, transactions: 0, aborted: 0 };
  private readonly workers = new Map<number, PartitionWorker>();
  private consumer: Consumer | null = null;
  private timerProducer: Producer | null = null;
  private scheduler: TimerScheduler | null = null;
  private liveness: EdgeLiveness | null = null;
  private livenessTimer: NodeJS.Timeout | null = null;
  private consumerRestart: NodeJS.Timeout | undefined;
  private readonly reportedEdges = new Map<string, number>();
  private readonly paused = new Map<number, Set<PauseReason>>();
  private readonly ctx: WorkerContext;
  private readonly workerEvents: WorkerEvents;
  private readonly commandsTopic: string;
  readonly groupId: string;

  constructor(private readonly options: ProjectorOptions) {
    this.groupId = `${options.topicPrefix}projector`;
    const s = options.schemas;
    this.ctx = {
      kafka: options.kafka,
      logger: options.logger,
      topicPrefix: options.topicPrefix,
      consumerGroupId: this.groupId,
      decider: options.decider,
      codecs: {
        command: new AvroCodec(s, 'signal.Command'),
        roomEvent: new AvroCodec(s, 'signal.RoomEvent'),
        delivery: new AvroCodec(s, 'signal.Delivery'),
        media: new AvroCodec(s, 'signal.MediaCommand'),
        deadLetter: new AvroCodec(s, 'signal.DeadLetter'),
        snapshot: new AvroCodec(s, 'signal.RoomSnapshot'),
      },
      snapshotEveryEvents: options.snapshotEveryEvents,
      maxCommandsPerTransaction: options.maxCommandsPerTransaction,
      transactionGapMs: options.transactionGapMs ?? 3,
      maxBacklogCommands: options.maxBacklogCommands ?? 4 * options.maxCommandsPerTransaction,
      maxBacklogBytes: options.maxBacklogBytes ?? 16 * 1024 * 1024,
      ...(options.onRebuilt ? { onRebuilt: options.onRebuilt } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    };
    this.commandsTopic = topicName('commands', options.topicPrefix);
    this.workerEvents = {
      resumeAt: (partition, offset) => this.resumeAt(partition, offset),
      rebuilding: (partition) => this.pause(partition, 'rebuilding'),
      backlog: (partition, full) => (full ? this.pause(partition, 'backlog') : this.unpause(partition, 'backlog')),
      committed: (partition, out, commands) => this.committed(partition, out, commands),
      failed: (partition, err) => {
        this.stats.aborted++;
        options.logger.warn({ err, partition }, 'partition failed; rebuilding it and consuming again from the log');
      },
      fenced: (partition) => {
        // A newer owner exists, so a rebalance is revoking the partition from this instance; until
        // then nothing is fetched for it (a new assignment starts a new worker, which resumes it).
        options.logger.warn({ partition }, 'fenced by a newer projector; giving the partition up');
        this.pause(partition, 'rebuilding');
        void this.dropWorker(partition);
      },
    };
  }

  /** Partitions currently owned and ready. */
  get ownedPartitions(): number[] {
    return [...this.workers.values()].filter((w) => w.state === 'ready').map((w) => w.partition);
  }

  /** Rooms held in memory, per owned partition. */
  get roomsByPartition(): Map<number, number> {
    return new Map([...this.workers.values()].map((w) => [w.partition, w.rooms.size]));
  }

  /** Rooms held in memory across owned partitions. */
  get roomCount(): number {
    let n = 0;
    for (const w of this.workers.values()) n += w.rooms.size;
    return n;
  }

  async start(): Promise<void> {
    this.lifecycle.transition('starting');
    const { kafka, topicPrefix, logger } = this.options;
    this.timerProducer = createProducer(kafka);
    await this.timerProducer.connect();
    this.scheduler = new TimerScheduler(
      this.timerProducer,
      this.ctx.codecs.command,
      topicName('commands', topicPrefix),
      this.options.instanceId,
      this.options.decider,
      logger,
    );
    this.liveness = new EdgeLiveness(
      kafka,
      this.timerProducer,
      topicName('edgeLiveness', topicPrefix),
      new AvroCodec(this.options.schemas, 'signal.EdgeHeartbeat'),
      topicPrefix,
      this.options.instanceId,
      this.options.edgeStartupGraceMs,
      logger,
    );
    await this.liveness.start();
    this.livenessTimer = setInterval(() => this.checkEdges(), 1000);
    this.livenessTimer.unref();

    await this.runConsumer();
    this.lifecycle.transition('running');
  }

  /** Consumes `signal.commands` in the group; every owned partition is decided by its worker. */
  private async runConsumer(): Promise<void> {
    const { kafka, logger } = this.options;
    const consumer = createConsumer(kafka, { groupId: this.groupId });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.consumer !== consumer) return;
      logger.error({ err: payload.error }, 'command consumer crashed for good; replacing it');
      this.replaceConsumer(consumer);
    });
    if (this.options.metrics) trackConsumerLag(consumer, this.options.metrics.consumerLag);
    const commandsTopic = this.commandsTopic;
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.onAssignment(e.payload.memberAssignment[commandsTopic] ?? []));
    await consumer.connect();
    await consumer.subscribe({ topic: commandsTopic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // No partitionsConsumedConcurrently: handing a batch over takes microseconds, and every
      // owned partition's transactions already run in parallel in its worker.
      eachBatch: async (payload) => {
        const { batch } = payload;
        // Stale: a seek to the worker's start offset is pending; this batch is from before it.
        if (!payload.isRunning() || payload.isStale()) return;
        const worker = this.workers.get(batch.partition);
        const last = batch.messages.at(-1);
        if (!worker || worker.state === 'closed' || !last) return;
        worker.offer(batch.messages);
        // The consumer's position only; the group's committed offset moves with each transaction.
        payload.resolveOffset(last.offset);
        await Promise.resolve();
      },
    });
  }

  /**
   * kafkajs does not restart a consumer after some errors (e.g. "Failed to find group coordinator"
   * while a restarted broker loads): the instance would stay up owning nothing. Give every
   * partition up (a new owner, possibly us, fences and rebuilds) and join the group again.
   */
  private replaceConsumer(old: Consumer): void {
    this.consumer = null;
    // Pauses belong to the consumer being replaced; the new one starts with none.
    this.paused.clear();
    void (async () => {
      await old.disconnect().catch(() => undefined);
      await Promise.all([...this.workers.keys()].map((p) => this.dropWorker(p)));
      this.consumerRestart = setTimeout(() => {
        if (!this.lifecycle.is('starting', 'running')) return;
        this.runConsumer().catch((err: unknown) => {
          this.options.logger.error({ err }, 'command consumer restart failed');
          if (this.consumer) this.replaceConsumer(this.consumer);
        });
      }, 1000);
    })();
  }

  private onAssignment(partitions: number[]): void {
    const owned = new Set(partitions);
    for (const p of [...this.workers.keys()]) if (!owned.has(p)) void this.dropWorker(p);
    for (const p of [...this.paused.keys()]) if (!owned.has(p)) this.paused.delete(p);
    // Rebuild eagerly so the first commands after a rebalance are not delayed by it; fetching of a
    // partition waits for its rebuild (resumeAt).
    for (const p of partitions) {
      let w = this.workers.get(p);
      if (!w || w.state === 'closed') {
        w = new PartitionWorker(p, this.ctx, this.workerEvents);
        this.workers.set(p, w);
      }
      w.start();
    }
    this.options.logger.info({ partitions }, 'partitions assigned');
  }

  /** A worker is rebuilt and fenced: consume its partition from `offset` on. */
  private resumeAt(partition: number, offset: bigint, worker = this.workers.get(partition)): void {
    if (!worker || worker.state !== 'ready' || this.workers.get(partition) !== worker) return;
    for (const state of worker.rooms.values()) this.scheduler?.update(state);
    try {
      this.consumer?.seek({ topic: this.commandsTopic, partition, offset: offset.toString() });
    } catch (err) {
      // seek needs a running consumer (kafkajs is between runs). The partition stays paused and
      // the seek is tried again: commands the consumer handed over during the rebuild were
      // dropped, so fetching must not resume from anywhere but `offset`.
      this.options.logger.debug({ err, partition }, 'seek after rebuild failed; retrying');
      if (this.lifecycle.is('starting', 'running'))
        setTimeout(() => this.resumeAt(partition, offset, worker), 250).unref();
      return;
    }
    this.unpause(partition, 'rebuilding');
  }

  private committed(partition: number, out: BatchOutput, commands: number): void {
    this.stats.transactions++;
    this.stats.commands += commands;
    this.stats.events += out.roomEvents.length;
    this.stats.deliveries += out.deliveries.length;
    const w = this.workers.get(partition);
    for (const room of out.touchedRooms) {
      const state = w?.rooms.get(room);
      if (state) this.scheduler?.update(state);
    }
  }

  private pause(partition: number, reason: PauseReason): void {
    let reasons = this.paused.get(partition);
    if (!reasons) this.paused.set(partition, (reasons = new Set()));
    if (reasons.size === 0) this.consumer?.pause([{ topic: this.commandsTopic, partitions: [partition] }]);
    reasons.add(reason);
  }

  private unpause(partition: number, reason: PauseReason): void {
    const reasons = this.paused.get(partition);
    if (!reasons?.delete(reason) || reasons.size > 0) return;
    this.consumer?.resume([{ topic: this.commandsTopic, partitions: [partition] }]);
  }

  private async dropWorker(partition: number): Promise<void> {
    const w = this.workers.get(partition);
    if (!w) return;
    this.workers.delete(partition);
    this.scheduler?.forget(w.rooms.keys());
    await w.close();
  }

  /** Rooms with connected participants on a dead edge get an EDGE_LIVENESS timer command. */
  private checkEdges(): void {
    const now = Date.now();
    for (const w of this.workers.values()) {
      if (w.state !== 'ready') continue;
      for (const state of w.rooms.values()) {
        const edges = new Set([...state.participants.values()].map((p) => p.connection.edgeId));
        for (const edgeId of edges) {
          if (!dependsOnEdge(state, edgeId) || !this.liveness?.isDead(edgeId)) continue;
          const key = `${state.room}|${edgeId}`;
          const reported = this.reportedEdges.get(key);
          if (reported !== undefined && now - reported < 5000) continue;
          if (reported === undefined)
            this.options.logger.warn(
              { edgeId, room: state.room },
              'edge silent while the log moved on: judged dead, its participants in the room go reconnecting',
            );
          this.reportedEdges.set(key, now);
          void this.scheduler?.fire({ timer: 'EDGE_LIVENESS', room: state.room, sessionId: null, edgeId, dueAt: now });
        }
      }
    }
  }

  /** Stops consuming and gives every partition up. Idempotent. */
  async stop(): Promise<void> {
    if (this.lifecycle.state === 'stopped' || this.lifecycle.state === 'initialized') return;
    if (this.lifecycle.state !== 'draining') this.lifecycle.transition('draining');
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    clearTimeout(this.consumerRestart);
    this.scheduler?.close();
    await this.consumer?.disconnect().catch(() => undefined);
    await Promise.all([...this.workers.keys()].map((p) => this.dropWorker(p)));
    await this.liveness?.stop().catch(() => undefined);
    await this.timerProducer?.disconnect().catch(() => undefined);
    this.lifecycle.transition('stopped');
  }
}
