/**
 * kafkajs adapters with the settings this system relies on: idempotent, acks=all producers
 * (transactional for the projector), read_committed consumers with low fetch latency, kafkajs logs
 * bridged into pino, and kafkajs errors mapped to our stable codes.
 */
import { createRequire } from 'node:module';
import type {
  Consumer,
  ConsumerConfig,
  Kafka,
  KafkaConfig,
  LogEntry,
  PartitionAssigner,
  Producer,
  ProducerConfig,
  RetryOptions,
  logCreator,
  logLevel,
} from 'kafkajs';
import type * as KafkaJs from 'kafkajs';
import { context, type Context } from '@opentelemetry/api';
import { SignalError } from './errors.js';
import type { Logger } from './logger.js';
import { injectTraceHeaders, type KafkaHeaders } from './telemetry.js';
import { installKafkaJsAbortedFilter } from './kafkajs-aborted.js';

const require = createRequire(import.meta.url);

/** kafkajs, loaded on first use (see below). */
// kafkajs is loaded with require() when first needed, not imported: the OpenTelemetry
// instrumentation patches it through the CommonJS require hook, which a static ESM import bypasses.
// Loading it lazily means `startTelemetry()` only has to run before `createKafka()`.
// Every client made here reads committed data correctly: see kafkajs-aborted.ts.
export function kafkajs(): typeof KafkaJs {
  const loaded = require('kafkajs') as typeof KafkaJs;
  installKafkaJsAbortedFilter();
  return loaded;
}

/** `acks` value for "all in-sync replicas" (kafkajs default; required by idempotent producers). */
export const ACKS_ALL = -1;

/** Options of `createKafka`. */
export interface CreateKafkaOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** TCP connect timeout; kafkajs' 1 s default is too short for containers starting up. Default 3000. */
  readonly connectionTimeoutMs?: number;
  /** Default 10000 (kafkajs: 30000): a request stuck that long means the broker is gone. */
  readonly requestTimeoutMs?: number;
  readonly retry?: RetryOptions;
  readonly ssl?: KafkaConfig['ssl'];
  readonly sasl?: KafkaConfig['sasl'];
}

/** Client-level retries: quick first retry, capped backoff, about 16 s in total. */
export const DEFAULT_CLIENT_RETRY: RetryOptions = { initialRetryTime: 100, maxRetryTime: 5000, retries: 8 };

/**
 * Consumer retries that outlast a broker restart (about 90 s): with the client default, kafkajs
 * gives up on the group coordinator while the broker loads and crashes the consumer for good.
 */
export const CONSUMER_OUTAGE_RETRY: RetryOptions = { initialRetryTime: 300, maxRetryTime: 5000, retries: 20 };

/** A kafkajs client whose logs go to `logger` (component `kafkajs`). */
export function createKafka(options: CreateKafkaOptions): Kafka {
  const { Kafka } = kafkajs();
  // kafkajs' info lines (group joins, consumer restarts) are noise for operators: keep its warnings
  // and errors unless the service itself logs at debug.
  const verbose = options.logger.level === 'debug' || options.logger.level === 'trace';
  const logger = options.logger.child({ component: 'kafkajs' }, { level: verbose ? options.logger.level : 'warn' });
  const config: KafkaConfig = {
    brokers: [...options.brokers],
    clientId: options.clientId,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    retry: options.retry ?? DEFAULT_CLIENT_RETRY,
    logLevel: kafkaLogLevel(logger.level),
    logCreator: pinoLogCreator(logger),
  };
  if (options.ssl !== undefined) config.ssl = options.ssl;
  if (options.sasl !== undefined) config.sasl = options.sasl;
  return new Kafka(config);
}

// kafkajs' numeric levels (its `logLevel` enum), kept local to avoid loading kafkajs for a constant.
const KAFKA_LEVEL = { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 } as const;

/** kafkajs log level matching a pino level, so kafkajs does not build entries pino would drop. */
export function kafkaLogLevel(pinoLevel: string): logLevel {
  switch (pinoLevel) {
    case 'trace':
    case 'debug':
      return KAFKA_LEVEL.DEBUG;
    case 'info':
      return KAFKA_LEVEL.INFO;
    case 'warn':
      return KAFKA_LEVEL.WARN;
    case 'silent':
      return KAFKA_LEVEL.NOTHING;
    default:
      return KAFKA_LEVEL.ERROR;
  }
}

/** A kafkajs `logCreator` writing to pino, with kafkajs' namespace as `ns`. */
export function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      // kafkajs puts its own timestamp and the message in `log`; pino adds both itself.
      const { message, timestamp: _timestamp, ...fields } = log;
      const entry = { ns: namespace, ...fields };
      if (isRoutineTransactionRetry(message, fields['error'])) logger.debug(entry, message);
      else if (level === (KAFKA_LEVEL.ERROR as logLevel)) logger.error(entry, message);
      else if (level === (KAFKA_LEVEL.WARN as logLevel)) logger.warn(entry, message);
      else if (level === (KAFKA_LEVEL.INFO as logLevel)) logger.info(entry, message);
      else logger.debug(entry, message);
    };
}

/**
 * kafkajs logs every retry of a send at error level. CONCURRENT_TRANSACTIONS right after a commit
 * is routine (see TRANSACTIONAL_PRODUCER_RETRY): it happens on most transactions and is retried in
 * milliseconds, so it is debug, not an error an operator should see many times a second. Retries
 * that run out still fail the transaction, which the projector logs.
 */
export function isRoutineTransactionRetry(message: string, error?: unknown): boolean {
  // The producer's retry line carries it in the message, the connection's response line in `error`.
  const text = typeof error === 'string' ? `${message} ${error}` : message;
  return text.includes('another concurrent operation on the same transaction');
}

/** Options of `createProducer`. */
export interface CreateProducerOptions {
  /** Makes the producer transactional (the projector uses `projector-<partition>` to fence zombies). */
  readonly transactionalId?: string;
  /**
   * Broker-side abort deadline of an open transaction. Default 10 s (kafkajs: 60 s): until a dead
   * producer's transaction is aborted or fenced, read_committed consumers of its partitions stall.
   */
  readonly transactionTimeoutMs?: number;
  /** Default: 1 when transactional (required), else 5 (the idempotence limit). */
  readonly maxInFlightRequests?: number;
  readonly retry?: RetryOptions;
}

/**
 * Producer retries: bounded so a send fails (and the edge answers a retriable error instead of a
 * false ack) within a few seconds while the brokers are down. kafkajs warns once that bounded
 * retries weaken idempotence: a send that failed may still have been written, so a client retry
 * can duplicate a command, and commands carry ids for that reason.
 */
export const DEFAULT_PRODUCER_RETRY: RetryOptions = { initialRetryTime: 100, maxRetryTime: 2000, retries: 6 };

/**
 * Retries of transactional producers. A transaction begun right after a commit finds the
 * coordinator still writing the previous one's markers (≈ 5–10 ms on one broker) and gets
 * CONCURRENT_TRANSACTIONS on AddPartitionsToTxn; kafkajs retries it with the producer's backoff.
 * With the 100 ms default every transaction waited ≈ 100 ms (measured: 109 ms per transaction
 * against 13 ms with a 3 ms first retry). The Java client retries this case after 20 ms
 * (KAFKA-5477). More retries keep the total budget (≈ 11 s) for real failures.
 */
export const TRANSACTIONAL_PRODUCER_RETRY: RetryOptions = { initialRetryTime: 3, maxRetryTime: 2000, retries: 14 };

/** An idempotent producer (acks=all), transactional when `transactionalId` is set. */
export function createProducer(kafka: Kafka, options: CreateProducerOptions = {}): Producer {
  const { Partitioners } = kafkajs();
  const transactional = options.transactionalId !== undefined;
  const config: ProducerConfig = {
    idempotent: true,
    maxInFlightRequests: options.maxInFlightRequests ?? (transactional ? 1 : 5),
    // Explicit murmur2 (Java-compatible) partitioning: room-keyed topics must agree with any
    // other client computing a room's partition. Also silences kafkajs' partitioner warning.
    createPartitioner: Partitioners.DefaultPartitioner,
    // Topics come from the catalogue (schemas/topics.ts); a typo must fail, not create a topic.
    allowAutoTopicCreation: false,
    retry: options.retry ?? (transactional ? TRANSACTIONAL_PRODUCER_RETRY : DEFAULT_PRODUCER_RETRY),
  };
  if (transactional) {
    if (config.maxInFlightRequests !== 1) throw new RangeError('a transactional producer needs maxInFlightRequests 1');
    config.transactionalId = options.transactionalId;
    config.transactionTimeout = options.transactionTimeoutMs ?? 10_000;
  }
  return kafka.producer(config);
}

/** Options of `createConsumer`. */
export interface CreateConsumerOptions {
  readonly groupId: string;
  /**
   * How long the broker holds a fetch with no data. kafkajs' 5 s default delays seek, pause and
   * disconnect by up to 5 s; new data is returned immediately either way. Default 100.
   */
  readonly maxWaitTimeInMs?: number;
  /** A dead member's partitions move after this. Default 10 s (kafkajs: 30 s). */
  readonly sessionTimeoutMs?: number;
  /** Default 3 s (a third of the session timeout). */
  readonly heartbeatIntervalMs?: number;
  readonly rebalanceTimeoutMs?: number;
  /** Default false: read_committed, so aborted transactions are never seen. */
  readonly readUncommitted?: boolean;
  readonly partitionAssigners?: PartitionAssigner[];
  readonly maxBytesPerPartition?: number;
  readonly retry?: RetryOptions;
}

/** A consumer with low-latency fetches and read_committed isolation. */
export function createConsumer(kafka: Kafka, options: CreateConsumerOptions): Consumer {
  const config: ConsumerConfig = {
    groupId: options.groupId,
    maxWaitTimeInMs: options.maxWaitTimeInMs ?? 100,
    sessionTimeout: options.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: options.heartbeatIntervalMs ?? 3000,
    readUncommitted: options.readUncommitted ?? false,
    allowAutoTopicCreation: false,
  };
  if (options.rebalanceTimeoutMs !== undefined) config.rebalanceTimeout = options.rebalanceTimeoutMs;
  if (options.partitionAssigners !== undefined) config.partitionAssigners = options.partitionAssigners;
  if (options.maxBytesPerPartition !== undefined) config.maxBytesPerPartition = options.maxBytesPerPartition;
  if (options.retry !== undefined) config.retry = options.retry;
  return kafka.consumer(config);
}

/** Record header names used across the system. */
export const HEADER = {
  contentType: 'content-type',
  /** Set by the codec: the Avro schema fingerprint the value was written with. */
  schemaFingerprint: 'schema-fingerprint',
  messageId: 'message-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** Content type of Avro binary values (the Avro specification's HTTP content type). */
export const AVRO_CONTENT_TYPE = 'avro/binary';

/** Options of `recordHeaders`. */
export interface RecordHeadersOptions {
  /** Default `avro/binary`. */
  readonly contentType?: string;
  readonly messageId?: string;
  /** Inject W3C trace context (default true). */
  readonly trace?: boolean;
  /** Context whose span becomes the consumer's parent (default: the active one). */
  readonly context?: Context;
  readonly extra?: KafkaHeaders;
}

/** Headers for a produced record: content type, message id, trace context. */
export function recordHeaders(options: RecordHeadersOptions = {}): KafkaHeaders {
  const headers: KafkaHeaders = { ...options.extra, [HEADER.contentType]: options.contentType ?? AVRO_CONTENT_TYPE };
  if (options.messageId !== undefined) headers[HEADER.messageId] = options.messageId;
  if (options.trace !== false) injectTraceHeaders(headers, options.context ?? context.active());
  return headers;
}

/** A header as a string (consumed headers are Buffers; the first value of a repeated header). */
export function headerValue(headers: KafkaHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first?.toString();
}

// Protocol error types that end a producer: a newer instance owns the transactional id.
const FENCED_TYPES = new Set([
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_EPOCH',
  'TRANSACTION_COORDINATOR_FENCED',
  'INVALID_PRODUCER_ID_MAPPING',
]);
const TOO_LARGE_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
const FATAL_NAMES = new Set([
  'KafkaJSSASLAuthenticationError',
  'KafkaJSServerDoesNotSupportApiKey',
  'KafkaJSNotImplemented',
]);
// Transient by nature even when kafkajs wraps them as non-retriable after exhausting its retries.
const TRANSIENT_NAMES = new Set([
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSGroupCoordinatorNotFound',
]);

interface ErrorLike {
  readonly name?: unknown;
  readonly type?: unknown;
  readonly retriable?: unknown;
  readonly cause?: unknown;
}

// kafkajs wraps the last underlying error in `cause` when it gives up; classify the whole chain.
function errorChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && chain.length < 8) {
    chain.push(current);
    current = (current as ErrorLike).cause;
  }
  return chain;
}

function isKafkaJsError(e: ErrorLike): boolean {
  return typeof e.name === 'string' && e.name.startsWith('KafkaJS');
}

/** Whether the error means this producer was fenced by a newer one (a zombie must stop, not retry). */
export function isFencedError(error: unknown): boolean {
  const chain = errorChain(SignalError.is(error) && error.cause !== undefined ? error.cause : error);
  return chain.some((e) => typeof e.type === 'string' && FENCED_TYPES.has(e.type));
}

/**
 * Maps a kafkajs error to a `SignalError`: `kafka_unavailable`, retriable when the cause is
 * transient (brokers down, timeouts, leader moves), not when it is fatal (fenced, auth, protocol);
 * `message_too_large` for oversize records; `internal` for anything that is not from kafkajs.
 */
export function mapKafkaError(error: unknown): SignalError {
  if (SignalError.is(error)) return error;
  const chain = errorChain(error);
  if (!chain.some(isKafkaJsError)) return SignalError.internal(error);
  const types = chain.map((e) => e.type).filter((t): t is string => typeof t === 'string');
  if (types.some((t) => TOO_LARGE_TYPES.has(t))) {
    return new SignalError('message_too_large', 'The record exceeds the broker size limit.', { cause: error });
  }
  const fatal =
    types.some((t) => FENCED_TYPES.has(t)) || chain.some((e) => typeof e.name === 'string' && FATAL_NAMES.has(e.name));
  const transient = chain.some(
    (e) => e.retriable === true || (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)),
  );
  return SignalError.kafkaUnavailable(error, !fatal && transient);
}
