import { readFileSync } from 'node:fs';
import kafkajs, { type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroCodec, SchemaSet, topicName, type RoomEvent, type SessionFact } from '@sig/schemas';
import { derive, initialAnalytics } from '../../services/analytics/src/domain/index.js';
import { randomTopicPrefix } from '../support/ids.js';
import { testInfra } from '../support/infra.js';
import { createTopics, deleteTopics } from '../support/kafka.js';
import { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';

// The analytics service as a real process: the recorded three-party session is written to
// signal.room-events, session facts are read back from signal.session-analytics. Restarting the
// service in the middle must neither lose nor repeat a fact (facts and offsets are one transaction).

const schemas = SchemaSet.load();
const eventCodec = new AvroCodec(schemas, 'signal.RoomEvent');
const factCodec = new AvroCodec(schemas, 'signal.SessionFact');
const recorded = readFileSync(
  new URL('../../services/projector/test/fixtures/three-party-session.events.ndjson', import.meta.url),
  'utf8',
)
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as RoomEvent);

/** The session under a fresh room id, closed at the end (so every session and the room end). */
function session(room: string): RoomEvent[] {
  const events = recorded.map((e) => ({ ...e, room }));
  const last = events.at(-1)!;
  return [
    ...events,
    {
      room,
      seq: last.seq + 1,
      at: last.at + 300_000,
      causation: null,
      audience: { type: 'AudienceNone' },
      body: { type: 'RoomClosed', reason: 'EMPTY_TIMEOUT' },
    },
  ];
}

describe('analytics service (real Kafka, real process)', () => {
  const prefix = randomTopicPrefix();
  const env = () => ({ KAFKA_BROKERS: testInfra().kafkaBrokers.join(','), TOPIC_PREFIX: prefix });
  let producer: Producer;
  let consumer: Consumer;
  let service: ServiceProcess | undefined;
  const facts: { fact: SessionFact; timestamp: number }[] = [];

  const write = async (events: readonly RoomEvent[]) => {
    await producer.send({
      topic: topicName('roomEvents', prefix),
      acks: -1,
      messages: events.map((e) => ({ key: e.room, value: eventCodec.encode(e) })),
    });
  };

  beforeAll(async () => {
    await createTopics(prefix);
    const kafka = new kafkajs.Kafka({
      brokers: testInfra().kafkaBrokers,
      clientId: 'analytics-test',
      logLevel: kafkajs.logLevel.NOTHING,
    });
    producer = kafka.producer({ idempotent: true, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    consumer = kafka.consumer({ groupId: `${prefix}analytics-view`, maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: topicName('analytics', prefix), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        facts.push({ fact: factCodec.decode(message.value!), timestamp: Number(message.timestamp) });
        await Promise.resolve();
      },
    });
  });

  afterAll(async () => {
    await service?.kill();
    await consumer?.disconnect();
    await producer?.disconnect();
    await deleteTopics(prefix);
  });

  it('publishes the facts the pure derivation gives, once, across a restart', async () => {
    const first = session('analytics-room-1');
    const second = session('analytics-room-2');
    // History before the service ever ran: facts come from the catch-up.
    await write(first);
    service = await ServiceProcess.start('analytics', env());
    await waitFor(() => facts.length >= 4, { timeoutMs: 30_000, message: 'the first room’s 4 facts' });
    await service.stop();
    // Written while it is down: the restarted service rebuilds its state, then publishes only these.
    await write(second.slice(0, 20));
    service = await ServiceProcess.start('analytics', env());
    await write(second.slice(20));
    await waitFor(() => facts.length >= 8, { timeoutMs: 30_000, message: 'the second room’s 4 facts' });

    const expected = (events: RoomEvent[]) => {
      const state = initialAnalytics();
      // Latency depends on the log timestamps: compare everything else exactly.
      return events
        .flatMap((event) => derive(state, { event, loggedAt: event.at }))
        .map((f) => ({ ...f, joinLatencyMs: 0 }));
    };
    const got = facts.map(({ fact }) => ({ ...fact, joinLatencyMs: 0 }));
    expect(got.filter((f) => f.room === 'analytics-room-1')).toEqual(expected(first));
    expect(got.filter((f) => f.room === 'analytics-room-2')).toEqual(expected(second));
    expect(got.map((f) => [f.room, f.kind, f.identity])).toContainEqual(['analytics-room-2', 'SESSION_ENDED', 'bob']);
    expect(facts.every(({ fact }) => fact.joinLatencyMs >= 0)).toBe(true);
    // A third start rebuilds again and must republish nothing: only the third room's facts follow
    // (any duplicate would be committed by the catch-up, before the service reports ready).
    await service.stop();
    service = await ServiceProcess.start('analytics', env());
    await write(session('analytics-room-3'));
    await waitFor(() => facts.length >= 12, { timeoutMs: 30_000, message: 'the third room’s 4 facts' });
    expect(facts.map(({ fact }) => fact.room).filter((r) => r !== 'analytics-room-3')).toHaveLength(8);
  });
});
