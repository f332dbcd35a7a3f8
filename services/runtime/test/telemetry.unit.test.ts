import { ROOT_CONTEXT, SpanKind, TraceFlags, context, createTraceState, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SignalError } from '../src/errors.js';
import { recordHeaders } from '../src/kafka.js';
import { createLogger } from '../src/logger.js';
import { ATTR, SPAN } from '../src/span-names.js';
import {
  extractTraceContext,
  injectTraceHeaders,
  startTelemetry,
  tracesExportMode,
  withSpan,
  type KafkaHeaders,
  type Telemetry,
} from '../src/telemetry.js';

describe('trace headers with the W3C propagator', () => {
  beforeAll(() => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(() => {
    propagation.disable();
  });

  const spanContext = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
  };

  it('round-trips a span context through Kafka headers (string on produce, Buffer on consume)', () => {
    const produced = injectTraceHeaders(
      { 'content-type': 'avro/binary' },
      trace.setSpanContext(ROOT_CONTEXT, spanContext),
    );
    expect(produced['traceparent']).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    // kafkajs hands consumed header values over as Buffers.
    const consumed: KafkaHeaders = Object.fromEntries(
      Object.entries(produced).map(([k, v]) => [k, typeof v === 'string' ? Buffer.from(v) : v]),
    );
    const extracted = trace.getSpanContext(extractTraceContext(consumed));
    expect(extracted).toMatchObject({ ...spanContext, isRemote: true });
  });

  it('keeps tracestate and accepts repeated headers', () => {
    const withState = trace.setSpanContext(ROOT_CONTEXT, {
      ...spanContext,
      traceState: createTraceState('vendor=abc'),
    });
    const headers = injectTraceHeaders({}, withState);
    expect(headers['tracestate']).toBe('vendor=abc');
    const repeated: KafkaHeaders = {
      traceparent: [Buffer.from(String(headers['traceparent'])), Buffer.from('garbage')],
    };
    expect(trace.getSpanContext(extractTraceContext(repeated))?.spanId).toBe(spanContext.spanId);
  });

  it('returns the base context when headers carry no or invalid trace context', () => {
    expect(trace.getSpanContext(extractTraceContext(undefined))).toBeUndefined();
    expect(trace.getSpanContext(extractTraceContext({ traceparent: Buffer.from('00-nothex-xx-01') }))).toBeUndefined();
  });
});

describe('startTelemetry', () => {
  it('selects the export mode from OTEL_* variables', () => {
    expect(tracesExportMode({}, false)).toBe('off');
    expect(tracesExportMode({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false)).toBe('env');
    expect(tracesExportMode({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, false)).toBe(
      'env',
    );
    expect(tracesExportMode({ OTEL_TRACES_EXPORTER: 'console' }, false)).toBe('env');
    expect(tracesExportMode({ OTEL_TRACES_EXPORTER: ' ' }, false)).toBe('off');
    expect(tracesExportMode({}, true)).toBe('custom');
  });

  describe('with an in-memory exporter', () => {
    const exporter = new InMemorySpanExporter();
    // SimpleSpanProcessor exports asynchronously: flush before reading what was exported.
    const processor = new SimpleSpanProcessor({ exporter });
    const finished = async (): Promise<ReturnType<typeof exporter.getFinishedSpans>> => {
      await processor.forceFlush();
      return exporter.getFinishedSpans();
    };
    let telemetry: Telemetry;
    beforeAll(() => {
      telemetry = startTelemetry({
        serviceName: 'edge',
        instanceId: 'edge-test',
        spanProcessors: [processor],
        env: {},
      });
    });
    afterAll(async () => {
      await telemetry.shutdown();
    });
    beforeEach(() => exporter.reset());

    it('continues one trace across a Kafka hop: receive → produce headers → consume → decide', async () => {
      const headers = await withSpan(
        SPAN.edgeReceive,
        { [ATTR.signalRoom]: 'r1' },
        async () => recordHeaders({ messageId: 'm1' }),
        {
          kind: SpanKind.SERVER,
        },
      );
      expect(headers['message-id']).toBe('m1');
      expect(headers['content-type']).toBe('avro/binary');
      const consumed = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(String(v))]));
      withSpan(SPAN.projectorDecide, { [ATTR.signalCommandType]: 'offer' }, () => 'events', {
        parent: extractTraceContext(consumed),
        kind: SpanKind.CONSUMER,
      });
      const [receive, decide] = await finished();
      expect(receive?.name).toBe('edge receive');
      expect(decide?.name).toBe('projector decide');
      expect(decide?.spanContext().traceId).toBe(receive?.spanContext().traceId);
      expect(decide?.parentSpanContext?.spanId).toBe(receive?.spanContext().spanId);
      expect(receive?.resource.attributes['service.name']).toBe('edge');
      expect(receive?.resource.attributes['service.instance.id']).toBe('edge-test');
    });

    it('records errors: server faults fail the span, client errors only carry the code', async () => {
      expect(() =>
        withSpan('a', {}, () => {
          throw SignalError.kafkaUnavailable();
        }),
      ).toThrow(SignalError);
      expect(() =>
        withSpan('b', {}, () => {
          throw SignalError.forbidden('no');
        }),
      ).toThrow(SignalError);
      const [a, b] = await finished();
      expect(a?.attributes[ATTR.signalErrorCode]).toBe('kafka_unavailable');
      expect(a?.status.code).toBe(2);
      expect(b?.attributes[ATTR.signalErrorCode]).toBe('forbidden');
      expect(b?.status.code).toBe(0);
    });

    it('ends the span when an async function rejects', async () => {
      await expect(withSpan('c', {}, async () => Promise.reject(new TypeError('bug')))).rejects.toThrow('bug');
      const [c] = await finished();
      expect(c?.attributes[ATTR.errorType]).toBe('TypeError');
      expect(c?.status.code).toBe(2);
    });

    it('puts trace_id and span_id of the active span in log lines', () => {
      const lines: string[] = [];
      const logger = createLogger({
        service: 'edge',
        instance: 'edge-test',
        destination: { write: (s: string) => void lines.push(s) },
      });
      logger.info('outside');
      const ids = withSpan('logged', {}, (span) => {
        logger.info('inside');
        return span.spanContext();
      });
      const [outside, inside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(outside?.['trace_id']).toBeUndefined();
      expect(inside).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
    });

    it('refuses a second start while running', () => {
      expect(() => startTelemetry({ serviceName: 'x', instanceId: 'y', env: {} })).toThrow(/already started/);
    });

    it('propagates context through async work', async () => {
      const traceId = await withSpan('outer', {}, async (outer) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        expect(trace.getSpan(context.active())?.spanContext().spanId).toBe(outer.spanContext().spanId);
        return outer.spanContext().traceId;
      });
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    });
  });
});

describe('startTelemetry without an exporter', () => {
  it('mints and propagates trace ids without recording, and shuts down idempotently', async () => {
    const telemetry = startTelemetry({ serviceName: 'projector', instanceId: 'p1', env: {} });
    try {
      expect(telemetry.tracesExport).toBe('off');
      const headers = withSpan('unrecorded', {}, (span) => {
        expect(span.isRecording()).toBe(false);
        return injectTraceHeaders();
      });
      expect(String(headers['traceparent'])).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    } finally {
      const first = telemetry.shutdown();
      expect(telemetry.shutdown()).toBe(first);
      await first;
    }
    // After shutdown a new SDK can start (in-process restarts, test suites).
    const again = startTelemetry({ serviceName: 'projector', instanceId: 'p2', env: {} });
    await again.shutdown();
  });
});
