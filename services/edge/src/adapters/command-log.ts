/**
 * The edge's write path to Kafka: records are queued, sent in batches by one idempotent, acks=all
 * producer, and each `append` resolves only once the broker confirmed its batch — the "log, then
 * ack" rule. One batch is in flight at a time (kafkajs serializes idempotent produces per broker
 * anyway), which keeps every connection's records in the order it sent them: a record is either
 * in the same batch after its predecessor, or in a later batch sent after that one completed.
 *
 * After any failed batch the producer is thrown away and a fresh one is connected for the next
 * batch. kafkajs rolls sequence numbers back when a produce request fails; if that request had in
 * fact been written, the next batch would reuse its sequence and the broker would acknowledge it
 * as a duplicate without writing it — a false ack. A new producer id rules that out, and it also
 * heals a producer that kafkajs left broken after an outage.
 */
import type { Kafka, Message, Producer, TopicMessages } from 'kafkajs';
import type { Histogram } from 'prom-client';
import {
  ACKS_ALL,
  createProducer,
  mapKafkaError,
  outsideTrace,
  settleSendSpans,
  SignalError,
  type KafkaHeaders,
  type Logger,
  type SendSpan,
} from '@sig/runtime';

/** One record to write. */
export interface LogRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer;
  readonly headers: KafkaHeaders;
  /** The record's producer span (its context is in `headers`), ended with the batch's outcome. */
  readonly span?: SendSpan;
}

interface Pending {
  readonly record: LogRecord;
  resolve(): void;
  reject(error: SignalError): void;
}

export interface CommandLogOptions {
  /** Records queued or in flight; beyond it `append` rejects with `overloaded`. */
  readonly maxPending: number;
  readonly logger: Logger;
  readonly latency: Histogram<string>;
  /** Default 500 records. */
  readonly maxBatchRecords?: number;
  /** Default 512 KiB of values: well under the broker's 1 MiB batch limit per partition. */
  readonly maxBatchBytes?: number;
  /** Producer retries for one batch; default: give up within a few seconds so clients hear back. */
  readonly retry?: { readonly initialRetryTime: number; readonly maxRetryTime: number; readonly retries: number };
  /** Bound on a producer disconnect (a dead broker can stall it). Default 2000 ms. */
  readonly disconnectTimeoutMs?: number;
}

/** Producer state, for readiness and logs. */
export type ProducerState = 'idle' | 'connecting' | 'connected' | 'failed' | 'closed';

const EDGE_PRODUCER_RETRY = { initialRetryTime: 100, maxRetryTime: 1000, retries: 3 };

/** Batching, ordered, confirmed writes to Kafka. */
export class CommandLog {
  readonly #kafka: Kafka;
  readonly #options: CommandLogOptions;
  readonly #queue: Pending[] = [];
  #inFlight = 0;
  #producer: Producer | undefined;
  #state: ProducerState = 'idle';
  #pumping = false;
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  constructor(kafka: Kafka, options: CommandLogOptions) {
    this.#kafka = kafka;
    this.#options = options;
  }

  /** Connects the first producer, so a broker that is down at start fails the start. */
  async start(): Promise<void> {
    await this.#ensureProducer();
  }

  get state(): ProducerState {
    return this.#state;
  }

  /** Records queued or in flight. */
  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }

  /** Queues a record; resolves once the broker confirmed it, rejects with a `SignalError`. */
  append(record: LogRecord): Promise<void> {
    if (this.#closed) return Promise.reject(SignalError.draining());
    if (this.pending >= this.#options.maxPending) return Promise.reject(SignalError.overloaded());
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ record, resolve, reject });
      // Deferred to a microtask: records appended in the same tick go out in one batch.
      // Outside the appender's trace: the pump goes on to send other connections' records.
      if (!this.#pumping) queueMicrotask(() => void outsideTrace(() => this.#pump()));
    });
  }

  /** Resolves when nothing is queued or in flight, or after `timeoutMs`; true when empty. */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.#idleWaiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([idle, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Fails what is still queued, disconnects the producer; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#queue.splice(0)) p.reject(SignalError.draining());
    this.#state = 'closed';
    await this.#discardProducer();
    this.#notifyIdle();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const batch = this.#takeBatch();
        this.#inFlight = batch.length;
        await this.#send(batch);
        this.#inFlight = 0;
      }
    } finally {
      this.#pumping = false;
      this.#inFlight = 0;
      this.#notifyIdle();
    }
  }

  #takeBatch(): Pending[] {
    const maxRecords = this.#options.maxBatchRecords ?? 500;
    const maxBytes = this.#options.maxBatchBytes ?? 512 * 1024;
    let bytes = 0;
    let n = 0;
    while (n < this.#queue.length && n < maxRecords) {
      const size = this.#queue[n]!.record.value.length;
      if (n > 0 && bytes + size > maxBytes) break;
      bytes += size;
      n++;
    }
    return this.#queue.splice(0, n);
  }

  async #send(batch: Pending[]): Promise<void> {
    const started = performance.now();
    const { topicMessages, spans } = groupByTopic(batch);
    try {
      const producer = await this.#ensureProducer();
      settleSendSpans(spans, await producer.sendBatch({ topicMessages, acks: ACKS_ALL }));
    } catch (error) {
      settleSendSpans(spans, error instanceof Error ? error : new Error(String(error)));
      const mapped = mapKafkaError(error);
      // Whatever kafkajs thinks, the client may send again: the next batch uses a fresh producer.
      const wire =
        mapped.code === 'kafka_unavailable'
          ? new SignalError('kafka_unavailable', undefined, { cause: error, retriable: true })
          : mapped;
      this.#options.logger.warn({ err: error, records: batch.length }, 'produce failed; replacing the producer');
      this.#state = 'failed';
      // Clients hear back at once; the next batch waits for the old producer to be gone, which
      // also paces reconnect attempts while the brokers are down.
      for (const p of batch) p.reject(wire);
      await this.#discardProducer();
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    for (const topic of new Set(batch.map((p) => p.record.topic))) this.#options.latency.observe({ topic }, seconds);
    for (const p of batch) p.resolve();
  }

  async #ensureProducer(): Promise<Producer> {
    if (this.#producer !== undefined && this.#state === 'connected') return this.#producer;
    if (this.#closed) throw SignalError.draining();
    this.#state = 'connecting';
    const producer = createProducer(this.#kafka, { retry: this.#options.retry ?? EDGE_PRODUCER_RETRY });
    this.#producer = producer;
    try {
      await producer.connect();
    } catch (error) {
      this.#state = 'failed';
      await this.#discardProducer();
      throw error;
    }
    this.#state = 'connected';
    this.#options.logger.info('producer connected');
    return producer;
  }

  async #discardProducer(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    if (producer === undefined) return;
    const timeoutMs = this.#options.disconnectTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      producer.disconnect().catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  #notifyIdle(): void {
    if (this.pending > 0 && !this.#closed) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}

/** The batch as kafkajs takes it, and the records' spans in the order kafkajs will write them. */
function groupByTopic(batch: readonly Pending[]): { topicMessages: TopicMessages[]; spans: SendSpan[] } {
  const byTopic = new Map<string, { messages: Message[]; spans: SendSpan[] }>();
  for (const { record } of batch) {
    let group = byTopic.get(record.topic);
    if (group === undefined) byTopic.set(record.topic, (group = { messages: [], spans: [] }));
    group.messages.push({ key: record.key, value: record.value, headers: record.headers });
    if (record.span !== undefined) group.spans.push(record.span);
  }
  return {
    topicMessages: [...byTopic].map(([topic, { messages }]) => ({ topic, messages })),
    spans: [...byTopic.values()].flatMap((g) => g.spans),
  };
}
