import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { createProducer, readPartitionsToEnd, type Logger } from '@sig/runtime';
import { topicName, type AvroCodec, type Command, type DeadLetter, type RoomSnapshot } from '@sig/schemas';
import type { DeciderConfig } from '../domain/index.js';
import { checkpointKey, PartitionProjection, type BatchOutput, type ProjectionCodecs } from './partition-projection.js';
import { chunkByBytes, PRODUCE_CHUNK_BYTES, SNAPSHOT_MAX_BYTES } from './chunk.js';

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
  /** Called after each rebuild with what it cost. */
  readonly onRebuilt?: (info: { partition: number; ms: number; snapshots: number; tailEvents: number }) => void;
}

/** Explicit lifecycle of a worker: building its state, serving, or closed (after loss or fencing). */
export type WorkerState = 'rebuilding' | 'ready' | 'closed';

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
  rebuildMs = 0;

  constructor(
    readonly partition: number,
    private readonly ctx: WorkerContext,
  ) {}

  get state(): WorkerState {
    return this.stateValue;
  }

  get rooms(): PartitionProjection['rooms'] {
    return this.projection?.rooms ?? new Map();
  }

  /** Connects the producer (fencing zombies) and rebuilds from the log; idempotent. */
  ready(): Promise<void> {
    if (this.stateValue === 'closed') return Promise.reject(new Error(`partition ${this.partition} worker is closed`));
    this.readiness ??= this.build().catch((err: unknown) => {
      this.readiness = null;
      throw err;
    });
    return this.readiness;
  }

  private async build(): Promise<void> {
    const started = Date.now();
    this.stateValue = 'rebuilding';
    if (!this.producer) {
      const producer = createProducer(this.ctx.kafka, {
        transactionalId: `${this.ctx.topicPrefix}projector-${this.partition}`,
      });
      await producer.connect();
      this.producer = producer;
    }
    const projection = new PartitionProjection(this.partition, this.ctx.decider, this.ctx.codecs);
    const { snapshots, checkpoint } = await this.readSnapshots();
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
    this.projection = projection;
    this.rebuildMs = Date.now() - started;
    this.stateValue = 'ready';
    this.ctx.onRebuilt?.({ partition: this.partition, ms: this.rebuildMs, snapshots: snapshots.size, tailEvents });
    this.ctx.logger.info(
      {
        partition: this.partition,
        snapshots: snapshots.size,
        fromOffset: from.toString(),
        tailEvents,
        rooms: projection.rooms.size,
        ms: this.rebuildMs,
      },
      'partition rebuilt',
    );
  }

  /** Latest snapshot of every room of the partition, and the partition checkpoint (compacted topic). */
  private async readSnapshots(): Promise<{ snapshots: Map<string, RoomSnapshot>; checkpoint: RoomSnapshot | null }> {
    const latest = new Map<string, RoomSnapshot>();
    await readPartitionsToEnd(
      this.ctx.kafka,
      topicName('snapshots', this.ctx.topicPrefix),
      new Map([[this.partition, 'earliest' as const]]),
      (_p, message) => {
        if (!message.value || !message.key) return;
        latest.set(message.key.toString(), this.ctx.codecs.snapshot.decode(message.value));
      },
      { groupPrefix: this.ctx.topicPrefix, label: 'projector-rebuild', timeoutMs: 120_000 },
    );
    const key = checkpointKey(this.partition);
    const checkpoint = latest.get(key) ?? null;
    latest.delete(key);
    // Without a checkpoint the whole log is replayed, so room snapshots are not needed.
    return { snapshots: checkpoint ? latest : new Map<string, RoomSnapshot>(), checkpoint };
  }

  /**
   * Decides a chunk of consumed commands and commits the resulting records together with the
   * consumer offset in one transaction. On any failure the transaction is aborted and the
   * projection discarded (rebuilt on next use), so memory never runs ahead of the log.
   */
  async process(messages: readonly KafkaMessage[], now: number): Promise<BatchOutput> {
    await this.ready();
    const producer = this.producer!;
    const projection = this.projection!;
    const commands: Command[] = [];
    const deadLetters: DeadLetter[] = [];
    const commandsTopic = topicName('commands', this.ctx.topicPrefix);
    for (const m of messages) {
      try {
        if (!m.value) throw new Error('empty record');
        commands.push(this.ctx.codecs.command.decode(m.value));
      } catch (err) {
        deadLetters.push({
          topic: commandsTopic,
          partition: this.partition,
          offset: Number(m.offset),
          key: m.key,
          value: m.value ?? Buffer.alloc(0),
          reason: (err as { reason?: DeadLetter['reason'] }).reason ?? 'CORRUPT',
          message: (err as Error).message,
          consumer: this.ctx.consumerGroupId,
          at: now,
        });
      }
    }
    const out = projection.process(commands, now);
    const last = messages.at(-1)!;
    const traceHeaders = (i: number) => messages[i]?.headers ?? {};
    const topicMessages = [
      {
        topic: topicName('roomEvents', this.ctx.topicPrefix),
        messages: out.roomEvents.map((r) => ({ key: r.room, value: r.value, partition: this.partition })),
      },
      {
        topic: topicName('deliveries', this.ctx.topicPrefix),
        messages: out.deliveries.map((d) => ({ key: d.key, value: d.value, partition: d.partition })),
      },
      {
        topic: topicName('mediaCommands', this.ctx.topicPrefix),
        messages: out.media.map((m) => ({ key: m.room, value: m.value, partition: this.partition })),
      },
      {
        topic: topicName('deadLetters', this.ctx.topicPrefix),
        messages: deadLetters.map((d) => ({
          key: null,
          value: this.ctx.codecs.deadLetter.encode(d),
          headers: traceHeaders(0),
        })),
      },
    ].filter((t) => t.messages.length > 0);

    const txn = await producer.transaction();
    try {
      // Several produce requests when the batch is large (see chunk.ts), in order, same transaction.
      const roomEventsTopic = topicName('roomEvents', this.ctx.topicPrefix);
      const flat = topicMessages.flatMap((t) => t.messages.map((message) => ({ topic: t.topic, message })));
      for (const chunk of chunkByBytes(flat, (m) => m.message.value.length, PRODUCE_CHUNK_BYTES)) {
        const byTopic = new Map<string, (typeof chunk)[number]['message'][]>();
        for (const { topic, message } of chunk) byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
        const metadata = await txn.sendBatch({
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          acks: -1,
        });
        const written = metadata.find((m) => m.topicName === roomEventsTopic && m.partition === this.partition);
        const events = byTopic.get(roomEventsTopic)?.length ?? 0;
        if (written?.baseOffset !== undefined && events > 0) {
          projection.lastEventOffset = BigInt(written.baseOffset) + BigInt(events - 1);
        }
      }
      await this.maybeSnapshot(txn, projection, now);
      await txn.sendOffsets({
        consumerGroupId: this.ctx.consumerGroupId,
        topics: [
          {
            topic: commandsTopic,
            partitions: [{ partition: this.partition, offset: (BigInt(last.offset) + 1n).toString() }],
          },
        ],
      });
      await txn.commit();
    } catch (err) {
      this.projection = null;
      this.readiness = null;
      await txn.abort().catch(() => undefined);
      throw err;
    }
    return out;
  }

  /** Writes snapshots of changed rooms plus the partition checkpoint, inside the open transaction. */
  private async maybeSnapshot(
    txn: { send: Producer['send'] },
    projection: PartitionProjection,
    now: number,
  ): Promise<void> {
    const every = this.ctx.snapshotEveryEvents;
    if (every <= 0 || projection.eventsSinceSnapshot < every || projection.lastEventOffset === null) return;
    const offset = projection.lastEventOffset;
    const snapshots = projection.takeSnapshots(offset, now);
    const codec = this.ctx.codecs.snapshot;
    const records = snapshots.map((s) => ({ key: s.room, value: codec.encode(s), partition: this.partition }));
    const tooLarge = records.filter((r) => r.value.length > SNAPSHOT_MAX_BYTES);
    if (tooLarge.length > 0) {
      // A room snapshot carries the room's resume window; one over the broker's record limit would
      // fail the transaction forever. Skip this round (the rooms stay dirty, no checkpoint): a
      // rebuild then replays from the previous checkpoint, slower but exact.
      projection.markDirty(snapshots.map((s) => s.room));
      this.ctx.logger.warn(
        { partition: this.partition, rooms: tooLarge.map((r) => r.key), bytes: tooLarge.map((r) => r.value.length) },
        'room snapshot over the record limit: snapshot round skipped',
      );
      return;
    }
    const checkpoint: RoomSnapshot = {
      room: '',
      seq: 0,
      offset: Number(offset),
      takenAt: now,
      stateFormat: 1,
      state: Buffer.alloc(0),
      window: [],
    };
    const topic = topicName('snapshots', this.ctx.topicPrefix);
    // Several requests when large (see chunk.ts); the checkpoint last, so a reader that sees it
    // has seen the snapshots it vouches for.
    for (const chunk of chunkByBytes(records, (r) => r.value.length, PRODUCE_CHUNK_BYTES))
      await txn.send({ topic, acks: -1, messages: chunk });
    await txn.send({
      topic,
      acks: -1,
      messages: [{ key: checkpointKey(this.partition), value: codec.encode(checkpoint), partition: this.partition }],
    });
  }

  /** Gives the partition up: disconnects the producer. Idempotent. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.projection = null;
    const p = this.producer;
    this.producer = null;
    await p?.disconnect().catch(() => undefined);
  }
}
