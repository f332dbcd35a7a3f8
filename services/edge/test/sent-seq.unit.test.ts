import { describe, expect, it } from 'vitest';
import type { RoomEvent } from '@sig/schemas';
import { unsentEvents } from '../src/domain/sent-seq.js';

const event = (seq: number) => ({ seq }) as RoomEvent;
const seqs = (events: readonly RoomEvent[]) => events.map((e) => e.seq);

describe('unsentEvents: a connection never gets the same room seq twice', () => {
  it('passes everything on a fresh connection and remembers the highest seq', () => {
    const r = unsentEvents([event(1), event(2)], 'room', null);
    expect(seqs(r.fresh)).toEqual([1, 2]);
    expect(r.sent).toEqual({ room: 'room', seq: 2 });
  });

  it('drops a delivery record read twice (the log holds it twice after a broker restart)', () => {
    const first = unsentEvents([event(17)], 'room', { room: 'room', seq: 16 });
    const again = unsentEvents([event(17)], 'room', first.sent);
    expect(seqs(first.fresh)).toEqual([17]);
    expect(seqs(again.fresh)).toEqual([]);
    expect(again.sent).toEqual({ room: 'room', seq: 17 });
  });

  it('keeps the unsent tail of a record that overlaps what was sent', () => {
    const r = unsentEvents([event(17), event(18), event(19)], 'room', { room: 'room', seq: 18 });
    expect(seqs(r.fresh)).toEqual([19]);
  });

  it('starts afresh for another room (the connection left and joined another)', () => {
    const r = unsentEvents([event(1)], 'other', { room: 'room', seq: 40 });
    expect(seqs(r.fresh)).toEqual([1]);
    expect(r.sent).toEqual({ room: 'other', seq: 1 });
  });
});
