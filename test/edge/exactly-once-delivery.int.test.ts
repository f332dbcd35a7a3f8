/**
 * What a client observes is never duplicated, even when the deliveries topic says otherwise
 * (docs/operations-faults.md, finding 6).
 *
 * 1. Aborted projector transactions never reach a client. When a projector dies, its open
 *    transactions on a reply slot are aborted by the survivors in whatever order their partitions
 *    are taken over, not in the order they began; kafkajs 2.2.4's read_committed filter then
 *    handed out records of the earlier one, and the client got an undone event followed by the
 *    same `seq` as redecided by the new owner. Fixed in @sig/runtime (kafkajs-aborted.ts).
 * 2. Defence in depth: a room event delivered twice to a connection (a record written or read
 *    twice) is written to the socket once and counted in signal_edge_deliveries_dropped_total.
 */
import { AvroCodec, type Delivery, type RoomEventBody } from '@sig/schemas';
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomId } from '../support/ids.js';
import { waitFor } from '../support/wait.js';
import { TestClient, type Msg } from './support/client.js';
import { killAll, startEdge, type EdgeProcess } from './support/edge-process.js';
import { edgeFixture, type EdgeFixture } from './support/fixture.js';
import { kafkaClient, schemas, Tap, topicName } from './support/kafka-tap.js';
import { participant, roomEvent } from './support/room-events.js';
import { bearer, token } from './support/tokens.js';

let fx: EdgeFixture;
let edge: EdgeProcess;
let kafka: Kafka;
let producer: Producer;
let commands: Tap<'signal.Command'>;
const transactional: Producer[] = [];
const deliveryCodec = new AvroCodec(schemas, 'signal.Delivery');

beforeAll(async () => {
  fx = await edgeFixture();
  edge = await startEdge(fx.env());
  kafka = kafkaClient(fx.brokers);
  producer = kafka.producer();
  await producer.connect();
  commands = await Tap.start(kafka, topicName('commands', fx.prefix), 'signal.Command');
});

afterAll(async () => {
  await killAll([edge]);
  await Promise.all([producer, ...transactional].map((p) => p?.disconnect()));
  await commands?.stop();
  await fx?.dispose();
});

const data = (room: string, seq: number, payload: string): Buffer =>
  roomEvent(room, seq, { type: 'DataRelayed', from: 's-bob', fromIdentity: 'bob', payload, topic: null });

/** A client joined to a fresh room (its join logged, `joined` delivered as seq 2); and its address. */
async function joinedClient(): Promise<{
  client: TestClient;
  room: string;
  record: (...events: Buffer[]) => Delivery;
}> {
  const room = randomId('room');
  const client = await TestClient.connect(edge.url(), { headers: bearer(await token({ sub: 'alice' })) });
  const requestId = randomId('j');
  client.send({ type: 'join', id: requestId, room });
  await client.answerTo(requestId);
  const join = await commands.find(
    (c) => c.source.type === 'ClientSource' && c.source.requestId === requestId && c.room === room,
    'the Join command',
  );
  if (join.value.source.type !== 'ClientSource') throw new Error('not a client command');
  const { connectionId } = join.value.source;
  const record = (...events: Buffer[]): Delivery => ({
    edgeId: edge.edgeId,
    room,
    connectionIds: [connectionId],
    kind: 'LIVE',
    events,
  });
  const opened = { type: 'RoomOpened', maxParticipants: 10, emptyTimeoutMs: 300_000, departureTimeoutMs: 20_000 };
  const accepted = {
    type: 'JoinAccepted',
    self: participant('s-alice', 'alice'),
    participants: [participant('s-bob', 'bob')],
    roomMetadata: '',
    replaced: null,
  };
  await producer.send({
    topic: topicName('deliveries', fx.prefix),
    messages: [
      {
        partition: edge.replySlot,
        value: deliveryCodec.encode(
          record(roomEvent(room, 1, opened as RoomEventBody), roomEvent(room, 2, accepted as RoomEventBody, requestId)),
        ),
      },
    ],
  });
  await client.take((m) => m.type === 'joined', 'the joined message');
  return { client, room, record };
}

/** A transactional producer, as a projector partition worker has (`projector-<p>`). */
async function projectorProducer(partition: number): Promise<Producer> {
  const p = kafka.producer({
    transactionalId: `${fx.prefix}test-projector-${partition}-${randomId('t')}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  transactional.push(p);
  await p.connect();
  return p;
}

const toSlot = (delivery: Delivery) => ({
  topic: topicName('deliveries', fx.prefix),
  messages: [{ partition: edge.replySlot, value: deliveryCodec.encode(delivery) }],
});

const dataSeen = (client: TestClient): { seq: unknown; payload: unknown }[] =>
  client.received.filter((m: Msg) => m.type === 'data').map((m) => ({ seq: m['seq'], payload: m['payload'] }));

async function droppedDuplicates(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${edge.adminPort}/metrics`)).text();
  const line = /^signal_edge_deliveries_dropped_total\{[^}]*reason="duplicate_seq"[^}]*\} (\d+)$/m.exec(text);
  return line ? Number(line[1]) : 0;
}

describe('exactly-once delivery to a client', () => {
  test('transactions aborted in another order than they began never reach the client', async () => {
    const { client, room, record } = await joinedClient();
    // Two dead projectors' open transactions on the edge's slot: A's began first...
    const [a, b, owner] = [await projectorProducer(1), await projectorProducer(2), await projectorProducer(3)];
    const txnA = await a.transaction();
    await txnA.send(toSlot(record(data(room, 3, 'undone by the abort (A, 1st)'))));
    const txnB = await b.transaction();
    await txnB.send(toSlot(record(data(room, 3, 'undone by the abort (B)'))));
    await txnA.send(toSlot(record(data(room, 4, 'undone by the abort (A, 2nd)'))));
    // ...but are aborted in the other order (the survivors fence them as they take partitions over).
    await txnB.abort();
    await txnA.abort();
    // The new owner redecides the same commands: same seqs, committed.
    const txn = await owner.transaction();
    await txn.send(toSlot(record(data(room, 3, 'committed 3'), data(room, 4, 'committed 4'))));
    await txn.commit();

    // The slot is read in offset order: once the committed record's last event arrived, every
    // record before it (the aborted ones) has been handled.
    await waitFor(() => dataSeen(client).some((m) => m.seq === 4), { timeoutMs: 10_000, message: 'no data seq 4' });
    expect(dataSeen(client)).toEqual([
      { seq: 3, payload: 'committed 3' },
      { seq: 4, payload: 'committed 4' },
    ]);
    expect(await droppedDuplicates()).toBe(0);
    client.close();
  });

  test('a room event delivered twice is written once, and counted', async () => {
    const { client, room, record } = await joinedClient();
    const before = await droppedDuplicates();
    await producer.send(toSlot(record(data(room, 3, 'three'))));
    await producer.send(toSlot(record(data(room, 3, 'three'), data(room, 4, 'four'))));
    await producer.send(toSlot(record(data(room, 5, 'five'))));
    await waitFor(() => dataSeen(client).some((m) => m.seq === 5), { timeoutMs: 10_000, message: 'no data seq 5' });
    expect(dataSeen(client)).toEqual([
      { seq: 3, payload: 'three' },
      { seq: 4, payload: 'four' },
      { seq: 5, payload: 'five' },
    ]);
    await waitFor(async () => (await droppedDuplicates()) === before + 1, {
      timeoutMs: 5000,
      message: 'signal_edge_deliveries_dropped_total{reason="duplicate_seq"} did not count the duplicate',
    });
    client.close();
  });
});
