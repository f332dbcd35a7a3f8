import { describe, expect, it } from 'vitest';
import { describeViolation, Ledger, payloadIdOf } from './ledger.js';

const ROOM = 'room-1';

/** alice, bob and carol in one room; alice sends `count` messages, all acked. */
function roomOfThree(count: number): Ledger {
  const ledger = new Ledger();
  for (const who of ['alice', 'bob', 'carol']) ledger.join(ROOM, who);
  for (let n = 1; n <= count; n++) {
    ledger.send(ROOM, 'alice', n);
    ledger.ack(`alice.${n}`);
  }
  return ledger;
}

const data = (seq: number, payloadId: string) => ({ type: 'data', seq, from: payloadId.split('.')[0]!, payloadId });

describe('chaos ledger', () => {
  it('is clean when every acked message reaches every recipient once, in order', () => {
    const ledger = roomOfThree(3);
    for (const who of ['bob', 'carol']) {
      ledger.receive(who, ROOM, { type: 'joined', seq: 1 });
      for (let n = 1; n <= 3; n++) ledger.receive(who, ROOM, data(10 + n, `alice.${n}`));
    }
    expect(ledger.outstanding()).toBe(0);
    expect(ledger.check()).toEqual([]);
    expect(ledger.totals()).toMatchObject({ sent: 3, acked: 3, expectedDeliveries: 6, lost: 0, duplicated: 0 });
  });

  it('detects loss and names room, sender, recipient, payload and the seq others saw', () => {
    const ledger = roomOfThree(2);
    ledger.receive('bob', ROOM, data(11, 'alice.1'));
    ledger.receive('bob', ROOM, data(12, 'alice.2'));
    ledger.receive('carol', ROOM, data(11, 'alice.1'));
    expect(ledger.outstanding()).toBe(1);
    const violations = ledger.check();
    expect(violations).toEqual([
      { kind: 'lost', room: ROOM, sender: 'alice', recipient: 'carol', payloadId: 'alice.2', seq: 12 },
    ]);
    expect(describeViolation(violations[0]!)).toBe(
      'lost: room room-1, seq 12, sender alice, recipient carol, payload alice.2 (acked, never delivered)',
    );
    expect(ledger.totals(violations)).toMatchObject({ lost: 1, duplicated: 0 });
  });

  it('detects a duplicate, also when it comes back with a new seq (logged twice)', () => {
    const ledger = roomOfThree(1);
    ledger.receive('bob', ROOM, data(11, 'alice.1'));
    ledger.receive('bob', ROOM, data(12, 'alice.1'));
    ledger.receive('carol', ROOM, data(11, 'alice.1'));
    const violations = ledger.check();
    expect(violations).toEqual([
      { kind: 'duplicate', room: ROOM, sender: 'alice', recipient: 'bob', payloadId: 'alice.1', seq: 12 },
    ]);
    expect(describeViolation(violations[0]!)).toContain('room room-1, seq 12, sender alice, recipient bob');
  });

  it('detects a replayed event (same seq twice across a resume) as out of sequence and duplicate', () => {
    const ledger = roomOfThree(1);
    ledger.receive('bob', ROOM, data(11, 'alice.1'));
    ledger.receive('bob', ROOM, { type: 'resumed', seq: 13 });
    ledger.receive('bob', ROOM, data(11, 'alice.1'));
    ledger.receive('carol', ROOM, data(11, 'alice.1'));
    expect(ledger.check().map((v) => v.kind)).toEqual(['out_of_sequence', 'duplicate']);
  });

  it('detects reordering of one sender’s messages and seq going backwards', () => {
    const ledger = roomOfThree(2);
    ledger.receive('bob', ROOM, data(12, 'alice.2'));
    ledger.receive('bob', ROOM, data(11, 'alice.1'));
    ledger.receive('carol', ROOM, data(11, 'alice.1'));
    ledger.receive('carol', ROOM, data(12, 'alice.2'));
    expect(ledger.check()).toEqual([
      { kind: 'out_of_sequence', room: ROOM, recipient: 'bob', seq: 11, lastSeq: 12, type: 'data' },
      {
        kind: 'reordered',
        room: ROOM,
        sender: 'alice',
        recipient: 'bob',
        payloadId: 'alice.1',
        seq: 11,
        after: 'alice.2',
      },
    ]);
  });

  it('allows an unacked message to arrive once or never, but not twice', () => {
    const ledger = roomOfThree(0);
    ledger.send(ROOM, 'alice', 1); // connection died before the ack: may or may not be in the log
    ledger.send(ROOM, 'alice', 2);
    ledger.refuse('alice.2');
    ledger.receive('bob', ROOM, data(11, 'alice.1'));
    expect(ledger.outstanding()).toBe(0);
    expect(ledger.check()).toEqual([]);
    ledger.receive('bob', ROOM, data(12, 'alice.1'));
    expect(ledger.check().map((v) => v.kind)).toEqual(['duplicate']);
    expect(ledger.totals()).toMatchObject({ sent: 2, acked: 0, refused: 1 });
  });

  it('directed messages: only the listed recipients are owed them; anyone else receiving one is misrouted', () => {
    const ledger = roomOfThree(0);
    ledger.send(ROOM, 'alice', 1, ['bob'], 1000);
    ledger.ack('alice.1');
    expect(ledger.outstanding()).toBe(1);
    expect(ledger.outstanding(1000), 'sent at 1000: not older than 1000').toBe(0);
    ledger.receive('bob', ROOM, data(11, 'alice.1'));
    ledger.receive('carol', ROOM, data(11, 'alice.1'));
    expect(ledger.check()).toEqual([
      { kind: 'misrouted', room: ROOM, sender: 'alice', recipient: 'carol', payloadId: 'alice.1', seq: 11 },
    ]);
  });

  it('reports payloads nobody sent and acked messages the room refused', () => {
    const ledger = roomOfThree(1);
    ledger.reject('alice.1', 'not_in_room', 12);
    ledger.receive('bob', ROOM, data(13, 'mallory.1'));
    expect(ledger.check().map(describeViolation)).toEqual([
      'phantom: room room-1, seq 13, recipient bob, payload mallory.1 (never sent)',
      'rejected after ack: room room-1, seq 12, sender alice, payload alice.1, code not_in_room',
    ]);
    expect(ledger.outstanding()).toBe(0);
  });

  it('worst delay: the longest wait of an acked message for a recipient, counted from the fault at the earliest', () => {
    const ledger = roomOfThree(0);
    ledger.send(ROOM, 'alice', 1, undefined, 1000);
    ledger.send(ROOM, 'alice', 2, undefined, 5000);
    ledger.send(ROOM, 'alice', 3, undefined, 9000); // never acked: not a delay
    for (const n of [1, 2]) ledger.ack(`alice.${n}`);
    ledger.receive('bob', ROOM, data(11, 'alice.1'), 1100);
    ledger.receive('carol', ROOM, data(11, 'alice.1'), 8000); // waited through the fault at 2000
    ledger.receive('bob', ROOM, data(12, 'alice.2'), 5050);
    ledger.receive('bob', ROOM, data(13, 'alice.3'), 9999);
    expect(ledger.worstDelay(0, 10_000)).toBe(7000);
    expect(ledger.worstDelay(0, 10_000, 2000)).toBe(6000);
    expect(ledger.worstDelay(4000, 10_000)).toBe(50);
    expect(ledger.worstDelay(6000, 10_000)).toBeUndefined();
  });

  it('payload ids are the part before the padding', () => {
    expect(payloadIdOf('alice.7|xxxx')).toBe('alice.7');
    expect(payloadIdOf('alice.7')).toBe('alice.7');
  });

  it('refuses to record the same payload id twice (a harness bug, not a service one)', () => {
    const ledger = roomOfThree(1);
    expect(() => ledger.send(ROOM, 'alice', 1)).toThrow(/sent twice/);
  });
});
