/**
 * Byte budgets for what the projector writes. A Kafka broker refuses a record batch larger than
 * `message.max.bytes` (1 MiB by default) with a non-retriable error; a transaction that hits it
 * is aborted and retried forever, which wedges the partition and every room on it. So neither
 * one record (a resume's missed events) nor one produce request's batch per partition (a chunk of
 * large data messages) may grow with the traffic: both are split under these budgets.
 */

/** Largest sum of event bytes in one RESUME delivery record. */
export const RESUME_CHUNK_BYTES = 256 * 1024;

/** Largest room snapshot written; a larger one skips the snapshot round (partition-worker.ts). */
export const SNAPSHOT_MAX_BYTES = 900 * 1024;

/** Largest sum of record value bytes in one produce request of a transaction. */
export const PRODUCE_CHUNK_BYTES = 512 * 1024;

/**
 * Splits `items` in order into consecutive groups whose `size` sum stays within `maxBytes`; an item
 * larger than the budget gets a group of its own. Never returns an empty group.
 */
export function chunkByBytes<T>(items: readonly T[], size: (item: T) => number, maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (current.length > 0 && bytes + n > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
