/**
 * The real broker speaks to our client: kafkajs 2.2.4 against Kafka 4.x, which dropped many old
 * protocol versions. Covers what the services rely on: plain produce/consume, and the
 * projector's consume → produce → commit-offsets transaction seen through read_committed.
 */
import kafkajs, { type Consumer, type Kafka as KafkaClient, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomId } from '../support/ids.js';
import { testInfra } from '../support/infra.js';
import { createTopic } from '../support/kafka.js';
import { waitFor } from '../support/wait.js';

const { Kafka, logLevel } = kafkajs;

describe('Kafka broker', () => {
  let kafka: KafkaClient;
  const closers: (() => Promise<void>)[] = [];
  const topic = randomId('topic');

  beforeAll(async () => {
    // kafkajs logs every retried protocol error (coordinator still loading…) at ERROR: the assertions decide.
    kafka = new Kafka({ clientId: randomId('client'), brokers: testInfra().kafkaBrokers, logLevel: logLevel.NOTHING });
    closers.push(await createTopic(topic));
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  async function connected<T extends Producer | Consumer>(client: T): Promise<T> {
    await client.connect();
    closers.push(() => client.disconnect());
    return client;
  }

  test('a produced record is consumed with its key and value', async () => {
    const producer = await connected(kafka.producer());
    await producer.send({ topic, messages: [{ key: 'room-1', value: 'hello' }] });

    const received: { key: string; value: string }[] = [];
    const consumer = await connected(kafka.consumer({ groupId: randomId('group'), maxWaitTimeInMs: 100 }));
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) =>
        void received.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' }),
    });
    await waitFor(() => received.length >= 1, { timeoutMs: 30_000, message: 'the produced record to be consumed' });
    expect(received[0]).toEqual({ key: 'room-1', value: 'hello' });
  });

  test('read_committed sees committed transactions only, and offsets commit with the transaction', async () => {
    const txTopic = randomId('tx-topic');
    closers.push(await createTopic(txTopic));

    const producer = await connected(
      kafka.producer({ transactionalId: randomId('tx'), maxInFlightRequests: 1, idempotent: true }),
    );
    const aborted = await producer.transaction();
    await aborted.send({ topic: txTopic, messages: [{ value: 'aborted' }] });
    await aborted.abort();

    // The projector's shape: records and the consumer group's offset in one transaction.
    const groupId = randomId('projector-group');
    const committed = await producer.transaction();
    await committed.send({ topic: txTopic, messages: [{ value: 'committed' }] });
    await committed.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: txTopic, partitions: [{ partition: 0, offset: '42' }] }],
    });
    await committed.commit();

    const readCommitted = await collectFrom(txTopic, false);
    const readUncommitted = await collectFrom(txTopic, true);
    await waitFor(() => readCommitted.includes('committed'), {
      timeoutMs: 30_000,
      message: 'read_committed to see the commit',
    });
    await waitFor(() => readUncommitted.includes('committed'), {
      timeoutMs: 30_000,
      message: 'read_uncommitted to see the commit',
    });
    // The aborted record precedes the committed one in the partition, so both consumers are past it.
    expect(readCommitted).toEqual(['committed']);
    expect(readUncommitted).toEqual(['aborted', 'committed']);

    const admin = kafka.admin();
    await admin.connect();
    closers.push(() => admin.disconnect());
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [txTopic] });
    expect(offsets?.partitions).toEqual([{ partition: 0, offset: '42', metadata: null }]);
  });

  /** Consumes `source` from the beginning into an array, with the given isolation level. */
  async function collectFrom(source: string, readUncommitted: boolean): Promise<string[]> {
    const values: string[] = [];
    const consumer = await connected(
      kafka.consumer({ groupId: randomId('group'), maxWaitTimeInMs: 100, readUncommitted }),
    );
    await consumer.subscribe({ topic: source, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value?.toString() ?? '') });
    return values;
  }
});
