import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import {
  ATTR,
  SPAN,
  committedOffset,
  createProducer,
  readPartitionsToEnd,
  settleSendSpans,
  startSendSpan,
  withProcessSpan,
  withSpan,
  type Logger,
  type SendSpan,
  type WrittenPartition,
} from '@sig/runtime';
import { topicName, type AvroCodec, type Command, type DeadLetter, type RoomSnapshot } from '@sig/schemas';
import type { DeciderConfig } from '../domain/index.js';
import type { ProjectorMetrics } from './metrics.js';
import {
  checkpointKey,
  emptyOutput,
  PartitionProjection,
  type BatchOutput,
  type ProjectionCodecs,
} from './partition-projection.js';
import { chunkByBytes, PRODUCE_CHUNK_BYTES } from './chunk.js';
import { writeSnapshotRound } from './snapshot-round.js';

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
  readonly metrics?: ProjectorMetrics;
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
  /** The group's committed offset when the worker was (re)built. */
  private decidedBefore = 0n;
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

  private async build(): Promise<void> {
    const started = Date.now();
    this.stateValue = 'rebuilding';
    if (!this.producer) {
      const producer = createProducer(this.ctx.kafka, {
        transactionalId: `${this.ctx.topicPrefix}projector-${this.partition}`,
      });
      try {
        await producer.connect();
        // kafkajs' connect() only gets an idempotent producer id: the transactional InitProducerId,
        // which fences a previous owner and completes or aborts its open transaction, is sent by
        // the first transaction(). It must come before reading the log, or a previous owner's
        // transaction committed after that read is decided again (the same seq twice).
        const fence = await producer.transaction();
        await fence.abort();
      } catch (err) {
        await producer.disconnect().catch(() => undefined);
        throw err;
      }
      this.producer = producer;
    }
    // Final once the previous owner is fenced: commands below it were decided by a committed
    // transaction, even if the consumer fetched its position before that commit.
    this.decidedBefore = await committedOffset(
      this.ctx.kafka,
      this.ctx.consumerGroupId,
      topicName('commands', this.ctx.topicPrefix),
      this.partition,
    );
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
  async process(consumed: readonly KafkaMessage[], now: number): Promise<BatchOutput> {
    await this.ready();
    const messages = consumed.filter((m) => BigInt(m.offset) >= this.decidedBefore);
    if (messages.length < consumed.length)
      this.ctx.logger.info(
        { partition: this.partition, skipped: consumed.length - messages.length },
        'commands already decided by a previous owner skipped',
      );
    if (messages.length === 0) return emptyOutput();
    const producer = this.producer!;
    const projection = this.projection!;
    const deadLetters: DeadLetter[] = [];
    const topics = {
      commands: topicName('commands', this.ctx.topicPrefix),
      roomEvents: topicName('roomEvents', this.ctx.topicPrefix),
      deliveries: topicName('deliveries', this.ctx.topicPrefix),
      media: topicName('mediaCommands', this.ctx.topicPrefix),
      deadLetters: topicName('deadLetters', this.ctx.topicPrefix),
    };
    // One producer span per output record, child of the command that caused it; in the order
    // of `topicMessages` below, so the broker's answer gives each its offset.
    const spans = { roomEvents: [] as SendSpan[], deliveries: [] as SendSpan[], media: [] as SendSpan[] };
    const deadLetterSpans: SendSpan[] = [];
    const out = emptyOutput();
    for (const m of messages) {
      withProcessSpan(
        { topic: topics.commands, partition: this.partition, groupId: this.ctx.consumerGroupId },
        m,
        (span) => {
          let command: Command;
          try {
            if (!m.value) throw new Error('empty record');
            command = this.ctx.codecs.command.decode(m.value);
          } catch (err) {
            const reason = (err as { reason?: DeadLetter['reason'] }).reason ?? 'CORRUPT';
            span.setAttribute(ATTR.errorType, reason);
            deadLetterSpans.push(startSendSpan({ topic: topics.deadLetters }));
            deadLetters.push({
              topic: topics.commands,
              partition: this.partition,
              offset: Number(m.offset),
              key: m.key,
              value: m.value ?? Buffer.alloc(0),
              reason,
              message: (err as Error).message,
              consumer: this.ctx.consumerGroupId,
              at: now,
            });
            return;
          }
          this.decide(projection, out, command, topics, spans);
        },
      );
    }
    const last = messages.at(-1)!;
    const topicMessages = [
      {
        topic: topics.roomEvents,
        messages: out.roomEvents.map((r, i) => ({
          key: r.room,
          value: r.value,
          partition: this.partition,
          headers: spans.roomEvents[i]!.headers,
        })),
      },
      {
        topic: topics.deliveries,
        messages: out.deliveries.map((d, i) => ({
          key: d.key,
          value: d.value,
          partition: d.partition,
          headers: spans.deliveries[i]!.headers,
        })),
      },
      {
        topic: topics.media,
        messages: out.media.map((m, i) => ({
          key: m.room,
          value: m.value,
          partition: this.partition,
          headers: spans.media[i]!.headers,
        })),
      },
      {
        topic: topics.deadLetters,
        messages: deadLetters.map((d, i) => ({
          key: null,
          value: this.ctx.codecs.deadLetter.encode(d),
          headers: deadLetterSpans[i]!.headers,
        })),
      },
    ].filter((t) => t.messages.length > 0);
    const sent = [...spans.roomEvents, ...spans.deliveries, ...spans.media, ...deadLetterSpans];

    const started = performance.now();
    const written: { spans: SendSpan[]; metadata: WrittenPartition[] }[] = [];
    let txn: Awaited<ReturnType<Producer['transaction']>> | undefined;
    try {
      txn = await producer.transaction();
      // Several produce requests when the batch is large (see chunk.ts), in order, same transaction.
      // `flat[i]` is the record of `sent[i]` (both list room events, deliveries, media, dead letters).
      const flat = topicMessages.flatMap((t) => t.messages.map((message) => ({ topic: t.topic, message })));
      let at = 0;
      for (const chunk of chunkByBytes(flat, (m) => m.message.value.length, PRODUCE_CHUNK_BYTES)) {
        const byTopic = new Map<string, (typeof chunk)[number]['message'][]>();
        for (const { topic, message } of chunk) byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
        const metadata = await txn.sendBatch({
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          acks: -1,
        });
        written.push({ spans: sent.slice(at, at + chunk.length), metadata });
        at += chunk.length;
        const events = metadata.find((m) => m.topicName === topics.roomEvents && m.partition === this.partition);
        const count = byTopic.get(topics.roomEvents)?.length ?? 0;
        if (events?.baseOffset !== undefined && count > 0) {
          projection.lastEventOffset = BigInt(events.baseOffset) + BigInt(count - 1);
        }
      }
      await writeSnapshotRound(txn, projection, this.ctx, this.partition, now);
      await txn.sendOffsets({
        consumerGroupId: this.ctx.consumerGroupId,
        topics: [
          {
            topic: topics.commands,
            partitions: [{ partition: this.partition, offset: (BigInt(last.offset) + 1n).toString() }],
          },
        ],
      });
      await txn.commit();
    } catch (err) {
      this.projection = null;
      this.readiness = null;
      settleSendSpans(sent, err instanceof Error ? err : new Error(String(err)));
      this.ctx.metrics?.transactions.inc({ outcome: 'aborted' });
      // A failed EndTxn (commit or abort, e.g. the broker went away) leaves kafkajs' transaction
      // state in COMMITTING/ABORTING for good: every later transaction() would throw. A new
      // producer's InitProducerId makes the coordinator finish or abort whatever is still open.
      const aborted =
        txn !== undefined &&
        (await txn.abort().then(
          () => true,
          () => false,
        ));
      if (!aborted) await this.discardProducer();
      throw err;
    }
    // Records become visible (read_committed) at the commit: that is their produce latency.
    for (const w of written) settleSendSpans(w.spans, w.metadata);
    const seconds = (performance.now() - started) / 1000;
    for (const t of topicMessages) this.ctx.metrics?.produceLatency.observe({ topic: t.topic }, seconds);
    this.ctx.metrics?.transactions.inc({ outcome: 'committed' });
    return out;
  }

  /** Decides one command inside its `projector decide` span, and opens the spans of its records. */
  private decide(
    projection: PartitionProjection,
    out: BatchOutput,
    command: Command,
    topics: { roomEvents: string; deliveries: string; media: string },
    spans: { roomEvents: SendSpan[]; deliveries: SendSpan[]; media: SendSpan[] },
  ): void {
    const attributes = {
      [ATTR.signalRoom]: command.room,
      [ATTR.signalCommandType]: command.body.type,
      ...(command.source.type === 'ClientSource' ? { [ATTR.signalParticipant]: command.source.identity } : {}),
    };
    withSpan(SPAN.projectorDecide, attributes, (span) => {
      const from = { events: out.roomEvents.length, deliveries: out.deliveries.length, media: out.media.length };
      const decision = projection.decideInto(out, command);
      if (decision.rejected !== null) span.setAttribute(ATTR.signalErrorCode, decision.rejected.code);
      // Inside the span: the line carries the command's trace id.
      this.ctx.logger.debug(
        {
          room: command.room,
          type: command.body.type,
          events: decision.events.length,
          media: decision.media.length,
          rejected: decision.rejected?.code,
        },
        'command decided',
      );
      this.ctx.metrics?.decided(command.body.type, decision.rejected?.code ?? null);
      for (const r of out.roomEvents.slice(from.events)) {
        this.ctx.metrics?.eventWritten(r.event.body.type);
        spans.roomEvents.push(
          startSendSpan(
            { topic: topics.roomEvents, key: r.room, partition: this.partition, messageId: `${r.room}:${r.event.seq}` },
            { attributes: { [ATTR.signalEventType]: r.event.body.type, [ATTR.signalSeq]: r.event.seq } },
          ),
        );
      }
      out.deliveries.slice(from.deliveries).forEach((d, i) => {
        const messageId = `${command.commandId}:d${i}`;
        spans.deliveries.push(
          startSendSpan({ topic: topics.deliveries, key: d.key, partition: d.partition, messageId }),
        );
      });
      for (const m of out.media.slice(from.media)) {
        spans.media.push(
          startSendSpan({ topic: topics.media, key: m.room, partition: this.partition, messageId: m.commandId }),
        );
      }
    });
  }

  private async discardProducer(): Promise<void> {
    const p = this.producer;
    this.producer = null;
    await p?.disconnect().catch(() => undefined);
  }

  /** Gives the partition up: disconnects the producer. Idempotent. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.projection = null;
    await this.discardProducer();
  }
}
