/**
 * The worker's reports to the projector (answers, offers, candidates, room status…) as `Command`
 * records on `signal.commands`, keyed by room. One send in flight at a time, so records reach a
 * room's partition in the order they were reported — a subscriber offer never overtakes the
 * answer that precedes it, a candidate never overtakes its SDP; records reported while a send is
 * in flight go out together in the next one.
 */
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import {
  ACKS_ALL,
  ATTR,
  abortableSleep,
  mapKafkaError,
  outsideTrace,
  settleSendSpans,
  startSendSpan,
  type Logger,
  type SendSpan,
} from '@sig/runtime';
import type { AvroCodec, CommandBody } from '@sig/schemas';

interface Pending {
  readonly key: string;
  readonly value: Buffer;
  /** Opened when reported, in the reporting context (the media command being handled). */
  readonly span: SendSpan;
  readonly type: CommandBody['type'];
}

/** Options of `Outbox`. */
export interface OutboxOptions {
  readonly producer: Producer;
  readonly codec: AvroCodec<'signal.Command'>;
  readonly topic: string;
  readonly workerId: string;
  readonly logger: Logger;
  /** Records waiting beyond this are refused (logged, counted) rather than growing without bound. */
  readonly maxPending?: number;
  /** Called when a record could not be written (after the producer's own retries). */
  readonly onLost?: (type: CommandBody['type'], error: unknown) => void;
  /** Called for every record written. */
  readonly onSent?: (type: CommandBody['type']) => void;
  /** Called for every batch written, with the time the broker took. */
  readonly onWritten?: (seconds: number) => void;
  /**
   * How long a batch the broker refuses with a retriable error is retried (on top of the
   * producer's own retries) before its records are given up. Default 30 s: an answer or an offer
   * that arrives late still completes a negotiation, one that never arrives does not.
   */
  readonly retryForMs?: number;
}

/** Ordered, batching writer of the worker's Command records. */
export class Outbox {
  readonly #options: OutboxOptions;
  #queue: Pending[] = [];
  #running: Promise<void> | null = null;
  #closed = false;

  constructor(options: OutboxOptions) {
    this.#options = options;
  }

  /** Queues a report about `room`; returns at once (see `flush`). */
  report(room: string, body: CommandBody, now = Date.now()): void {
    if (this.#closed) {
      this.#options.logger.warn({ room, type: body.type }, 'outbox closed: report dropped');
      this.#options.onLost?.(body.type, new Error('outbox closed'));
      return;
    }
    const max = this.#options.maxPending ?? 10_000;
    if (this.#queue.length >= max) {
      this.#options.logger.error({ room, type: body.type, pending: this.#queue.length }, 'outbox full: report dropped');
      this.#options.onLost?.(body.type, new Error('outbox full'));
      return;
    }
    const commandId = randomUUID();
    const value = this.#options.codec.encode({
      commandId,
      room,
      receivedAt: now,
      source: { type: 'SfuSource', workerId: this.#options.workerId },
      body,
    });
    const span = startSendSpan(
      { topic: this.#options.topic, key: room, messageId: commandId },
      { attributes: { [ATTR.signalRoom]: room, [ATTR.signalCommandType]: body.type } },
    );
    this.#queue.push({ key: room, value, span, type: body.type });
    // Outside the reporter's trace: the drain goes on to write later reports of other rooms.
    this.#running ??= outsideTrace(() => this.#drain()).finally(() => {
      this.#running = null;
    });
  }

  /** Resolves once everything reported so far was written (or given up on). */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Records waiting to be written. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Refuses further reports; `flush()` first to write what is queued. */
  close(): void {
    this.#closed = true;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      const firstTry = Date.now();
      for (let attempt = 0; ; attempt++) {
        try {
          const started = performance.now();
          const written = await this.#options.producer.send({
            topic: this.#options.topic,
            acks: ACKS_ALL,
            messages: batch.map((p) => ({ key: p.key, value: p.value, headers: p.span.headers })),
          });
          this.#options.onWritten?.((performance.now() - started) / 1000);
          settleSendSpans(
            batch.map((p) => p.span),
            written,
          );
          for (const p of batch) this.#options.onSent?.(p.type);
          break;
        } catch (error) {
          const retriable = mapKafkaError(error).retriable;
          const elapsed = Date.now() - firstTry;
          if (!retriable || this.#closed || elapsed >= (this.#options.retryForMs ?? 30_000)) {
            this.#options.logger.error(
              { err: error, records: batch.length, attempts: attempt + 1 },
              'media reports could not be written to Kafka; given up',
            );
            settleSendSpans(
              batch.map((p) => p.span),
              error instanceof Error ? error : new Error(String(error)),
            );
            for (const p of batch) this.#options.onLost?.(p.type, error);
            break;
          }
          // The batch is retried before anything queued after it: the order per room holds.
          this.#options.logger.warn(
            { err: error, records: batch.length, attempt },
            'media reports not written yet; retrying',
          );
          await abortableSleep(Math.min(2000, 100 * 2 ** attempt));
        }
      }
    }
  }
}
