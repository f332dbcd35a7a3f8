/**
 * Room snapshots of a partition (compacted `signal.snapshots`): read at rebuild, written inside the
 * processing transaction every `SNAPSHOT_EVERY_EVENTS` events (docs/architecture.md).
 */
import type { Producer } from 'kafkajs';
import { readPartitionsToEnd } from '@sig/runtime';
import { topicName, type RoomSnapshot } from '@sig/schemas';
import { chunkByBytes, PRODUCE_CHUNK_BYTES, SNAPSHOT_MAX_BYTES } from './chunk.js';
import { checkpointKey, type PartitionProjection } from './partition-projection.js';
import type { WorkerContext } from './partition-worker.js';

/** What reading and writing snapshots needs of the worker's context. */
export type SnapshotContext = Pick<
  WorkerContext,
  'kafka' | 'logger' | 'topicPrefix' | 'codecs' | 'snapshotEveryEvents'
>;

/** Latest snapshot of every room of the partition, and the partition checkpoint (compacted topic). */
export async function readSnapshots(
  ctx: SnapshotContext,
  partition: number,
): Promise<{ snapshots: Map<string, RoomSnapshot>; checkpoint: RoomSnapshot | null }> {
  const latest = new Map<string, RoomSnapshot>();
  await readPartitionsToEnd(
    ctx.kafka,
    topicName('snapshots', ctx.topicPrefix),
    new Map([[partition, 'earliest' as const]]),
    (_p, message) => {
      if (!message.value || !message.key) return;
      latest.set(message.key.toString(), ctx.codecs.snapshot.decode(message.value));
    },
    { groupPrefix: ctx.topicPrefix, label: 'projector-rebuild', timeoutMs: 120_000 },
  );
  const key = checkpointKey(partition);
  const checkpoint = latest.get(key) ?? null;
  latest.delete(key);
  // Without a checkpoint the whole log is replayed, so room snapshots are not needed.
  return { snapshots: checkpoint ? latest : new Map<string, RoomSnapshot>(), checkpoint };
}

/** Writes snapshots of changed rooms plus the partition checkpoint, inside the open transaction. */
export async function writeSnapshots(
  txn: { send: Producer['send'] },
  projection: PartitionProjection,
  ctx: SnapshotContext,
  partition: number,
  now: number,
): Promise<void> {
  const every = ctx.snapshotEveryEvents;
  if (every <= 0 || projection.eventsSinceSnapshot < every || projection.lastEventOffset === null) return;
  const offset = projection.lastEventOffset;
  const snapshots = projection.takeSnapshots(offset, now);
  const codec = ctx.codecs.snapshot;
  const records = snapshots.map((s) => ({ key: s.room, value: codec.encode(s), partition: partition }));
  const tooLarge = records.filter((r) => r.value.length > SNAPSHOT_MAX_BYTES);
  if (tooLarge.length > 0) {
    // A room snapshot carries the room's resume window; one over the broker's record limit would
    // fail the transaction forever. Skip this round (the rooms stay dirty, no checkpoint): a
    // rebuild then replays from the previous checkpoint, slower but exact.
    projection.markDirty(snapshots.map((s) => s.room));
    ctx.logger.warn(
      { partition: partition, rooms: tooLarge.map((r) => r.key), bytes: tooLarge.map((r) => r.value.length) },
      'room snapshot over the record limit: snapshot round skipped',
    );
    return;
  }
  const checkpoint: RoomSnapshot = {
    room: '',
    seq: 0,
    offset: Number(offset),
    takenAt: now,
    stateFormat: 1,
    state: Buffer.alloc(0),
    window: [],
  };
  const topic = topicName('snapshots', ctx.topicPrefix);
  // Several requests when large (see chunk.ts); the checkpoint last, so a reader that sees it
  // has seen the snapshots it vouches for.
  for (const chunk of chunkByBytes(records, (r) => r.value.length, PRODUCE_CHUNK_BYTES))
    await txn.send({ topic, acks: -1, messages: chunk });
  await txn.send({
    topic,
    acks: -1,
    messages: [{ key: checkpointKey(partition), value: codec.encode(checkpoint), partition: partition }],
  });
}
