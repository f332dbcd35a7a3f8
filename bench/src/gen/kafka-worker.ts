/**
 * Scenario 7 in its own process: one Kafka client library (`kafkajs` or `@platformatic/kafka`)
 * under our settings — idempotent producer, acks=all, read_committed consumer with a 100 ms
 * max wait (services/runtime/src/kafka.ts) — on a fresh one-partition topic.
 *   1. hop latency: messages produced one per send at a fixed rate, not awaited in order
 *      (like independent client requests), latency = consumed − intended send time;
 *   2. throughput: `count` 300-byte messages in sends of 500, one send in flight (the edge's
 *      CommandLog pattern), produce rate; then the rate at which a consumer reads them all.
 * argv: <client> <brokers> <topic> <rate> <latencyMs> <count>. Prints one JSON result line.
 */
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Consumer, FetchIsolationLevels, Producer, type MessagesStream } from '@platformatic/kafka';
import kafkajs from 'kafkajs';

const [
  client = 'kafkajs',
  brokersArg = '127.0.0.1:19092',
  topic = 'bench',
  rateArg = '500',
  latencyMsArg = '3000',
  countArg = '20000',
] = process.argv.slice(2);
const brokers = brokersArg.split(',');
const rate = Number(rateArg);
const latencyMs = Number(latencyMsArg);
const count = Number(countArg);
const PAYLOAD = Buffer.alloc(300, 'x');

/** What the scenario needs from a client library. */
interface Client {
  /** Starts consuming `topic` from the beginning; `onMessage(value)` per record; resolves when assigned. */
  consume(group: string, onMessage: (value: Buffer) => void): Promise<void>;
  send(values: Buffer[]): Promise<void>;
  close(): Promise<void>;
}

async function kafkajsClient(): Promise<Client> {
  const { Kafka, logLevel } = kafkajs;
  const kafka = new Kafka({
    clientId: 'bench',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
  await producer.connect();
  const consumers: kafkajs.Consumer[] = [];
  return {
    async consume(group, onMessage) {
      const consumer = kafka.consumer({
        groupId: group,
        maxWaitTimeInMs: 100,
        sessionTimeout: 10_000,
        heartbeatInterval: 3000,
        readUncommitted: false,
      });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.run({
        eachBatch: ({ batch }) => {
          for (const m of batch.messages) if (m.value) onMessage(m.value);
          return Promise.resolve();
        },
      });
      await joined;
    },
    async send(values) {
      await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
    },
    async close() {
      await Promise.all(consumers.map((c) => c.disconnect()));
      await producer.disconnect();
    },
  };
}

function platformaticClient(): Client {
  const producer = new Producer({
    clientId: 'bench',
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: -1,
    autocreateTopics: false,
  });
  const consumers: Consumer[] = [];
  const streams: MessagesStream<Buffer, Buffer, Buffer, Buffer>[] = [];
  return {
    async consume(group, onMessage) {
      const consumer = new Consumer({
        groupId: group,
        clientId: 'bench',
        bootstrapBrokers: brokers,
        maxWaitTime: 100,
        sessionTimeout: 10_000,
        heartbeatInterval: 3000,
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      });
      consumers.push(consumer);
      const joined = once(consumer, 'consumer:group:join');
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true });
      streams.push(stream);
      stream.on('data', (m) => onMessage(m.value));
      await Promise.race([
        joined,
        new Promise((_, reject) => setTimeout(() => reject(new Error('no group join in 30 s')), 30_000)),
      ]);
    },
    async send(values) {
      await producer.send({ messages: values.map((value) => ({ topic, value })) });
    },
    async close() {
      await Promise.all(streams.map((s) => s.close()));
      await Promise.all(consumers.map((c) => c.close(true)));
      await producer.close();
    },
  };
}

const lib = client === 'kafkajs' ? await kafkajsClient() : platformaticClient();

// 1. Hop latency.
const latencies: number[] = [];
let errors = 0;
let warmedUp = false;
await lib.consume(`bench-lat-${process.pid}`, (value) => {
  if (value.length === 16 && value.readUInt32LE(12) === 0xbe9c4)
    latencies.push(performance.now() - value.readDoubleLE(0));
  if (value.length === 16 && value.readUInt32LE(12) === 0xa11) warmedUp = true;
});
// The consumer's first fetch can come seconds after its group join: wait until a record made it
// through, so the latency phase measures the steady hop, not the start-up.
const warmDeadline = performance.now() + 60_000;
while (!warmedUp) {
  if (performance.now() > warmDeadline) throw new Error('no record consumed within 60 s of the group join');
  const warm = Buffer.alloc(16);
  warm.writeUInt32LE(0xa11, 12);
  await lib.send([warm]);
  await new Promise((r) => setTimeout(r, 200));
}
const total = Math.round((latencyMs / 1000) * rate);
const start = performance.now() + 10;
const sends: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const at = start + (i * 1000) / rate;
  const wait = at - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  const value = Buffer.alloc(16);
  value.writeDoubleLE(at, 0);
  value.writeUInt32LE(0xbe9c4, 12);
  sends.push(lib.send([value]).catch(() => void errors++));
}
await Promise.all(sends);
const deadline = performance.now() + 15_000;
while (latencies.length < total - errors && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));

// 2. Throughput: produce in sends of 500, one in flight.
const t0 = performance.now();
for (let sent = 0; sent < count; sent += 500) {
  await lib.send(Array.from({ length: Math.min(500, count - sent) }, () => PAYLOAD));
}
const produceMs = performance.now() - t0;
let consumed = 0;
const t1 = performance.now();
await lib.consume(`bench-tp-${process.pid}`, (value) => value.length === 300 && consumed++);
const consumeDeadline = performance.now() + 120_000;
while (consumed < count && performance.now() < consumeDeadline) await new Promise((r) => setTimeout(r, 10));
const consumeMs = performance.now() - t1;
await lib.close();

process.stdout.write(
  JSON.stringify({
    msg: 'result',
    client,
    latency: { sent: total, received: latencies.length, errors, samples: latencies },
    throughput: {
      count,
      produceMsgPerS: Math.round(count / (produceMs / 1000)),
      consumed,
      consumeMsgPerS: Math.round(consumed / (consumeMs / 1000)),
      consumeIncludesGroupJoin: true,
    },
  }) + '\n',
  // Exit once the line is flushed: a large write to a pipe can still be queued when write() returns.
  () => process.exit(0),
);
