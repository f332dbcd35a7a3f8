import { describe, expect, it } from 'vitest';
import { admitPeerConnections, admitRoom } from '../src/domain/capacity.js';

const limits = { maxRooms: 2, maxPeerConnections: 10 };

describe('capacity: refuse new work rather than degrade everyone', () => {
  it('accepts a room while there is a room slot and room for one participant', () => {
    expect(admitRoom({ rooms: 1, peerConnections: 8 }, limits)).toEqual({ ok: true });
  });

  it('refuses a room beyond the room limit with sfu_capacity', () => {
    const a = admitRoom({ rooms: 2, peerConnections: 0 }, limits);
    expect(a).toMatchObject({ ok: false, code: 'sfu_capacity' });
    expect(a.ok ? '' : a.reason).toMatch(/2 rooms \(limit 2\)/);
  });

  it('refuses a room when not even one participant (2 connections) would fit', () => {
    expect(admitRoom({ rooms: 0, peerConnections: 9 }, limits)).toMatchObject({ ok: false, code: 'sfu_capacity' });
  });

  it('admits connections up to the limit, not beyond', () => {
    expect(admitPeerConnections({ rooms: 1, peerConnections: 9 }, limits)).toEqual({ ok: true });
    expect(admitPeerConnections({ rooms: 1, peerConnections: 10 }, limits)).toMatchObject({
      ok: false,
      code: 'sfu_capacity',
    });
    expect(admitPeerConnections({ rooms: 1, peerConnections: 9 }, limits, 2)).toMatchObject({ ok: false });
  });
});
