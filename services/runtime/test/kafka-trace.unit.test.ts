import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { settleSendSpans, startSendSpan, withProcessSpan } from '../src/kafka-trace.js';
import { ATTR, SPAN } from '../src/span-names.js';
import { startTelemetry, withSpan, type KafkaHeaders, type Telemetry } from '../src/telemetry.js';

const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor({ exporter });
const finished = async () => {
  await processor.forceFlush();
  return exporter.getFinishedSpans();
};
/** Headers as a consumer sees them: Buffers. */
const consumed = (headers: KafkaHeaders): KafkaHeaders =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(String(v))]));

describe('Kafka spans per record', () => {
  let telemetry: Telemetry;
  beforeAll(() => {
    telemetry = startTelemetry({ serviceName: 'test', instanceId: 't1', spanProcessors: [processor], env: {} });
  });
  afterAll(() => telemetry.shutdown());
  beforeEach(() => exporter.reset());

  it('a record batched with others keeps its own cause as parent, and gets its own offset', async () => {
    // Two records caused by two different client messages, written in one produce call.
    const a = withSpan(SPAN.edgeReceive, {}, () => startSendSpan({ topic: 't', key: 'room-1', messageId: 'a' }));
    const b = withSpan(SPAN.edgeReceive, {}, () => startSendSpan({ topic: 't', key: 'room-1', messageId: 'b' }));
    const c = startSendSpan({ topic: 'u', key: 'x', partition: 2 });
    settleSendSpans(
      [a, b, c],
      [
        { topicName: 't', partition: 5, baseOffset: '40' },
        { topicName: 'u', partition: 2, baseOffset: '7' },
      ],
    );
    const spans = await finished();
    const receives = spans.filter((s) => s.name === SPAN.edgeReceive);
    const sendA = spans.find((s) => s.attributes[ATTR.messagingMessageId] === 'a')!;
    const sendB = spans.find((s) => s.attributes[ATTR.messagingMessageId] === 'b')!;
    const sendC = spans.find((s) => s.name === 'send u')!;
    expect(sendA.name).toBe('send t');
    expect(sendA.kind).toBe(SpanKind.PRODUCER);
    expect(sendA.parentSpanContext?.spanId).toBe(receives[0]!.spanContext().spanId);
    expect(sendB.parentSpanContext?.spanId).toBe(receives[1]!.spanContext().spanId);
    expect(sendA.spanContext().traceId).not.toBe(sendB.spanContext().traceId);
    expect(sendA.attributes).toMatchObject({
      [ATTR.messagingSystem]: 'kafka',
      [ATTR.messagingDestinationName]: 't',
      [ATTR.messagingKafkaMessageKey]: 'room-1',
      [ATTR.messagingDestinationPartitionId]: '5',
      [ATTR.messagingKafkaOffset]: '40',
    });
    expect(sendB.attributes[ATTR.messagingKafkaOffset]).toBe('41');
    expect(sendC.attributes).toMatchObject({
      [ATTR.messagingDestinationPartitionId]: '2',
      [ATTR.messagingKafkaOffset]: '7',
    });
    // Each record's headers carry its own producer span, not the batch's.
    expect(String(a.headers['traceparent'])).toContain(sendA.spanContext().spanId);
    expect(a.headers['message-id']).toBe('a');
  });

  it('leaves the offset out when the partition of a keyed record is unknown, and records failures', async () => {
    const a = startSendSpan({ topic: 't', key: 'k1' });
    settleSendSpans(
      [a],
      [
        { topicName: 't', partition: 0, baseOffset: '1' },
        { topicName: 't', partition: 1, baseOffset: '1' },
      ],
    );
    const b = startSendSpan({ topic: 't', key: 'k2' });
    settleSendSpans([b], new Error('broker down'));
    const [sendA, sendB] = await finished();
    expect(sendA!.attributes[ATTR.messagingKafkaOffset]).toBeUndefined();
    expect(sendB!.status.code).toBe(2);
  });

  it('a consumed record is processed as a child of its producer span, with the messaging attributes', async () => {
    const sent = startSendSpan({ topic: 'signal.commands', key: 'room-1', messageId: 'cmd-1' });
    settleSendSpans([sent], [{ topicName: 'signal.commands', partition: 3, baseOffset: '9' }]);
    const inner = withProcessSpan(
      { topic: 'signal.commands', partition: 3, groupId: 'projector' },
      { offset: '9', key: Buffer.from('room-1'), headers: consumed(sent.headers) },
      () => withSpan(SPAN.projectorDecide, {}, (span) => span.spanContext()),
    );
    const spans = await finished();
    const send = spans.find((s) => s.kind === SpanKind.PRODUCER)!;
    const processed = spans.find((s) => s.kind === SpanKind.CONSUMER)!;
    const decide = spans.find((s) => s.name === SPAN.projectorDecide)!;
    expect(processed.name).toBe('process signal.commands');
    expect(processed.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    expect(decide.spanContext().spanId).toBe(inner.spanId);
    expect(decide.parentSpanContext?.spanId).toBe(processed.spanContext().spanId);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(processed.attributes).toMatchObject({
      [ATTR.messagingSystem]: 'kafka',
      [ATTR.messagingOperationType]: 'process',
      [ATTR.messagingDestinationPartitionId]: '3',
      [ATTR.messagingKafkaOffset]: '9',
      [ATTR.messagingMessageId]: 'cmd-1',
      [ATTR.messagingKafkaMessageKey]: 'room-1',
      [ATTR.messagingConsumerGroupName]: 'projector',
    });
  });

  it('a record without trace headers starts a new trace', async () => {
    withProcessSpan({ topic: 't', partition: 0 }, { offset: '0', headers: {} }, () => undefined);
    const [span] = await finished();
    expect(span!.parentSpanContext).toBeUndefined();
  });
});
