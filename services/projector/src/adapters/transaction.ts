/**
 * One consume-decide-produce transaction of a partition worker: decodes the commands (undecodable
 * ones become dead letters), decides them against the projection, and commits room events,
 * deliveries, media commands, dead letters, snapshots when due and the consumer offset together.
 */
import type { KafkaMessage, Producer } from 'kafkajs';
import {
  ATTR,
  SPAN,
  settleSendSpans,
  startSendSpan,
  withProcessSpan,
  withSpan,
  type SendSpan,
  type WrittenPartition,
} from '@sig/runtime';
import { topicName, type Command, type DeadLetter } from '@sig/schemas';
import { emptyOutput, type BatchOutput, type PartitionProjection } from './partition-projection.js';
import { chunkByBytes, PRODUCE_CHUNK_BYTES } from './chunk.js';
import { writeSnapshots } from './snapshots.js';
import type { WorkerContext } from './partition-worker.js';

/**
 * Decides `messages` and commits the result with the consumer offset after the last of them. On
 * any failure the transaction is aborted and the error rethrown: the caller must then discard
 * the projection (it has run ahead of the log).
 */
export async function commitDecisions(
  ctx: WorkerContext,
  partition: number,
  producer: Producer,
  projection: PartitionProjection,
  messages: readonly KafkaMessage[],
  now: number,
): Promise<BatchOutput> {
  const deadLetters: DeadLetter[] = [];
  const topics = {
    commands: topicName('commands', ctx.topicPrefix),
    roomEvents: topicName('roomEvents', ctx.topicPrefix),
    deliveries: topicName('deliveries', ctx.topicPrefix),
    media: topicName('mediaCommands', ctx.topicPrefix),
    deadLetters: topicName('deadLetters', ctx.topicPrefix),
  };
  // One producer span per output record, child of the command that caused it; in the order
  // of `topicMessages` below, so the broker's answer gives each its offset.
  const spans = { roomEvents: [] as SendSpan[], deliveries: [] as SendSpan[], media: [] as SendSpan[] };
  const deadLetterSpans: SendSpan[] = [];
  const out = emptyOutput();
  for (const m of messages) {
    withProcessSpan({ topic: topics.commands, partition, groupId: ctx.consumerGroupId }, m, (span) => {
      let command: Command;
      try {
        if (!m.value) throw new Error('empty record');
        command = ctx.codecs.command.decode(m.value);
      } catch (err) {
        const reason = (err as { reason?: DeadLetter['reason'] }).reason ?? 'CORRUPT';
        span.setAttribute(ATTR.errorType, reason);
        deadLetterSpans.push(startSendSpan({ topic: topics.deadLetters }));
        deadLetters.push({
          topic: topics.commands,
          partition: partition,
          offset: Number(m.offset),
          key: m.key,
          value: m.value ?? Buffer.alloc(0),
          reason,
          message: (err as Error).message,
          consumer: ctx.consumerGroupId,
          at: now,
        });
        return;
      }
      decideOne(ctx, partition, projection, out, command, topics, spans);
    });
  }
  const last = messages.at(-1)!;
  const topicMessages = [
    {
      topic: topics.roomEvents,
      messages: out.roomEvents.map((r, i) => ({
        key: r.room,
        value: r.value,
        partition: partition,
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
        partition: partition,
        headers: spans.media[i]!.headers,
      })),
    },
    {
      topic: topics.deadLetters,
      messages: deadLetters.map((d, i) => ({
        key: null,
        value: ctx.codecs.deadLetter.encode(d),
        headers: deadLetterSpans[i]!.headers,
      })),
    },
  ].filter((t) => t.messages.length > 0);
  const sent = [...spans.roomEvents, ...spans.deliveries, ...spans.media, ...deadLetterSpans];

  const started = performance.now();
  const txn = await producer.transaction();
  const written: { spans: SendSpan[]; metadata: WrittenPartition[] }[] = [];
  try {
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
      const events = metadata.find((m) => m.topicName === topics.roomEvents && m.partition === partition);
      const count = byTopic.get(topics.roomEvents)?.length ?? 0;
      if (events?.baseOffset !== undefined && count > 0) {
        projection.lastEventOffset = BigInt(events.baseOffset) + BigInt(count - 1);
      }
    }
    await writeSnapshots(txn, projection, ctx, partition, now);
    await txn.sendOffsets({
      consumerGroupId: ctx.consumerGroupId,
      topics: [
        {
          topic: topics.commands,
          partitions: [{ partition: partition, offset: (BigInt(last.offset) + 1n).toString() }],
        },
      ],
    });
    await txn.commit();
  } catch (err) {
    settleSendSpans(sent, err instanceof Error ? err : new Error(String(err)));
    ctx.metrics?.transactions.inc({ outcome: 'aborted' });
    await txn.abort().catch(() => undefined);
    throw err;
  }
  // Records become visible (read_committed) at the commit: that is their produce latency.
  for (const w of written) settleSendSpans(w.spans, w.metadata);
  const seconds = (performance.now() - started) / 1000;
  for (const t of topicMessages) ctx.metrics?.produceLatency.observe({ topic: t.topic }, seconds);
  ctx.metrics?.transactions.inc({ outcome: 'committed' });
  return out;
}

/** Decides one command inside its `projector decide` span, and opens the spans of its records. */
function decideOne(
  ctx: WorkerContext,
  partition: number,
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
    ctx.logger.debug(
      {
        room: command.room,
        type: command.body.type,
        events: decision.events.length,
        media: decision.media.length,
        rejected: decision.rejected?.code,
        duplicate: decision.duplicate || undefined,
      },
      'command decided',
    );
    ctx.metrics?.decided(command.body.type, decision.rejected?.code ?? null, decision.duplicate);
    for (const r of out.roomEvents.slice(from.events)) {
      ctx.metrics?.eventWritten(r.event.body.type);
      spans.roomEvents.push(
        startSendSpan(
          { topic: topics.roomEvents, key: r.room, partition: partition, messageId: `${r.room}:${r.event.seq}` },
          { attributes: { [ATTR.signalEventType]: r.event.body.type, [ATTR.signalSeq]: r.event.seq } },
        ),
      );
    }
    out.deliveries.slice(from.deliveries).forEach((d, i) => {
      const messageId = `${command.commandId}:d${i}`;
      spans.deliveries.push(startSendSpan({ topic: topics.deliveries, key: d.key, partition: d.partition, messageId }));
    });
    for (const m of out.media.slice(from.media)) {
      spans.media.push(
        startSendSpan({ topic: topics.media, key: m.room, partition: partition, messageId: m.commandId }),
      );
    }
  });
}
