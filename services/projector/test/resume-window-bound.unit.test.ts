import { describe, expect, it } from 'vitest';
import { AvroCodec, SchemaSet, type Command } from '@sig/schemas';
import { PartitionProjection } from '../src/adapters/partition-projection.js';
import { Client, CONFIG, join } from './builders.js';

const schemas = SchemaSet.load();
const codecs = {
  roomEvent: new AvroCodec(schemas, 'signal.RoomEvent'),
  delivery: new AvroCodec(schemas, 'signal.Delivery'),
  media: new AvroCodec(schemas, 'signal.MediaCommand'),
};
const alice = new Client('alice');
const bob = new Client('bob', 'conn-bob', 'edge-2');

function emptyRoomTimer(at: number): Command {
  return {
    commandId: `timer-${at}`,
    room: 'room-1',
    receivedAt: at,
    source: { type: 'ProjectorSource', instanceId: 'projector-test' },
    body: { type: 'TimerFired', timer: 'EMPTY_ROOM', sessionId: null, edgeId: null, dueAt: at },
  };
}

describe('resume windows are bounded', () => {
  it('a busy room holds at most twice RESUME_WINDOW_EVENTS events; a closed room holds none', () => {
    const p = new PartitionProjection(0, CONFIG, codecs);
    p.process([alice.cmd(join(), 1), bob.cmd(join(), 2)], 2);
    for (let i = 0; i < 20 * CONFIG.resumeWindowEvents; i++)
      p.process([alice.cmd({ type: 'SendData', to: [], payload: `m${i}`, topic: null }, 10 + i)], 10 + i);
    expect(p.heldResumeEvents).toBeGreaterThanOrEqual(CONFIG.resumeWindowEvents);
    expect(p.heldResumeEvents).toBeLessThanOrEqual(2 * CONFIG.resumeWindowEvents);

    const t = 100_000;
    p.process([alice.cmd({ type: 'Leave' }, t), bob.cmd({ type: 'Leave' }, t + 1)], t + 1);
    const closed = p.process([emptyRoomTimer(t + 1 + CONFIG.room.emptyTimeoutMs)], t + 1 + CONFIG.room.emptyTimeoutMs);
    expect(closed.roomEvents.map((r) => r.event.body.type)).toEqual(['RoomClosed']);
    expect(p.heldResumeEvents).toBe(0);
  });
});
