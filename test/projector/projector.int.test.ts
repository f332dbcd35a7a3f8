import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AvroCodec,
  SchemaSet,
  topicName,
  type Command,
  type CommandBody,
  type Delivery,
  type RoomEvent,
} from '@sig/schemas';
import { randomTopicPrefix } from '../support/ids.js';
import { testInfra } from '../support/infra.js';
import { createTopics, deleteTopics } from '../support/kafka.js';
import { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';

// The projector as a real process against the real broker. "Clients" here are the edge's view:
// commands produced as an edge would log them, and deliveries read from the edges' reply slots
// with read_committed, exactly as an edge consumes them.

const schemas = SchemaSet.load();
const commandCodec = new AvroCodec(schemas, 'signal.Command');
const deliveryCodec = new AvroCodec(schemas, 'signal.Delivery');
const eventCodec = new AvroCodec(schemas, 'signal.RoomEvent');
const grants = {
  roomJoin: true,
  roomAdmin: false,
  canPublish: true,
  canSubscribe: true,
  canPublishData: true,
  hidden: false,
};

/** What one simulated client received, in order. */
class Inbox {
  readonly events: RoomEvent[] = [];
  seqs(): number[] {
    return this.events.map((e) => e.seq);
  }
}

describe('room projector (real Kafka, real process)', () => {
  const prefix = randomTopicPrefix();
  let kafka: Kafka;
  let producer: Producer;
  let deliveries: Consumer;
  const inboxes = new Map<string, Inbox>();
  const projectors: ServiceProcess[] = [];
  const env = () => ({
    KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
    TOPIC_PREFIX: prefix,
    EDGE_LIVENESS_GRACE: '10m',
    SNAPSHOT_EVERY_EVENTS: '200',
  });
  const metricValue = async (svc: ServiceProcess, series: string) => {
    const text = await (await fetch(`http://127.0.0.1:${svc.adminPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(series));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  const client = (identity: string, slot: number, connectionId = `conn-${identity}`) => {
    inboxes.set(connectionId, new Inbox());
    const source = (requestId: string | null) => ({
      type: 'ClientSource' as const,
      edgeId: `edge-${slot}`,
      replySlot: slot,
      connectionId,
      identity,
      name: identity,
      grants,
      requestId,
      tokenExpiresAt: Date.now() + 3_600_000,
    });
    return {
      connectionId,
      inbox: () => inboxes.get(connectionId)!,
      command: (room: string, body: CommandBody): Command => ({
        commandId: randomUUID(),
        room,
        receivedAt: Date.now(),
        source: source(randomUUID()),
        body,
      }),
    };
  };

  const send = async (commands: Command[]) => {
    for (let i = 0; i < commands.length; i += 500) {
      await producer.send({
        topic: topicName('commands', prefix),
        acks: -1,
        messages: commands.slice(i, i + 500).map((c) => ({ key: c.room, value: commandCodec.encode(c) })),
      });
    }
  };

  beforeAll(async () => {
    await createTopics(prefix);
    kafka = new kafkajs.Kafka({
      brokers: testInfra().kafkaBrokers,
      clientId: 'projector-test',
      logLevel: kafkajs.logLevel.NOTHING,
    });
    producer = kafka.producer({ idempotent: true, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    deliveries = kafka.consumer({ groupId: `${prefix}edges-view`, maxWaitTimeInMs: 50, readUncommitted: false });
    await deliveries.connect();
    await deliveries.subscribe({ topic: topicName('deliveries', prefix), fromBeginning: true });
    await deliveries.run({
      eachMessage: async ({ message }) => {
        const d: Delivery = deliveryCodec.decode(message.value!);
        for (const id of d.connectionIds)
          for (const bytes of d.events) inboxes.get(id)?.events.push(eventCodec.decode(bytes));
        await Promise.resolve();
      },
    });
    projectors.push(await ServiceProcess.start('projector', env()));
  });

  afterAll(async () => {
    await Promise.all(projectors.map((p) => p.kill()));
    await deliveries?.disconnect();
    await producer?.disconnect();
    await deleteTopics(prefix);
  });

  it('three clients in a room see the same ordered history', async () => {
    const room = `room-${randomUUID()}`;
    const [a, b, c] = [client('alice', 1), client('bob', 2), client('carol', 3)];
    await send([a.command(room, { type: 'Join', metadata: '', resume: null })]);
    await waitFor(() => a.inbox().events.some((e) => e.body.type === 'JoinAccepted'), { message: 'alice joined' });
    await send([
      b.command(room, { type: 'Join', metadata: '', resume: null }),
      c.command(room, { type: 'Join', metadata: '', resume: null }),
    ]);
    await waitFor(() => c.inbox().events.some((e) => e.body.type === 'JoinAccepted'), { message: 'carol joined' });
    const messages = Array.from({ length: 30 }, (_, i) =>
      [a, b, c][i % 3]!.command(room, { type: 'SendData', to: [], payload: `m${i}`, topic: null }),
    );
    await send(messages);
    await waitFor(
      () => [a, b, c].every((x) => x.inbox().events.filter((e) => e.body.type === 'DataRelayed').length >= 20),
      {
        message: 'every client received the 20 messages of the two others',
      },
    );
    // Everyone saw the shared facts in the same order: compare the data messages' global order.
    const order = (x: typeof a) =>
      x
        .inbox()
        .events.filter((e) => e.body.type === 'DataRelayed')
        .map((e) => e.seq);
    for (const x of [a, b, c]) {
      const seqs = x.inbox().seqs();
      expect(seqs).toEqual([...seqs].sort((p, q) => p - q));
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    const all = new Set([...order(a), ...order(b), ...order(c)]);
    expect(all.size).toBe(30);
    // No client sees `left` before `joined`: bob leaves; alice saw bob's join first.
    await send([b.command(room, { type: 'Leave' })]);
    await waitFor(() => a.inbox().events.some((e) => e.body.type === 'ParticipantLeft'), {
      message: 'alice saw bob leave',
    });
    const types = a.inbox().events.map((e) => e.body.type);
    expect(types.lastIndexOf('ParticipantJoined')).toBeLessThan(types.indexOf('ParticipantLeft'));
  });

  it('SIGKILL during a burst of 10,000 messages loses and duplicates nothing', { timeout: 180_000 }, async () => {
    const room = `burst-${randomUUID()}`;
    const [sender, r1, r2] = [client('sender', 10), client('r1', 11), client('r2', 12)];
    await send([sender, r1, r2].map((x) => x.command(room, { type: 'Join', metadata: '', resume: null })));
    await waitFor(() => r2.inbox().events.some((e) => e.body.type === 'JoinAccepted'), { message: 'all joined' });
    const N = 10_000;
    const burst = Array.from({ length: N }, (_, i) =>
      sender.command(room, { type: 'SendData', to: [], payload: String(i), topic: null }),
    );
    const received = (x: typeof r1) => x.inbox().events.filter((e) => e.body.type === 'DataRelayed');
    const sending = send(burst);
    // Kill mid-burst, once the projector demonstrably started on it.
    await waitFor(() => r1.inbox().events.filter((e) => e.body.type === 'DataRelayed').length > 500, {
      timeoutMs: 30_000,
      message: 'burst under way',
    });
    await projectors[0]!.kill();
    const atKill = received(r1).length;
    await sending;
    projectors.push(await ServiceProcess.start('projector', env()));
    // The crash happened mid-burst: the restarted projector had work left to do.
    expect(atKill).toBeLessThan(N);
    await waitFor(() => received(r1).length >= N && received(r2).length >= N, {
      timeoutMs: 120_000,
      message: `both recipients received ${N} messages`,
    });
    for (const x of [r1, r2]) {
      const payloads = received(x).map((e) => (e.body.type === 'DataRelayed' ? e.body.payload : ''));
      expect(payloads.length).toBe(N); // nothing duplicated
      expect(payloads).toEqual(burst.map((_, i) => String(i))); // nothing lost, in order
      const seqs = x.inbox().seqs();
      expect(seqs).toEqual([...seqs].sort((p, q) => p - q));
    }
  });

  it(
    'a restarted projector rebuilds from the snapshot and the tail, and serves resume exactly',
    { timeout: 180_000 },
    async () => {
      const room = `resume-${randomUUID()}`;
      const [alice, bob] = [client('alice2', 20), client('bob2', 21)];
      await send([alice, bob].map((x) => x.command(room, { type: 'Join', metadata: '', resume: null })));
      await waitFor(() => bob.inbox().events.some((e) => e.body.type === 'JoinAccepted'), { message: 'bob joined' });
      const joined = bob.inbox().events.find((e) => e.body.type === 'JoinAccepted')!;
      const bobSession = joined.body.type === 'JoinAccepted' ? joined.body.self.sessionId : '';
      // A long history: enough events for several snapshot rounds.
      await send(
        Array.from({ length: 600 }, (_, i) =>
          alice.command(room, { type: 'SendData', to: [], payload: `h${i}`, topic: null }),
        ),
      );
      await waitFor(() => bob.inbox().events.filter((e) => e.body.type === 'DataRelayed').length === 600, {
        timeoutMs: 30_000,
        message: 'bob got the history',
      });
      const lastSeq = bob.inbox().events.at(-1)!.seq;

      // Bob's socket dies (unclean); alice keeps talking while he is away.
      await send([bob.command(room, { type: 'ConnectionClosed', reason: 'HEARTBEAT_TIMEOUT', clean: false })]);
      const missed = Array.from({ length: 25 }, (_, i) =>
        alice.command(room, { type: 'SendData', to: [], payload: `missed${i}`, topic: null }),
      );
      await send(missed);
      await waitFor(() => alice.inbox().events.some((e) => e.body.type === 'ParticipantConnectionChanged'), {
        message: 'alice saw bob reconnecting',
      });

      // Restart every projector: the new one must rebuild before serving the resume.
      const before = projectors.splice(0);
      await Promise.all(before.map((p) => p.stop()));
      const fresh = await ServiceProcess.start('projector', env());
      projectors.push(fresh);

      // Bob resumes on another edge with the last sequence he saw.
      const bobAgain = client('bob2', 22, 'conn-bob2-resumed');
      await send([bobAgain.command(room, { type: 'Join', metadata: '', resume: { sessionId: bobSession, lastSeq } })]);
      await waitFor(() => bobAgain.inbox().events.some((e) => e.body.type === 'ParticipantResumed'), {
        timeoutMs: 60_000,
        message: 'bob resumed',
      });
      const got = bobAgain.inbox().events;
      const payloads = got.flatMap((e) => (e.body.type === 'DataRelayed' ? [e.body.payload] : []));
      expect(payloads).toEqual(missed.map((_, i) => `missed${i}`)); // exactly the missed ones, in order
      expect(got.at(-1)!.body.type).toBe('ParticipantResumed');
      expect(got.every((e) => e.seq > lastSeq)).toBe(true);

      // The rebuild read snapshots and only the tails of the logs: the partitions hold more than
      // 10,600 room events (the burst and this history), far more than were replayed.
      const tail = await metricValue(fresh, 'signal_projector_rebuild_events_total{source="tail_after_snapshot"');
      const full = await metricValue(fresh, 'signal_projector_rebuild_events_total{source="full_log"');
      expect(tail).toBeGreaterThan(0);
      expect(tail + full).toBeLessThan(1000);
    },
  );

  it('an undecodable command lands in the dead-letter topic with its reason, and consumption continues', async () => {
    const room = `dlq-${randomUUID()}`;
    const someone = client('dlq-user', 30);
    const unknownSchema = Buffer.concat([
      Buffer.from([0xc3, 0x01]),
      Buffer.from('0123456789abcdef', 'hex'),
      Buffer.from([2, 4, 6]),
    ]);
    await producer.send({
      topic: topicName('commands', prefix),
      acks: -1,
      messages: [
        { key: room, value: unknownSchema },
        { key: room, value: Buffer.from('{"not":"avro"}') },
      ],
    });
    await send([someone.command(room, { type: 'Join', metadata: '', resume: null })]);
    await waitFor(() => someone.inbox().events.some((e) => e.body.type === 'JoinAccepted'), {
      message: 'the valid command after the bad ones was processed',
    });

    const dlqCodec = new AvroCodec(schemas, 'signal.DeadLetter');
    const letters: Array<ReturnType<typeof dlqCodec.decode>> = [];
    const dlq = kafka.consumer({ groupId: `${prefix}dlq-reader`, maxWaitTimeInMs: 50 });
    await dlq.connect();
    await dlq.subscribe({ topic: topicName('deadLetters', prefix), fromBeginning: true });
    await dlq.run({ eachMessage: async ({ message }) => void letters.push(dlqCodec.decode(message.value!)) });
    try {
      await waitFor(() => letters.filter((l) => l.key?.toString() === room).length === 2, {
        message: 'two dead letters for the room',
      });
    } finally {
      await dlq.disconnect();
    }
    const mine = letters.filter((l) => l.key?.toString() === room);
    expect(mine.map((l) => l.reason)).toEqual(['UNKNOWN_FINGERPRINT', 'NOT_SINGLE_OBJECT']);
    expect(mine[0]!.value.equals(unknownSchema)).toBe(true);
    expect(mine[0]).toMatchObject({ topic: topicName('commands', prefix), consumer: `${prefix}projector` });
  });
});
