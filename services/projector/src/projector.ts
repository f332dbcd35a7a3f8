import type { Consumer, Kafka, Producer } from 'kafkajs';
import { createConsumer, createProducer, isFencedError, Lifecycle, trackConsumerLag, type Logger } from '@sig/runtime';
import { AvroCodec, topicName, type SchemaSet } from '@sig/schemas';
import type { DeciderConfig } from './domain/index.js';
import { dependsOnEdge } from './domain/index.js';
import { EdgeLiveness } from './adapters/edge-liveness.js';
import { PartitionWorker, type WorkerContext } from './adapters/partition-worker.js';
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
  /** Partitions processed in parallel by this instance. */
  readonly partitionsConcurrently: number;
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

/**
 * The room projector: consumes `signal.commands` in a consumer group, and for every partition it
 * owns decides commands against the rebuilt room states, writing room events, deliveries, media
 * commands and the consumed offsets in one transaction.
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
  private readonly ctx: WorkerContext;
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
      ...(options.onRebuilt ? { onRebuilt: options.onRebuilt } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
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
    const { kafka, topicPrefix, logger } = this.options;
    const consumer = createConsumer(kafka, { groupId: this.groupId });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.consumer !== consumer) return;
      logger.error({ err: payload.error }, 'command consumer crashed for good; replacing it');
      this.replaceConsumer(consumer);
    });
    if (this.options.metrics) trackConsumerLag(consumer, this.options.metrics.consumerLag);
    const commandsTopic = topicName('commands', topicPrefix);
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.onAssignment(e.payload.memberAssignment[commandsTopic] ?? []));
    await consumer.connect();
    await consumer.subscribe({ topic: commandsTopic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const worker = this.worker(batch.partition);
        const size = this.options.maxCommandsPerTransaction;
        for (let i = 0; i < batch.messages.length; i += size) {
          if (!payload.isRunning() || payload.isStale()) return;
          const chunk = batch.messages.slice(i, i + size);
          try {
            const out = await worker.process(chunk, Date.now());
            this.stats.transactions++;
            this.stats.commands += chunk.length;
            this.stats.events += out.roomEvents.length;
            this.stats.deliveries += out.deliveries.length;
            for (const room of out.touchedRooms) {
              const state = worker.rooms.get(room);
              if (state) this.scheduler?.update(state);
            }
          } catch (err) {
            this.stats.aborted++;
            if (isFencedError(err)) {
              // A newer owner took this partition over: stop writing it at once.
              logger.warn({ partition: batch.partition }, 'fenced by a newer projector; giving the partition up');
              await this.dropWorker(batch.partition);
            }
            throw err;
          }
          payload.resolveOffset(chunk.at(-1)!.offset);
          await payload.heartbeat();
        }
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

  private worker(partition: number): PartitionWorker {
    let w = this.workers.get(partition);
    if (!w || w.state === 'closed') {
      w = new PartitionWorker(partition, this.ctx);
      this.workers.set(partition, w);
    }
    return w;
  }

  private onAssignment(partitions: number[]): void {
    const owned = new Set(partitions);
    for (const p of [...this.workers.keys()]) if (!owned.has(p)) void this.dropWorker(p);
    // Rebuild eagerly so the first commands after a rebalance are not delayed by it.
    for (const p of partitions) {
      const w = this.worker(p);
      void w.ready().then(
        () => {
          for (const state of w.rooms.values()) this.scheduler?.update(state);
        },
        (err: unknown) => this.options.logger.warn({ err, partition: p }, 'rebuild failed; retried on next batch'),
      );
    }
    this.options.logger.info({ partitions }, 'partitions assigned');
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
            this.options.logger.warn({ edgeId, room: state.room }, 'edge silent while the log moved on: judged dead');
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
