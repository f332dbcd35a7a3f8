import { describe, expect, it } from 'vitest';
import { AvroCodec, SchemaSet, type RoomEvent } from '@sig/schemas';
import { PartitionProjection } from '../src/adapters/partition-projection.js';
import { ResumeWindow } from '../src/adapters/resume-window.js';
import { Client, CONFIG, join } from './builders.js';

const schemas = SchemaSet.load();
const codecs = {
  roomEvent: new AvroCodec(schemas, 'signal.RoomEvent'),
  delivery: new AvroCodec(schemas, 'signal.Delivery'),
  media: new AvroCodec(schemas, 'signal.MediaCommand'),
};
const alice = new Client('alice');
const bob = new Client('bob', 'conn-bob', 'edge-2');

describe('PartitionProjection', () => {
  it('routes deliveries to the reply slot of each recipient edge', () => {
    const p = new PartitionProjection(0, CONFIG, codecs);
    p.process([alice.cmd(join(), 1)], 1);
    const out = p.process([bob.cmd(join(), 2)], 2);
    const deliveries = out.deliveries.map((d) => codecs.delivery.decode(d.value));
    expect(deliveries.map((d) => [d.edgeId, d.connectionIds])).toEqual([
      ['edge-1', ['conn-alice']], // alice hears bob joined
      ['edge-2', ['conn-bob']], // bob gets JoinAccepted
    ]);
    expect(out.deliveries.every((d) => d.partition === 7)).toBe(true);
  });

  it('restoring snapshots and applying the tail equals replaying the whole log', () => {
    const full = new PartitionProjection(0, CONFIG, codecs);
    const log: Array<{ event: RoomEvent; bytes: Buffer }> = [];
    const record = (out: ReturnType<PartitionProjection['process']>) =>
      log.push(...out.roomEvents.map((r) => ({ event: r.event, bytes: r.value })));
    record(full.process([alice.cmd(join(), 1), bob.cmd(join(), 2)], 2));
    for (let i = 0; i < 5; i++)
      record(full.process([alice.cmd({ type: 'SendData', to: [], payload: `a${i}`, topic: null }, 3 + i)], 3));
    const checkpointOffset = BigInt(log.length - 1);
    const snapshots = full.takeSnapshots(checkpointOffset, 10);
    record(full.process([bob.cmd({ type: 'ConnectionClosed', reason: 'HEARTBEAT_TIMEOUT', clean: false }, 20)], 20));
    record(full.process([alice.cmd({ type: 'SendData', to: [], payload: 'while away', topic: null }, 21)], 21));

    const rebuilt = new PartitionProjection(0, CONFIG, codecs);
    for (const s of snapshots) rebuilt.restore(s);
    log.forEach((r, offset) => rebuilt.applyCommitted(r.event, r.bytes, BigInt(offset)));
    expect(rebuilt.rooms).toEqual(full.rooms);

    // The rebuilt resume window serves the same missed events.
    const bobSession = [...full.rooms.get('room-1')!.participants.values()].find(
      (p) => p.identity === 'bob',
    )!.sessionId;
    const resume = (proj: PartitionProjection) =>
      proj.process(
        [
          bob
            .reconnect('conn-bob-2', 'edge-3')
            .cmd({ type: 'Join', metadata: '', resume: { sessionId: bobSession, lastSeq: 6 } }, 30),
        ],
        30,
      );
    const fromFull = resume(full).deliveries.map((d) => codecs.delivery.decode(d.value));
    const fromRebuilt = resume(rebuilt).deliveries.map((d) => codecs.delivery.decode(d.value));
    expect(fromRebuilt).toEqual(fromFull);
    const batch = fromFull.find((d) => d.kind === 'RESUME')!;
    const types = batch.events.map((b) => codecs.roomEvent.decode(b).body.type);
    // seq 7..10 and 12 are data addressed to bob (11 told alice he was reconnecting).
    expect(types).toEqual([...Array<string>(5).fill('DataRelayed'), 'ParticipantResumed']);
  });
});

describe('ResumeWindow', () => {
  const entry = (seq: number, addressed: string[]) => ({
    seq,
    bytes: Buffer.from(String(seq)),
    addressed: new Set(addressed),
  });

  it('returns the events addressed to a session after its last sequence, in order', () => {
    const w = new ResumeWindow(10);
    for (let s = 1; s <= 6; s++) w.push(entry(s, s % 2 === 0 ? ['a', 'b'] : ['b']));
    expect(w.missedBy('a', 2)!.map(String)).toEqual(['4', '6']);
    expect(w.missedBy('b', 4)!.map(String)).toEqual(['5', '6']);
  });

  it('refuses (null) when the oldest missed event is no longer held', () => {
    const w = new ResumeWindow(3);
    for (let s = 1; s <= 20; s++) w.push(entry(s, ['a']));
    expect(w.missedBy('a', 1)).toBeNull();
    expect(w.missedBy('a', 18)!.map(String)).toEqual(['19', '20']);
    expect(w.size).toBe(3);
  });
});
