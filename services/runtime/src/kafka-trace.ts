/**
 * Hand-made Kafka spans that keep one message's trace across every hop, batched or not.
 *
 * Producing: `startSendSpan` opens a PRODUCER span `send <topic>` per record, as a child of the
 * context that caused the record (a client frame, a consumed command), and returns the record's
 * headers carrying that span's W3C context. `settleSendSpans` ends the spans of one produce call
 * (or transaction) with the partition and offset the broker assigned.
 *
 * Consuming: `withProcessSpan` runs the handling of one record inside a CONSUMER span
 * `process <topic>` whose parent is the context in the record's headers, so the consumer's work
 * (and everything it produces) continues the producer's trace.
 *
 * Names and attributes follow the OpenTelemetry messaging semantic conventions (span-names.ts).
 */
import { SpanKind, context, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { Consumer } from 'kafkajs';
import type { Gauge } from 'prom-client';
import { recordHeaders, headerValue, HEADER, type RecordHeadersOptions } from './kafka.js';
import { ATTR, MESSAGING_SYSTEM_KAFKA, messagingSpanName } from './span-names.js';
import { extractTraceContext, getTracer, recordError, withSpan, type KafkaHeaders } from './telemetry.js';

/** What a producer span knows about its record before it is sent. */
export interface SendRecordInfo {
  readonly topic: string;
  readonly key?: string | null;
  /** When the producer picks the partition itself; otherwise learnt from the broker's answer. */
  readonly partition?: number;
  /** `messaging.message.id`, also written as the `message-id` header. */
  readonly messageId?: string;
}

/** An open producer span and the headers of its record. */
export interface SendSpan {
  readonly topic: string;
  readonly partition: number | undefined;
  readonly span: Span;
  readonly headers: KafkaHeaders;
}

/** Options of `startSendSpan`. */
export interface SendSpanOptions {
  /** The causing context (default: the active one). */
  readonly parent?: Context;
  readonly attributes?: Attributes;
  /** Other headers of the record (content type defaults to Avro). */
  readonly headers?: Omit<RecordHeadersOptions, 'messageId' | 'context' | 'trace'>;
}

/** Opens the PRODUCER span of one record and returns it with the record's headers. */
export function startSendSpan(record: SendRecordInfo, options: SendSpanOptions = {}): SendSpan {
  const parent = options.parent ?? context.active();
  const attributes: Attributes = {
    [ATTR.messagingSystem]: MESSAGING_SYSTEM_KAFKA,
    [ATTR.messagingOperationName]: 'send',
    [ATTR.messagingOperationType]: 'send',
    [ATTR.messagingDestinationName]: record.topic,
    ...options.attributes,
  };
  if (record.key !== undefined && record.key !== null) attributes[ATTR.messagingKafkaMessageKey] = record.key;
  if (record.partition !== undefined) attributes[ATTR.messagingDestinationPartitionId] = String(record.partition);
  if (record.messageId !== undefined) attributes[ATTR.messagingMessageId] = record.messageId;
  const span = getTracer().startSpan(
    messagingSpanName('send', record.topic),
    { kind: SpanKind.PRODUCER, attributes },
    parent,
  );
  const headers = recordHeaders({
    ...options.headers,
    ...(record.messageId === undefined ? {} : { messageId: record.messageId }),
    context: trace.setSpan(parent, span),
  });
  return { topic: record.topic, partition: record.partition, span, headers };
}

/** What kafkajs returns per topic-partition written (`RecordMetadata`). */
export interface WrittenPartition {
  readonly topicName: string;
  readonly partition: number;
  readonly baseOffset?: string;
}

/**
 * Ends the spans of one produce call, in the order their records were given to it. On success
 * each span gets its partition and offset: records of one topic-partition are written in order
 * from the batch's base offset (a keyed record's partition is known when its topic was written
 * to one partition only). On failure each span records the error.
 */
export function settleSendSpans(spans: readonly SendSpan[], outcome: readonly WrittenPartition[] | Error): void {
  if (outcome instanceof Error) {
    for (const s of spans) {
      recordError(s.span, outcome);
      s.span.end();
    }
    return;
  }
  const next = new Map<string, bigint>();
  for (const w of outcome) {
    if (w.baseOffset !== undefined) next.set(`${w.topicName}|${w.partition}`, BigInt(w.baseOffset));
  }
  for (const s of spans) {
    let partition = s.partition;
    if (partition === undefined) {
      const written = outcome.filter((w) => w.topicName === s.topic);
      if (written.length === 1) partition = written[0]!.partition;
    }
    if (partition !== undefined) {
      s.span.setAttribute(ATTR.messagingDestinationPartitionId, String(partition));
      const key = `${s.topic}|${partition}`;
      const offset = next.get(key);
      if (offset !== undefined) {
        s.span.setAttribute(ATTR.messagingKafkaOffset, offset.toString());
        next.set(key, offset + 1n);
      }
    }
    s.span.end();
  }
}

/** A consumed record, as kafkajs hands it over. */
export interface ConsumedRecord {
  readonly offset: string;
  readonly key?: Buffer | string | null;
  readonly headers?: KafkaHeaders;
}

/** Where a consumed record came from. */
export interface ProcessSpanInfo {
  readonly topic: string;
  readonly partition: number;
  readonly groupId?: string;
  readonly attributes?: Attributes;
}

/**
 * Runs `fn` inside the CONSUMER span `process <topic>` of one record, child of the context the
 * producer put in the record's headers (a root when there is none). Ends it when `fn` settles.
 */
export function withProcessSpan<T>(info: ProcessSpanInfo, record: ConsumedRecord, fn: (span: Span) => T): T {
  const attributes: Attributes = {
    [ATTR.messagingSystem]: MESSAGING_SYSTEM_KAFKA,
    [ATTR.messagingOperationName]: 'process',
    [ATTR.messagingOperationType]: 'process',
    [ATTR.messagingDestinationName]: info.topic,
    [ATTR.messagingDestinationPartitionId]: String(info.partition),
    [ATTR.messagingKafkaOffset]: record.offset,
    ...info.attributes,
  };
  const messageId = headerValue(record.headers, HEADER.messageId);
  if (messageId !== undefined) attributes[ATTR.messagingMessageId] = messageId;
  if (record.key !== undefined && record.key !== null) attributes[ATTR.messagingKafkaMessageKey] = String(record.key);
  if (info.groupId !== undefined) attributes[ATTR.messagingConsumerGroupName] = info.groupId;
  return withSpan(messagingSpanName('process', info.topic), attributes, fn, {
    kind: SpanKind.CONSUMER,
    parent: extractTraceContext(record.headers),
  });
}

/**
 * Keeps `signal_kafka_consumer_lag{topic,partition}` up to date from the consumer's own batch
 * reports (kafkajs' END_BATCH_PROCESS carries the high watermark), and drops the series of
 * partitions the consumer no longer owns after a rebalance.
 */
export function trackConsumerLag(consumer: Consumer, lag: Gauge<'topic' | 'partition'>): void {
  const owned = new Set<string>();
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const labels = { topic: payload.topic, partition: String(payload.partition) };
    owned.add(`${labels.topic}|${labels.partition}`);
    lag.set(labels, Math.max(0, Number(payload.offsetLag)));
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = new Set(
      Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}|${p}`)),
    );
    for (const key of [...owned]) {
      if (assigned.has(key)) continue;
      const [topic = '', partition = ''] = key.split('|');
      lag.remove({ topic, partition });
      owned.delete(key);
    }
  });
}
