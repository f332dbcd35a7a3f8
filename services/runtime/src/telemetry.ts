/**
 * OpenTelemetry bootstrap and the helpers that carry one trace across Kafka hops.
 *
 * Exporters are configured only through the standard `OTEL_*` variables. Without an exporter
 * configured, trace ids are still generated and propagated (so logs of one message correlate
 * across services) but nothing is recorded or exported.
 *
 * This module must stay cheap to import and must not load any library an instrumentation could
 * patch (kafkajs, ioredis, pino, http clients): each service's `src/instrument.ts` imports it
 * (as `@sig/runtime/telemetry`) before anything else, and `startTelemetry` reports any such
 * library that was loaded too early.
 */
import { createRequire } from 'node:module';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  diag,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { hostDetector, processDetector, type ResourceDetector } from '@opentelemetry/resources';
import { startNodeSdk } from '@opentelemetry/sdk-node';
import { AlwaysOffSampler, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ERROR_CODES, SignalError } from './errors.js';
import { IllegalStateError } from './lifecycle.js';
import { ATTR } from './span-names.js';

/** How spans leave the process: a caller-supplied processor, the `OTEL_*` configuration, or not at all. */
export type TracesExport = 'custom' | 'env' | 'off';

/** Options of `startTelemetry`. */
export interface TelemetryOptions {
  readonly serviceName: string;
  /**
   * `service.instance.id`. A promise when the id is only known once the configuration is parsed
   * (the SDK starts before that): spans wait for it before they are exported.
   */
  readonly instanceId: string | Promise<string>;
  readonly serviceVersion?: string;
  /** Replaces env-configured exporters (tests pass a SimpleSpanProcessor over an InMemorySpanExporter). */
  readonly spanProcessors?: SpanProcessor[];
  /**
   * Patch kafkajs producers/consumers with automatic spans (default false). Our services trace
   * Kafka by hand (kafka-trace.ts): the instrumentation injects the context active at the batch
   * send into every record, overwriting each record's own trace, and starts the spans of a
   * consumed batch as new roots, so one message's chain would break at every batched hop.
   */
  readonly instrumentKafka?: boolean;
  /** Where `OTEL_*` variables are read to choose the mode (default `process.env`; the SDK itself reads `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A started telemetry SDK. */
export interface Telemetry {
  readonly tracesExport: TracesExport;
  /**
   * Instrumentable libraries that were already loaded when the SDK started (should be empty:
   * a non-empty list means an import runs before `instrument.ts`).
   */
  readonly loadedTooEarly: readonly string[];
  /** Flushes and stops the SDK; idempotent (every call returns the same promise). */
  shutdown(): Promise<void>;
}

let active: Telemetry | undefined;

/** Which export mode the environment selects. */
export function tracesExportMode(
  env: Readonly<Record<string, string | undefined>>,
  hasCustomProcessors: boolean,
): TracesExport {
  if (hasCustomProcessors) return 'custom';
  const set = (name: string): boolean => (env[name]?.trim() ?? '') !== '';
  // An explicit OTEL_TRACES_EXPORTER (even "none" or "console") is the operator's choice. An
  // endpoint alone means OTLP. Nothing at all means off: the SDK's own default would be OTLP to
  // localhost:4318, which floods `npm start` with export errors when no collector runs.
  if (set('OTEL_TRACES_EXPORTER') || set('OTEL_EXPORTER_OTLP_ENDPOINT') || set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')) {
    return 'env';
  }
  return 'off';
}

/**
 * Starts the OpenTelemetry SDK. Call it before anything else is loaded (see the services' main.ts), at least before creating Kafka clients:
 * `createKafka` loads kafkajs through `require` at call time so the instrumentation can patch it
 * even when kafkajs was already imported.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (active !== undefined) throw new IllegalStateError('telemetry already started; shut it down first', 'running');
  const env = options.env ?? process.env;
  const mode = tracesExportMode(env, options.spanProcessors !== undefined);
  const loadedTooEarly = instrumentableModulesLoaded();
  const { instanceId } = options;
  const resourceAttributes: Attributes = {
    'service.name': options.serviceName,
    ...(typeof instanceId === 'string' ? { 'service.instance.id': instanceId } : {}),
    ...(options.serviceVersion === undefined ? {} : { 'service.version': options.serviceVersion }),
  };
  // A late instance id is an asynchronous resource attribute: exporters wait for it.
  const lateInstanceId: ResourceDetector = {
    detect: () => ({ attributes: { 'service.instance.id': Promise.resolve(instanceId) } }),
  };
  const sdk = startNodeSdk({
    logLevel: env['OTEL_LOG_LEVEL'] ?? 'warn',
    resourceAttributes,
    ...(typeof instanceId === 'string' ? {} : { resourceDetectors: [hostDetector, processDetector, lateInstanceId] }),
    instrumentations: options.instrumentKafka === true ? [new KafkaJsInstrumentation()] : [],
    ...(mode === 'custom' && options.spanProcessors !== undefined ? { spanProcessors: options.spanProcessors } : {}),
    // Off: a provider that samples nothing still mints ids, so trace_id in logs correlates hops.
    ...(mode === 'off' ? { spanProcessors: [new NoopSpanProcessor()], sampler: new AlwaysOffSampler() } : {}),
    // Metrics go through prom-client and logs through pino; OTel exports them only when asked.
    ...(env['OTEL_METRICS_EXPORTER'] === undefined ? { metricReaders: [] } : {}),
    ...(env['OTEL_LOGS_EXPORTER'] === undefined ? { logRecordProcessors: [] } : {}),
  });
  let stopping: Promise<void> | undefined;
  const handle: Telemetry = {
    tracesExport: mode,
    loadedTooEarly,
    shutdown() {
      stopping ??= sdk.shutdown().finally(() => {
        // Unregister the globals so a later start (tests, restarts in-process) can register again.
        trace.disable();
        propagation.disable();
        context.disable();
        diag.disable();
        if (active === handle) active = undefined;
      });
      return stopping;
    },
  };
  active = handle;
  return handle;
}

/** A service's telemetry started before its configuration is known (see `startServiceTelemetry`). */
export interface ServiceTelemetry extends Telemetry {
  /** Sets `service.instance.id` once the configuration is parsed; later calls are ignored. */
  setInstanceId(id: string): void;
}

/**
 * Starts the SDK for `serviceName` with the instance id to come: what each service's
 * `src/instrument.ts` calls, before its configuration (and anything else) is loaded.
 */
export function startServiceTelemetry(serviceName: string): ServiceTelemetry {
  let resolve: (id: string) => void = () => undefined;
  const instanceId = new Promise<string>((r) => (resolve = r));
  const telemetry = startTelemetry({ serviceName, instanceId });
  return {
    tracesExport: telemetry.tracesExport,
    loadedTooEarly: telemetry.loadedTooEarly,
    shutdown: () => telemetry.shutdown(),
    setInstanceId: (id: string) => resolve(id),
  };
}

const require = createRequire(import.meta.url);

/** Libraries OpenTelemetry instrumentations patch at load time, and that our services use. */
const INSTRUMENTABLE = ['kafkajs', 'ioredis', 'pino', 'uWebSockets.js', 'werift'] as const;

/** Which of the instrumentable libraries are already in the CommonJS module cache. */
export function instrumentableModulesLoaded(): string[] {
  const loaded = Object.keys(require.cache);
  return INSTRUMENTABLE.filter((name) => loaded.some((path) => path.includes(`/node_modules/${name}/`)));
}

/** The tracer of our hand-made spans. */
export function getTracer(): Tracer {
  return trace.getTracer('@sig/runtime');
}

/** Kafka record headers as kafkajs types them. */
export type KafkaHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

const headerGetter: TextMapGetter<KafkaHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map((v) => v.toString()) : value.toString();
  },
};

const headerSetter: TextMapSetter<KafkaHeaders> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** Writes the W3C trace context of `ctx` (default: the active one) into Kafka headers; returns them. */
export function injectTraceHeaders(headers: KafkaHeaders = {}, ctx: Context = context.active()): KafkaHeaders {
  propagation.inject(ctx, headers, headerSetter);
  return headers;
}

/**
 * Reads the W3C trace context from Kafka headers (Buffers on consume). The base is the root
 * context: a consumed record continues its producer's trace, not the consumer loop's.
 */
export function extractTraceContext(headers: KafkaHeaders | undefined, base: Context = ROOT_CONTEXT): Context {
  return headers === undefined ? base : propagation.extract(base, headers, headerGetter);
}

/** Options of `withSpan`. */
export interface WithSpanOptions {
  readonly kind?: SpanKind;
  /** Parent context (e.g. from `extractTraceContext`); default the active one. */
  readonly parent?: Context;
  readonly links?: Link[];
}

/**
 * Runs `fn` inside a new active span and ends it when `fn` returns or its promise settles. A thrown
 * error is recorded; a `SignalError` also sets `signal.error_code`, and marks the span failed only
 * for server faults (a rejected client command is expected behaviour, not an error).
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => T,
  options: WithSpanOptions = {},
): T {
  const parent = options.parent ?? context.active();
  const spanOptions = {
    kind: options.kind ?? SpanKind.INTERNAL,
    attributes,
    ...(options.links === undefined ? {} : { links: options.links }),
  };
  return getTracer().startActiveSpan(name, spanOptions, parent, (span) => {
    let result: T;
    try {
      result = fn(span);
    } catch (error) {
      recordError(span, error);
      span.end();
      throw error;
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          recordError(span, error);
          span.end();
          throw error;
        },
      ) as T;
    }
    span.end();
    return result;
  });
}

/** Records an error on a span, with our error code when there is one. */
export function recordError(span: Span, error: unknown): void {
  if (SignalError.is(error)) {
    span.setAttribute(ATTR.signalErrorCode, error.code);
    span.setAttribute(ATTR.errorType, error.code);
    const status = ERROR_CODES[error.code].httpStatus;
    if (status !== undefined && status >= 500) {
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    return;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setAttribute(ATTR.errorType, err.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Span kinds, re-exported so services need no direct dependency on the OpenTelemetry API. */
export { SpanKind } from '@opentelemetry/api';

/**
 * Runs `fn` with no active span. For background loops started on behalf of one message (a batch
 * pump, an outbox drain) that go on to serve others: their logs must not carry the first
 * message's trace id.
 */
export function outsideTrace<T>(fn: () => T): T {
  return context.with(ROOT_CONTEXT, fn);
}
