import { describe, expect, it } from 'vitest';
import { AvroCodec, SchemaSet } from '@sig/schemas';
import { chunkByBytes, RESUME_CHUNK_BYTES } from '../src/adapters/chunk.js';
import { PartitionProjection } from '../src/adapters/partition-projection.js';
import { Client, CONFIG, join } from './builders.js';

describe('chunkByBytes', () => {
  const size = (s: string) => s.length;

  it('keeps the order and every group within the budget', () => {
    expect(chunkByBytes(['aa', 'bb', 'c', 'dddd', 'e'], size, 4)).toEqual([['aa', 'bb'], ['c'], ['dddd'], ['e']]);
  });

  it('gives an item over the budget a group of its own, and nothing for nothing', () => {
    expect(chunkByBytes(['a', 'xxxxxx', 'b'], size, 4)).toEqual([['a'], ['xxxxxx'], ['b']]);
    expect(chunkByBytes([], size, 4)).toEqual([]);
  });
});

describe('a large resume', () => {
  const schemas = SchemaSet.load();
  const codecs = {
    roomEvent: new AvroCodec(schemas, 'signal.RoomEvent'),
    delivery: new AvroCodec(schemas, 'signal.Delivery'),
    media: new AvroCodec(schemas, 'signal.MediaCommand'),
  };

  it('is split into RESUME records under the budget, in order, ParticipantResumed last', () => {
    const alice = new Client('alice');
    const bob = new Client('bob', 'conn-bob', 'edge-2');
    const p = new PartitionProjection(0, { ...CONFIG, resumeWindowEvents: 1000 }, codecs);
    p.process([alice.cmd(join(), 1), bob.cmd(join(), 2)], 2);
    const bobSession = [...p.rooms.get('room-1')!.participants.values()].find((x) => x.identity === 'bob')!.sessionId;
    const lastSeq = p.rooms.get('room-1')!.seq;
    p.process([bob.cmd({ type: 'ConnectionClosed', reason: 'HEARTBEAT_TIMEOUT', clean: false }, 3)], 3);
    const pad = 'x'.repeat(50_000);
    for (let i = 0; i < 30; i++)
      p.process([alice.cmd({ type: 'SendData', to: [], payload: `m${i}|${pad}`, topic: null }, 10 + i)], 10 + i);
    const out = p.process(
      [
        bob
          .reconnect('conn-bob-2', 'edge-3')
          .cmd({ type: 'Join', metadata: '', resume: { sessionId: bobSession, lastSeq } }, 50),
      ],
      50,
    );
    const resumes = out.deliveries.map((d) => codecs.delivery.decode(d.value)).filter((d) => d.kind === 'RESUME');
    expect(resumes.length).toBeGreaterThan(1);
    for (const r of resumes) expect(r.events.reduce((n, b) => n + b.length, 0)).toBeLessThanOrEqual(RESUME_CHUNK_BYTES);
    const events = resumes.flatMap((r) => r.events.map((b) => codecs.roomEvent.decode(b)));
    expect(events.at(-1)!.body.type).toBe('ParticipantResumed');
    const data = events.filter((e) => e.body.type === 'DataRelayed');
    expect(data).toHaveLength(30);
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
  });
});
