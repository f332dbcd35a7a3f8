import { randomUUID } from 'node:crypto';
import avro from 'avsc';
import kafkajs, { type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchemaSet } from '@sig/runtime';
import { AvroCodec, topicName, type Command, type SchemaSet } from '@sig/schemas';
import { randomTopicPrefix } from '../support/ids.js';
import { testInfra } from '../support/infra.js';
import { createTopics, deleteTopics } from '../support/kafka.js';
import { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { ensureKarapace, startKarapace, type Karapace } from './support/karapace.js';

// Confluent wire format against a real registry: Karapace (PyPI) on the shared Kafka. Schemas are
// registered by the real startup path (loadSchemaSet), the projector writes room events in the
// Confluent framing, and an independent reader (plain avsc + the schema fetched by id from the
// registry) decodes them. Skipped, with the measured reason, where Karapace cannot be installed.

const karapace = ensureKarapace();
if (!karapace.available) console.warn(`Karapace integration test skipped: ${karapace.reason}`);

describe.skipIf(!karapace.available)('Confluent wire format with Karapace', () => {
  const prefix = randomTopicPrefix();
  let registry: Karapace;
  let schemas: SchemaSet;
  let projector: ServiceProcess | undefined;
  let producer: Producer;
  let consumer: Consumer;
  const raw: Buffer[] = [];

  beforeAll(async () => {
    await createTopics(prefix);
    registry = await startKarapace(testInfra().kafkaBrokers, `${prefix}_schemas`);
    schemas = await loadSchemaSet({ topicPrefix: prefix, schemaRegistryUrl: registry.url });
    const kafka = new kafkajs.Kafka({
      brokers: testInfra().kafkaBrokers,
      clientId: 'karapace-test',
      logLevel: kafkajs.logLevel.NOTHING,
    });
    producer = kafka.producer({ idempotent: true, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    consumer = kafka.consumer({ groupId: `${prefix}raw-view`, maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: topicName('roomEvents', prefix), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        raw.push(message.value!);
        await Promise.resolve();
      },
    });
    projector = await ServiceProcess.start('projector', {
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
      TOPIC_PREFIX: prefix,
      SCHEMA_REGISTRY_URL: registry.url,
      EDGE_LIVENESS_GRACE: '10m',
    });
  }, 300_000);

  afterAll(async () => {
    await projector?.kill();
    await consumer?.disconnect();
    await producer?.disconnect();
    await registry?.stop();
    await deleteTopics(prefix);
  });

  it('registers every topic value schema under <topic>-value (TopicNameStrategy)', async () => {
    const subjects = (await (await fetch(`${registry.url}/subjects`)).json()) as string[];
    expect(subjects).toContain(`${prefix}signal.room-events-value`);
    expect(subjects).toContain(`${prefix}signal.commands-value`);
    expect(subjects).toContain(`${prefix}signal.session-analytics-value`);
  });

  it('the projector writes magic 0 + schema id, and avsc with the registry schema reads it back', async () => {
    const room = `room-${randomUUID()}`;
    const join: Command = {
      commandId: randomUUID(),
      room,
      receivedAt: Date.now(),
      source: {
        type: 'ClientSource',
        edgeId: 'edge-1',
        replySlot: 1,
        connectionId: 'c1',
        identity: 'alice',
        name: 'Alice',
        grants: {
          roomJoin: true,
          roomAdmin: false,
          canPublish: true,
          canSubscribe: true,
          canPublishData: true,
          hidden: false,
        },
        requestId: 'r1',
        tokenExpiresAt: Date.now() + 3_600_000,
      },
      body: { type: 'Join', metadata: '', resume: null },
    };
    const value = new AvroCodec(schemas, 'signal.Command').encode(join);
    expect(value[0]).toBe(0);
    await producer.send({ topic: topicName('commands', prefix), acks: -1, messages: [{ key: room, value }] });
    await waitFor(() => raw.length >= 3, { timeoutMs: 30_000, message: 'the projector’s room events' });

    for (const bytes of raw) {
      expect(bytes[0]).toBe(0);
      const id = bytes.readUInt32BE(1);
      const { schema } = (await (await fetch(`${registry.url}/schemas/ids/${id}`)).json()) as { schema: string };
      const type = avro.Type.forSchema(JSON.parse(schema) as avro.Schema);
      const event = type.fromBuffer(bytes.subarray(5)) as { room: string; seq: number; body: Record<string, unknown> };
      expect(event.room).toBe(room);
      expect(Object.keys(event.body)[0]).toMatch(/^signal\.(RoomOpened|ParticipantJoined|JoinAccepted)$/);
    }
    expect(raw.map((b) => b.readUInt32BE(1))).toEqual(raw.map(() => raw[0]!.readUInt32BE(1)));
  });
});
