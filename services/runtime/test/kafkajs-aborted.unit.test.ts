import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import {
  abortedRecords,
  filterAbortedInResponse,
  installKafkaJsAbortedFilter,
  type FetchedRecord,
} from '../src/kafkajs-aborted.js';

/** A data record of `producer` (transactional unless said otherwise) at `offset`. */
const rec = (offset: number, producerId: string, inTransaction = true): FetchedRecord & { name: string } => ({
  name: `${producerId}@${offset}`,
  offset: String(offset),
  key: Buffer.from('room'),
  isControlRecord: false,
  batchContext: { producerId, inTransaction },
});
/** A control record: abort (type 0) or commit (type 1) marker. */
const marker = (offset: number, producerId: string, type: 'abort' | 'commit'): FetchedRecord & { name: string } => ({
  name: `${type}:${producerId}@${offset}`,
  offset: String(offset),
  key: Buffer.from([0, 0, 0, type === 'abort' ? 0 : 1]),
  isControlRecord: true,
  batchContext: { producerId, inTransaction: true },
});
const names = (s: Set<FetchedRecord & { name: string }>) => [...s].map((r) => r.name);

describe('abortedRecords (the Java consumer algorithm)', () => {
  test('transactions aborted in another order than they began are all dropped (kafkajs kept P1@0)', () => {
    const records = [rec(0, 'P1'), rec(1, 'P2'), rec(2, 'P1'), marker(3, 'P2', 'abort'), marker(4, 'P1', 'abort')];
    // The broker lists them in marker order: P2 first.
    const aborted = [
      { producerId: 'P2', firstOffset: '1' },
      { producerId: 'P1', firstOffset: '0' },
    ];
    expect(names(abortedRecords(records, aborted))).toEqual(['P1@0', 'P2@1', 'P1@2']);
  });

  test('several transactions begun before the fetched offset are all dropped from the first record', () => {
    const records = [rec(10, 'P2'), rec(11, 'P1'), marker(12, 'P1', 'abort'), marker(13, 'P2', 'abort')];
    const aborted = [
      { producerId: 'P1', firstOffset: '3' },
      { producerId: 'P2', firstOffset: '5' },
    ];
    expect(names(abortedRecords(records, aborted))).toEqual(['P2@10', 'P1@11']);
  });

  test("a producer's committed transaction after its aborted one is kept", () => {
    const records = [rec(0, 'P'), marker(1, 'P', 'abort'), rec(2, 'P'), marker(3, 'P', 'commit'), rec(4, 'Q')];
    expect(names(abortedRecords(records, [{ producerId: 'P', firstOffset: '0' }]))).toEqual(['P@0']);
  });

  test('committed and non-transactional records interleaved with an aborted transaction are kept', () => {
    const records = [rec(0, 'A'), rec(1, 'C'), rec(2, 'N', false), marker(3, 'C', 'commit'), marker(4, 'A', 'abort')];
    expect(names(abortedRecords(records, [{ producerId: 'A', firstOffset: '0' }]))).toEqual(['A@0']);
  });

  test('a data record whose key looks like an abort marker does not end the aborted transaction', () => {
    const lookalike = { ...rec(1, 'P'), key: Buffer.from([0, 0, 0, 0]) };
    const records = [rec(0, 'P'), lookalike, marker(2, 'P', 'abort')];
    expect(abortedRecords(records, [{ producerId: 'P', firstOffset: '0' }]).size).toBe(2);
  });

  test('no aborted transactions: nothing dropped', () => {
    expect(abortedRecords([rec(0, 'P')], []).size).toBe(0);
  });
});

describe('filterAbortedInResponse', () => {
  test('flags aborted records as control records (kafkajs skips them but counts their offsets) and empties the list', () => {
    const partition = {
      abortedTransactions: [{ producerId: 'P', firstOffset: '0' }],
      messages: [rec(0, 'P'), marker(1, 'P', 'abort'), rec(2, 'Q')],
    };
    filterAbortedInResponse({ responses: [{ partitions: [partition] }] });
    expect(partition.abortedTransactions).toEqual([]);
    expect(partition.messages.map((m) => m.isControlRecord)).toEqual([true, true, false]);
  });
});

describe('installKafkaJsAbortedFilter', () => {
  test('wraps the decode of every kafkajs fetch response that carries aborted transactions, once', () => {
    const require = createRequire(import.meta.url);
    const v11 = require('kafkajs/src/protocol/requests/fetch/v11/response.js') as { decode: unknown };
    const v6 = require('kafkajs/src/protocol/requests/fetch/v6/response.js') as { decode: unknown };
    installKafkaJsAbortedFilter();
    const wrapped = v11.decode;
    expect(wrapped).not.toBe(undefined);
    expect(Object.getOwnPropertySymbols(v11)).toContain(Symbol.for('sig.kafkajs.abortedFilter'));
    expect(Object.getOwnPropertySymbols(v6)).toContain(Symbol.for('sig.kafkajs.abortedFilter'));
    installKafkaJsAbortedFilter();
    expect(v11.decode).toBe(wrapped);
  });
});
