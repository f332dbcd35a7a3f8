import { describe, expect, it } from 'vitest';
import { CLOSE_CODES, type ServerMessageOf } from '@sig/schemas';
import { RESUMABLE_CLOSE_CODES } from '../src/protocol.js';
import { applyToRoom, RoomModel } from '../src/room.js';
import { participant } from './fixtures.js';

const joined = (): ServerMessageOf<'joined'> => ({
  type: 'joined',
  seq: 5,
  room: 'r',
  sessionId: 's-me',
  self: participant('s-me', 'me'),
  participants: [participant('s-bob', 'bob')],
  roomMetadata: '',
  iceServers: [],
  heartbeat: { intervalMs: 5000, timeoutMs: 15000 },
  resumeWindow: { events: 1024, ms: 20000 },
});

describe('RoomModel', () => {
  it('follows joins, updates, tracks, mutes and departures', () => {
    const room = new RoomModel();
    room.reset(joined());
    applyToRoom(room, { type: 'participant_joined', seq: 6, participant: participant('s-eve', 'eve') });
    applyToRoom(room, {
      type: 'participant_updated',
      seq: 7,
      sessionId: 's-bob',
      identity: 'bob',
      status: 'reconnecting',
    });
    const track = { trackId: 'cam', kind: 'video', source: 'camera', muted: false } as const;
    applyToRoom(room, { type: 'track_published', seq: 8, sessionId: 's-eve', identity: 'eve', track });
    applyToRoom(room, { type: 'track_muted', seq: 9, sessionId: 's-eve', trackId: 'cam', muted: true, by: 'eve' });
    applyToRoom(room, {
      type: 'participant_left',
      seq: 10,
      sessionId: 's-bob',
      identity: 'bob',
      reason: 'client_left',
    });
    expect([...room.participants.keys()]).toEqual(['s-eve']);
    expect(room.participants.get('s-eve')?.tracks).toEqual([{ ...track, muted: true }]);
    applyToRoom(room, { type: 'participant_updated', seq: 11, sessionId: 's-me', identity: 'me', metadata: 'x' });
    expect(room.self?.metadata).toBe('x');
  });
});

describe('protocol constants restated by the SDK (kept out of the browser bundle)', () => {
  it('resumable close codes are those CLOSE_CODES marks resume, plus 1005/1006 (no close frame)', () => {
    const fromSchemas = Object.values(CLOSE_CODES)
      .filter((c) => c.resume)
      .map((c) => c.code);
    expect([...RESUMABLE_CLOSE_CODES].sort()).toEqual([...fromSchemas, 1005, 1006].sort());
  });
});
