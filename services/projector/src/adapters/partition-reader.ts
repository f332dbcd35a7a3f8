import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { createConsumer } from '@sig/runtime';
import { fixedPartitionsAssigner } from './fixed-assigner.js';

/** Reads chosen partitions of a topic from given offsets up to their end at call time. */
export async function readPartitionsToEnd(
  kafka: Kafka,
  topic: string,
  from: ReadonlyMap<number, bigint>,
  onMessage: (partition: number, message: KafkaMessage) => void,
  options: { groupPrefix: string; timeoutMs?: number },
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  // Partitions with nothing to read past `from` are done already.
  const pending = new Set([...from].filter(([p, offset]) => (ends.get(p) ?? 0n) > offset).map(([p]) => p));
  if (pending.size === 0) return;

  const partitions = [...pending];
  const consumer = createConsumer(kafka, {
    groupId: `${options.groupPrefix}reader-${randomUUID()}`,
    partitionAssigners: [fixedPartitionsAssigner(topic, partitions)],
  });
  const timeoutMs = options.timeoutMs ?? 120_000;
  let finish: () => void = () => undefined;
  let fail: (err: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  // A batch may end in control records (transaction markers), which eachBatch never sees:
  // END_BATCH_PROCESS reports their offsets too, so it is the reliable end-of-partition signal.
  const reached = (partition: number, lastOffset: string) => {
    if (pending.has(partition) && BigInt(lastOffset) + 1n >= ends.get(partition)!) {
      pending.delete(partition);
      if (pending.size === 0) finish();
    }
  };
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => reached(e.payload.partition, e.payload.lastOffset));
  const timer = setTimeout(
    () =>
      fail(
        new Error(`reading ${topic} partitions ${partitions.join(',')} did not reach the end within ${timeoutMs} ms`),
      ),
    timeoutMs,
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) onMessage(batch.partition, message);
        await Promise.resolve();
      },
    });
    for (const p of partitions) consumer.seek({ topic, partition: p, offset: from.get(p)!.toString() });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}
