/**
 * Reads a catalogue topic from the beginning and decodes every record with the Avro codec, so a
 * test can wait for "the Command with this request id" and see exactly what the edge logged.
 */
import { AvroCodec, SchemaSet, topicName, type RecordTypes, type TopicId } from '@sig/schemas';
import kafkajs, { type Admin, type Consumer, type Kafka as KafkaClient } from 'kafkajs';
import { randomId } from '../../support/ids.js';
import { waitFor } from '../../support/wait.js';

const { Kafka, logLevel } = kafkajs;

/** A decoded record with where it sits in the log. */
export interface Tapped<T> {
  readonly value: T;
  readonly key: string | null;
  readonly partition: number;
  readonly offset: number;
  readonly headers: Record<string, string>;
}

export const schemas = SchemaSet.load();

export function kafkaClient(brokers: readonly string[]): KafkaClient {
  return new Kafka({ clientId: randomId('edge-test'), brokers: [...brokers], logLevel: logLevel.NOTHING });
}

/** Every record of one topic, decoded, as it arrives. */
export class Tap<N extends keyof RecordTypes> {
  readonly records: Tapped<RecordTypes[N]>[] = [];
  #consumer: Consumer | undefined;

  private constructor(private readonly codec: AvroCodec<N>) {}

  static async start<N extends keyof RecordTypes>(kafka: KafkaClient, topic: string, schema: N): Promise<Tap<N>> {
    const tap = new Tap(new AvroCodec(schemas, schema));
    const consumer = kafka.consumer({ groupId: randomId('tap'), maxWaitTimeInMs: 100 });
    tap.#consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {}))
          if (v !== undefined) headers[k] = String(Array.isArray(v) ? v[0] : v);
        tap.records.push({
          value: tap.codec.decode(message.value!),
          key: message.key?.toString() ?? null,
          partition,
          offset: Number(message.offset),
          headers,
        });
      },
    });
    return tap;
  }

  /** The first record matching `match`, waiting up to `timeoutMs`. */
  find(match: (value: RecordTypes[N]) => boolean, what: string, timeoutMs = 20_000): Promise<Tapped<RecordTypes[N]>> {
    return waitFor(() => this.records.find((r) => match(r.value)), { timeoutMs, message: what });
  }

  async stop(): Promise<void> {
    await this.#consumer?.disconnect();
  }
}

/** High watermarks of every partition of `topic`, right now. */
export async function highWatermarks(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
}

export { topicName, type TopicId };
