import type { Producer } from 'kafkajs';
import { topicName, type RoomSnapshot } from '@sig/schemas';
import { chunkByBytes, PRODUCE_CHUNK_BYTES, SNAPSHOT_MAX_BYTES } from './chunk.js';
import { checkpointKey, type PartitionProjection } from './partition-projection.js';
import type { WorkerContext } from './partition-worker.js';

/**
 * Writes snapshots of the partition's changed rooms plus the partition checkpoint, inside the open
 * transaction, once `snapshotEveryEvents` events were applied since the last round.
 */
export async function writeSnapshotRound(
  txn: { send: Producer['send'] },
  projection: PartitionProjection,
  ctx: Pick<WorkerContext, 'snapshotEveryEvents' | 'codecs' | 'logger' | 'topicPrefix'>,
  partition: number,
  now: number,
): Promise<void> {
  const every = ctx.snapshotEveryEvents;
  if (every <= 0 || projection.eventsSinceSnapshot < every || projection.lastEventOffset === null) return;
  const offset = projection.lastEventOffset;
  const snapshots = projection.takeSnapshots(offset, now);
  const codec = ctx.codecs.snapshot;
  const records = snapshots.map((s) => ({ key: s.room, value: codec.encode(s), partition }));
  const tooLarge = records.filter((r) => r.value.length > SNAPSHOT_MAX_BYTES);
  if (tooLarge.length > 0) {
    // A room snapshot carries the room's resume window; one over the broker's record limit would
    // fail the transaction forever. Skip this round (the rooms stay dirty, no checkpoint): a
    // rebuild then replays from the previous checkpoint, slower but exact.
    projection.markDirty(snapshots.map((s) => s.room));
    ctx.logger.warn(
      { partition, rooms: tooLarge.map((r) => r.key), bytes: tooLarge.map((r) => r.value.length) },
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
    messages: [{ key: checkpointKey(partition), value: codec.encode(checkpoint), partition }],
  });
}
