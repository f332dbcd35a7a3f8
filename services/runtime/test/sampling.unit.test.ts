import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startSendSpan, withProcessSpan } from '../src/kafka-trace.js';
import { startTelemetry, withSpan, type Telemetry } from '../src/telemetry.js';

// The sampling ratio is the standard OTEL_TRACES_SAMPLER(_ARG) pair, read by the SDK from the
// process environment. Parent-based: the edge decides for a new message, every later hop follows.

describe('OTEL_TRACES_SAMPLER=parentbased_traceidratio', () => {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter });
  let telemetry: Telemetry;
  const saved = { sampler: process.env['OTEL_TRACES_SAMPLER'], arg: process.env['OTEL_TRACES_SAMPLER_ARG'] };

  beforeAll(() => {
    process.env['OTEL_TRACES_SAMPLER'] = 'parentbased_traceidratio';
    process.env['OTEL_TRACES_SAMPLER_ARG'] = '0';
    telemetry = startTelemetry({ serviceName: 'edge', instanceId: 'e1', spanProcessors: [processor], env: {} });
  });
  afterAll(async () => {
    await telemetry.shutdown();
    for (const [name, value] of [
      ['OTEL_TRACES_SAMPLER', saved.sampler],
      ['OTEL_TRACES_SAMPLER_ARG', saved.arg],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('a ratio of 0 records no new trace, yet a record of a sampled trace is still recorded downstream', async () => {
    const unsampled = withSpan('edge receive', {}, (span) => {
      expect(span.isRecording()).toBe(false);
      return startSendSpan({ topic: 't' }).headers;
    });
    // The trace id still travels (flags 00: not sampled), so logs correlate across hops.
    expect(String(unsampled['traceparent'])).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    withProcessSpan({ topic: 't', partition: 0 }, { offset: '0', headers: unsampled }, (span) =>
      expect(span.isRecording()).toBe(false),
    );
    // A message another service sampled (flags 01) is followed, whatever the local ratio.
    const sampled = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    withProcessSpan({ topic: 't', partition: 0 }, { offset: '1', headers: sampled }, (span) =>
      expect(span.isRecording()).toBe(true),
    );
    await processor.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => s.spanContext().traceId)).toEqual([
      '0af7651916cd43dd8448eb211c80319c',
    ]);
  });
});
