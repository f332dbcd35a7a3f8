/**
 * Structured logs: pino JSON lines with service, instance, and the trace/span id of the active
 * OpenTelemetry span, so a log line leads to its trace. Secrets are redacted by key before a line
 * is written; see redact.ts for the list.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';
import {
  pino,
  stdSerializers,
  type DestinationStream,
  type Logger as PinoLogger,
  type LoggerOptions as PinoOptions,
} from 'pino';
import type { LogLevel } from './config.js';
import { REDACTED, SECRET_KEYS, redactUrl } from './redact.js';

/** The logger type every service uses. */
export type Logger = PinoLogger;

/** Options of `createLogger`. */
export interface CreateLoggerOptions {
  /** e.g. `edge`, `projector`, `sfu`. */
  readonly service: string;
  /** Distinguishes replicas, e.g. the edge id or `hostname-pid`. */
  readonly instance: string;
  readonly level?: LogLevel;
  /** Human-readable output through pino-pretty (for `npm start`, not production). */
  readonly pretty?: boolean;
  /** Where JSON lines go (default stdout); ignored when `pretty`. Tests pass a stream. */
  readonly destination?: DestinationStream;
  /** Extra redaction paths (pino syntax), on top of the shared secret keys. */
  readonly redactPaths?: readonly string[];
}

// Secrets can sit at the top of a log object or one or two levels down
// (`{ req: { headers: { authorization } } }`); deeper ones must be logged through a serializer.
const REDACT_DEPTH = 3;

/** Redaction paths for the shared secret keys, at each of the first `REDACT_DEPTH` levels. */
export function secretRedactPaths(keys: readonly string[] = SECRET_KEYS): string[] {
  const paths: string[] = [];
  for (const key of keys) {
    const segment = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    for (let depth = 0; depth < REDACT_DEPTH; depth++) {
      const prefix = '*.'.repeat(depth);
      paths.push(segment.startsWith('[') ? `${prefix.slice(0, -1)}${segment}` : `${prefix}${segment}`);
    }
  }
  return paths;
}

/** The trace and span id of the active span, as log fields (empty when there is none). */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/** Creates the root logger of a service; derive component loggers with `logger.child({ component })`. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const { service, instance, level = 'info', pretty = false, destination, redactPaths = [] } = options;
  const pinoOptions: PinoOptions = {
    level,
    base: { service, instance },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: traceFields,
    redact: { paths: [...secretRedactPaths(), ...redactPaths], censor: REDACTED },
    serializers: {
      err: stdSerializers.err,
      error: stdSerializers.err,
      // Upgrade URLs may carry `?token=`; paths are not enough since the secret is inside a string.
      url: (value: unknown) => (typeof value === 'string' ? redactUrl(value) : value),
    },
  };
  if (pretty) {
    return pino({
      ...pinoOptions,
      transport: {
        target: 'pino-pretty',
        // One line per entry: the supervisor already prefixes each line with the service name.
        options: {
          colorize: true,
          singleLine: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,instance,service',
        },
      },
    });
  }
  return destination === undefined ? pino(pinoOptions) : pino(pinoOptions, destination);
}
