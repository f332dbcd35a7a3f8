/**
 * The edge's reply slot: the partition of `signal.deliveries` it consumes. By default it is a
 * stable hash of the edge id, so a restarted edge with the same id finds the same slot and the
 * projector's routing (which stores the slot with each participant) stays valid. Two edges that
 * land on one slot still work: each drops the other's records (see docs/architecture.md).
 */

/** 32-bit FNV-1a of the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The slot of `edgeId` among `partitions` delivery partitions. */
export function defaultReplySlot(edgeId: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  return fnv1a32(edgeId) % partitions;
}
