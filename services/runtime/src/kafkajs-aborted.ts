/**
 * Correct read_committed filtering for kafkajs 2.2.4 (unmaintained; this is the last release).
 *
 * A fetch response lists the aborted transactions overlapping the fetched range, in the order
 * their abort markers were written, not in the order they started. kafkajs' filter
 * (`src/consumer/filterAbortedMessages.js`) assumes that list is sorted by first offset and takes
 * at most one entry per record, so when two producers' transactions on one partition are aborted
 * in the other order than they began, or when several began before the fetched offset, records
 * of an aborted transaction are handed to the application. On `signal.deliveries` (written by
 * every `projector-<p>`) that happens when a dead projector's open transactions are aborted by
 * the survivors: its undone deliveries reached clients, then again as redecided by the new owner,
 * with the same `seq` (docs/operations-faults.md, finding 6).
 *
 * The fix follows the Java consumer (`CompletedFetch`): sort the aborted list by first offset,
 * before each record mark every producer whose aborted transaction has begun, drop transactional
 * records of marked producers, unmark a producer at its abort marker. It runs on the decoded fetch
 * response, before kafkajs builds its batches: aborted records are flagged as control records
 * (which kafkajs never hands out but counts for offsets, so a fetch made only of aborted records
 * still moves the consumer forward) and the aborted list is emptied so kafkajs' filter is a no-op.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** One entry of a fetch response's aborted-transaction list. */
export interface AbortedTransaction {
  readonly producerId: string;
  readonly firstOffset: string;
}

/** The fields of a decoded kafkajs record the filter reads (and `isControlRecord`, which it sets). */
export interface FetchedRecord {
  readonly offset: string;
  readonly key?: Buffer | null;
  isControlRecord?: boolean;
  readonly batchContext?: { readonly producerId: string; readonly inTransaction: boolean };
}

/** Control record key: version (int16) then type (int16), 0 = ABORT, 1 = COMMIT. */
function isAbortMarker(record: FetchedRecord): boolean {
  const key = record.key;
  return record.isControlRecord === true && key != null && key.length >= 4 && key.readInt16BE(2) === 0;
}

/**
 * The records of `records` (one partition of one fetch, in offset order) that belong to an
 * aborted transaction of `aborted`. Pure; the Java consumer's algorithm.
 */
export function abortedRecords<T extends FetchedRecord>(
  records: readonly T[],
  aborted: readonly AbortedTransaction[],
): Set<T> {
  const out = new Set<T>();
  if (aborted.length === 0) return out;
  const pending = aborted
    .map((t) => ({ producerId: t.producerId, firstOffset: BigInt(t.firstOffset) }))
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<string>();
  let next = 0;
  for (const record of records) {
    const offset = BigInt(record.offset);
    while (next < pending.length && pending[next]!.firstOffset <= offset)
      abortedProducers.add(pending[next++]!.producerId);
    const producerId = record.batchContext?.producerId;
    if (producerId === undefined) continue;
    if (record.isControlRecord === true) {
      if (isAbortMarker(record)) abortedProducers.delete(producerId);
    } else if (record.batchContext?.inTransaction === true && abortedProducers.has(producerId)) {
      out.add(record);
    }
  }
  return out;
}

/** The decoded shape of a kafkajs fetch response (v4 and later), as far as the fix needs it. */
interface FetchResponse {
  readonly responses: readonly {
    readonly partitions: readonly { abortedTransactions?: AbortedTransaction[]; messages: FetchedRecord[] }[];
  }[];
}

/** Applies the filter to a decoded fetch response in place (see the module comment). */
export function filterAbortedInResponse(response: FetchResponse): void {
  for (const topic of response.responses) {
    for (const partition of topic.partitions) {
      const aborted = partition.abortedTransactions;
      if (aborted === undefined || aborted.length === 0) continue;
      for (const record of abortedRecords(partition.messages, aborted)) record.isControlRecord = true;
      partition.abortedTransactions = [];
    }
  }
}

type Decode = (raw: Buffer) => Promise<FetchResponse>;
const PATCHED = Symbol.for('sig.kafkajs.abortedFilter');
// Fetch versions whose responses carry aborted transactions (read_committed exists since v4).
const FETCH_VERSIONS = [4, 5, 6, 7, 8, 9, 10, 11];

/**
 * Installs the corrected filter into the loaded kafkajs (idempotent; every client of the process
 * shares the module). Throws when kafkajs' layout is not the one this was written for: reading
 * aborted records silently would be worse than not starting.
 */
export function installKafkaJsAbortedFilter(): void {
  if (installed) return;
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('kafkajs'));
  // Load every version first: some re-export another version's `decode`, captured at load time.
  const modules = FETCH_VERSIONS.map((v) => {
    const file = join(root, 'src', 'protocol', 'requests', 'fetch', `v${v}`, 'response.js');
    return { file, exports: require(file) as { decode?: unknown; [PATCHED]?: true } };
  });
  for (const { file, exports } of modules) {
    if (exports[PATCHED]) continue;
    const decode = exports.decode;
    if (typeof decode !== 'function') throw new Error(`kafkajs layout changed: ${file} has no decode()`);
    const original = decode as Decode;
    exports.decode = async (raw: Buffer): Promise<FetchResponse> => {
      const response = await original(raw);
      filterAbortedInResponse(response);
      return response;
    };
    exports[PATCHED] = true;
  }
  installed = true;
}
let installed = false;
