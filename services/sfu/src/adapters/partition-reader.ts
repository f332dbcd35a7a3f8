/**
 * Reads chosen partitions of a topic from the beginning up to their end at call time, outside
 * the worker's consumer group. kafkajs has no manual assignment: a private, single-member group
 * whose assigner hands out exactly those partitions is the supported way (the group is deleted
 * afterwards).
 */
import { randomUUID } from 'node:crypto';
import kafkajs, { type Kafka, type KafkaMessage, type PartitionAssigner } from 'kafkajs';
import { createConsumer } from '@sig/runtime';

/** An assigner giving the group's only member exactly `partitions` of `topic`. */
export function fixedPartitionsAssigner(topic: string, partitions: readonly number[]): PartitionAssigner {
  const { MemberMetadata, MemberAssignment } = kafkajs.AssignerProtocol;
  return () => ({
    name: 'FixedPartitions',
    version: 1,
    protocol: ({ topics }) => ({
      name: 'FixedPartitions',
      metadata: MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    }),
    assign: ({ members }) =>
      Promise.resolve(
        members.map(({ memberId }) => ({
          memberId,
          memberAssignment: MemberAssignment.encode({
            version: 1,
            assignment: { [topic]: [...partitions] },
            userData: Buffer.alloc(0),
          }),
        })),
      ),
  });
}

/** Options of `readPartitions`. */
export interface ReadPartitionsOptions {
  readonly groupPrefix: string;
  readonly timeoutMs: number;
}

/** Calls `onMessage` for every record of `partitions` from the log start to the end at call time. */
export async function readPartitions(
  kafka: Kafka,
  topic: string,
  partitions: readonly number[],
  onMessage: (partition: number, message: KafkaMessage) => void,
  options: ReadPartitionsOptions,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  let starts: Map<number, bigint>;
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    starts = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const pending = new Set(partitions.filter((p) => (ends.get(p) ?? 0n) > (starts.get(p) ?? 0n)));
  if (pending.size === 0) return;

  const wanted = [...pending];
  const groupId = `${options.groupPrefix}sfu-recovery-${randomUUID()}`;
  const consumer = createConsumer(kafka, { groupId, partitionAssigners: [fixedPartitionsAssigner(topic, wanted)] });
  let finish: () => void = () => undefined;
  let fail: (err: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  // A batch may end in transaction markers, which eachBatch never sees: END_BATCH_PROCESS
  // reports their offsets too, so it is the reliable end-of-partition signal.
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    const { partition, lastOffset } = e.payload;
    if (pending.has(partition) && BigInt(lastOffset) + 1n >= ends.get(partition)!) {
      pending.delete(partition);
      if (pending.size === 0) finish();
    }
  });
  const timer = setTimeout(
    () =>
      fail(new Error(`reading ${topic} partitions ${wanted.join(',')} did not finish within ${options.timeoutMs} ms`)),
    options.timeoutMs,
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
    for (const p of wanted) consumer.seek({ topic, partition: p, offset: starts.get(p)!.toString() });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await deleteGroup(kafka, groupId);
  }
}

async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // Best effort: an empty group expires on its own (offsets.retention.minutes).
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
