/**
 * A partition worker never decides a command twice, whatever offset the consumer hands it from
 * (docs/operations-faults.md, finding 6, defence in depth on the projector side).
 *
 * kafkajs reads the group's committed offset when a partition is assigned and does not ask for
 * stable offsets, so a consumer may be handed commands whose decision a previous owner (or this
 * instance, before a rebalance) has just committed. The decider has no command-id deduplication:
 * those commands would be decided again, with new seqs. The worker reads the committed offset
 * after fencing and skips what lies below it. Real Kafka, the worker's own transactions.
 */
import { randomUUID } from 'node:crypto';
import { AvroCodec, SchemaSet, topicName, type Command, type CommandBody, type RoomEvent } from '@sig/schemas';
import { createKafka, createLogger, createProducer, readPartitionsToEnd } from '@sig/runtime';
import type { KafkaMessage, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartitionWorker, type WorkerContext } from '../../services/projector/src/adapters/partition-worker.js';
import { randomTopicPrefix } from '../support/ids.js';
import { testInfra } from '../support/infra.js';
import { createTopics, deleteTopics } from '../support/kafka.js';
import { waitFor } from '../support/wait.js';

const schemas = SchemaSet.load();
const commandCodec = new AvroCodec(schemas, 'signal.Command');
const eventCodec = new AvroCodec(schemas, 'signal.RoomEvent');
const PARTITION = 3;
const prefix = randomTopicPrefix();
const logger = createLogger({
  service: 'projector-test',
  instance: 'worker',
  level: 'silent',
  destination: { write: () => undefined },
});
const kafka = createKafka({ brokers: testInfra().kafkaBrokers, clientId: 'partition-worker-test', logger });
const ctx: WorkerContext = {
  kafka,
  logger,
  topicPrefix: prefix,
  consumerGroupId: `${prefix}projector`,
  decider: {
    room: { maxParticipants: 10, emptyTimeoutMs: 300_000, departureTimeoutMs: 20_000 },
    resumeWindowEvents: 100,
  },
  codecs: {
    command: commandCodec,
    roomEvent: eventCodec,
    delivery: new AvroCodec(schemas, 'signal.Delivery'),
    media: new AvroCodec(schemas, 'signal.MediaCommand'),
    deadLetter: new AvroCodec(schemas, 'signal.DeadLetter'),
    snapshot: new AvroCodec(schemas, 'signal.RoomSnapshot'),
  },
  snapshotEveryEvents: 0,
  maxCommandsPerTransaction: 500,
  transactionGapMs: 3,
  maxBacklogCommands: 2000,
  maxBacklogBytes: 16 * 1024 * 1024,
};
let producer: Producer;
const workers: PartitionWorker[] = [];

beforeAll(async () => {
  await createTopics(prefix);
  producer = createProducer(kafka);
  await producer.connect();
  // Right after creation the broker may still refuse writes to the new partitions (NOT_LEADER):
  // one throwaway room decided end to end warms every path the tests use.
  await waitFor(
    async () => {
      const w = worker();
      try {
        await w.process(await logged([join(`warm-up-${randomUUID()}`, 'w')]), Date.now());
        return true;
      } catch {
        return false;
      } finally {
        await w.close();
      }
    },
    { timeoutMs: 60_000, message: 'the new topics did not accept a transaction within 60 s' },
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await producer?.disconnect();
  await deleteTopics(prefix);
});

const grants = {
  roomJoin: true,
  roomAdmin: false,
  canPublish: true,
  canSubscribe: true,
  canPublishData: true,
  hidden: false,
};
const command = (room: string, identity: string, body: CommandBody): Command => ({
  commandId: randomUUID(),
  room,
  receivedAt: Date.now(),
  source: {
    type: 'ClientSource',
    edgeId: 'edge-1',
    replySlot: 1,
    connectionId: `conn-${identity}`,
    identity,
    name: identity,
    grants,
    requestId: randomUUID(),
    tokenExpiresAt: Date.now() + 3_600_000,
  },
  body,
});
const join = (room: string, identity: string) => command(room, identity, { type: 'Join', metadata: '', resume: null });
const data = (room: string, identity: string, payload: string) =>
  command(room, identity, { type: 'SendData', payload, topic: null, to: [] });

/** Logs commands to the worker's partition and returns them as the consumer hands them over. */
async function logged(commands: Command[]): Promise<KafkaMessage[]> {
  const values = commands.map((c) => commandCodec.encode(c));
  const [meta] = await producer.send({
    topic: topicName('commands', prefix),
    acks: -1,
    messages: values.map((value, i) => ({ key: commands[i]!.room, value, partition: PARTITION })),
  });
  const base = BigInt(meta!.baseOffset!);
  return values.map((value, i) => ({
    key: Buffer.from(commands[i]!.room),
    value,
    offset: (base + BigInt(i)).toString(),
    timestamp: String(Date.now()),
    attributes: 0,
    headers: {},
  }));
}

function worker(): PartitionWorker {
  const w = new PartitionWorker(PARTITION, ctx);
  workers.push(w);
  return w;
}

/** Every committed room event of the worker's partition, for `room`. */
async function history(room: string): Promise<RoomEvent[]> {
  const events: RoomEvent[] = [];
  await readPartitionsToEnd(
    kafka,
    topicName('roomEvents', prefix),
    new Map([[PARTITION, 'earliest' as const]]),
    (_p, m) => {
      const e = eventCodec.decode(m.value!);
      if (e.room === room) events.push(e);
    },
    { groupPrefix: prefix, label: 'test-history', timeoutMs: 30_000 },
  );
  return events;
}

describe('partition worker: each command is decided once', () => {
  it('a new owner handed commands the previous owner already committed skips them', async () => {
    const room = `room-${randomUUID()}`;
    const first = await logged([join(room, 'alice'), join(room, 'bob'), data(room, 'alice', 'hello')]);
    const previous = worker();
    const decided = await previous.process(first, Date.now());
    expect(decided.roomEvents.length).toBeGreaterThan(0);
    await previous.close();

    // The new owner's consumer started from a committed offset read before that commit completed.
    const owner = worker();
    expect((await owner.process(first, Date.now())).roomEvents).toEqual([]);
    const later = await owner.process(await logged([data(room, 'bob', 'hi')]), Date.now());
    expect(later.roomEvents.map((r) => r.event.seq)).toEqual([decided.roomEvents.at(-1)!.event.seq + 1]);

    const seqs = (await history(room)).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect((await history(room)).filter((e) => e.body.type === 'DataRelayed')).toHaveLength(2);
  });

  it('the same worker handed a chunk again (a rejoin fetched a stale offset) skips it', async () => {
    const room = `room-${randomUUID()}`;
    const w = worker();
    const chunk = await logged([join(room, 'carol'), data(room, 'carol', 'once')]);
    const decided = await w.process(chunk, Date.now());
    expect(decided.roomEvents.length).toBeGreaterThan(0);
    expect((await w.process(chunk, Date.now())).roomEvents).toEqual([]);
    // Part old, part new: only the new part is decided.
    const next = await logged([data(room, 'carol', 'twice?')]);
    const mixed = await w.process([chunk[1]!, ...next], Date.now());
    expect(mixed.decisions.map((d) => d.command.body.type)).toEqual(['SendData']);
    expect(mixed.roomEvents.map((r) => r.event.seq)).toEqual([decided.roomEvents.at(-1)!.event.seq + 1]);
  });
});
