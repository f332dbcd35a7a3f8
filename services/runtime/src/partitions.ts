/**
 * Reading chosen partitions of a topic outside a service's consumer group (rebuilds, recovery).
 * kafkajs has no manual assignment: a private, single-member group whose assigner hands out
 * exactly those partitions is the supported way; the group is deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage, PartitionAssigner } from 'kafkajs';
import { createConsumer, kafkajs } from './kafka.js';

/** An assigner giving the group's member(s) exactly `partitions` of `topic`. */
export function fixedPartitionsAssigner(topic: string, partitions: readonly number[]): PartitionAssigner {
  const { MemberMetadata, MemberAssignment } = kafkajs().AssignerProtocol;
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

/** Options of `readPartitionsToEnd`. */
export interface ReadPartitionsOptions {
  /** Prefix of the private group id (the topic prefix, so test runs stay apart). */
  readonly groupPrefix: string;
  /** Names the reader in the group id, e.g. `projector-rebuild`. */
  readonly label: string;
  /** Fails the read when the end is not reached in time. */
  readonly timeoutMs: number;
}

/**
 * Calls `onMessage` for every record of the given partitions, from the given offset (`'earliest'`
 * = the log start; never below it) up to the end of each partition at call time. Reads committed
 * data only.
 */
export async function readPartitionsToEnd(
  kafka: Kafka,
  topic: string,
  from: ReadonlyMap<number, bigint | 'earliest'>,
  onMessage: (partition: number, message: KafkaMessage) => void,
  options: ReadPartitionsOptions,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  let starts: Map<number, bigint>;
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const low = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    starts = new Map(
      [...from].map(([p, offset]) => {
        const floor = low.get(p) ?? 0n;
        return [p, offset === 'earliest' || offset < floor ? floor : offset];
      }),
    );
  } finally {
    await admin.disconnect();
  }
  const pending = new Set([...starts].filter(([p, start]) => (ends.get(p) ?? 0n) > start).map(([p]) => p));
  if (pending.size === 0) return;

  const wanted = [...pending];
  const groupId = `${options.groupPrefix}${options.label}-${randomUUID()}`;
  // The start offsets are committed for the (new, empty) group before it runs, rather than sought
  // after `run()`: kafkajs refuses a seek while its consumer is between runs (it restarts it when
  // the group coordinator is still loading, e.g. on a broker that just started), which made a
  // rebuild fail at startup.
  await commitStartOffsets(kafka, groupId, topic, new Map(wanted.map((p) => [p, starts.get(p)!])));
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
      fail(
        new Error(
          `reading ${topic} partitions ${wanted.join(',')} did not reach the end within ${options.timeoutMs} ms`,
        ),
      ),
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
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await deleteGroup(kafka, groupId);
  }
}

async function commitStartOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
  starts: ReadonlyMap<number, bigint>,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [...starts].map(([partition, offset]) => ({ partition, offset: offset.toString() })),
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
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

/**
 * The offset a consumer group resumes `partition` of `topic` from: its committed offset, or the
 * partition's first offset when the group never committed one. Read after the partition's
 * transactional producer was initialised (which completes or aborts the previous owner's
 * transaction), it is stable: no commit of an earlier owner can still land behind it.
 */
export async function committedOffset(
  kafka: Kafka,
  groupId: string,
  topic: string,
  partition: number,
): Promise<bigint> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const offset = committed?.partitions.find((p) => p.partition === partition)?.offset;
    if (offset !== undefined && BigInt(offset) >= 0n) return BigInt(offset);
    const bounds = await admin.fetchTopicOffsets(topic);
    return BigInt(bounds.find((b) => b.partition === partition)?.low ?? '0');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
