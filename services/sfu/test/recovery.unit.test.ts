import { describe, expect, it } from 'vitest';
import type { MediaCommandBody } from '@sig/schemas';
import { LiveRooms } from '../src/domain/recovery.js';

const cmd = (room: string, sessionId: string, type: MediaCommandBody['type']) => ({ room, sessionId, body: { type } });

describe('rooms a previous worker was serving, from the partition history', () => {
  it('a room with media never closed is live; closed sessions and rooms are not', () => {
    const live = new LiveRooms();
    for (const c of [
      cmd('r1', 'a', 'PublishOffer'),
      cmd('r1', 'b', 'SubscribeTracks'),
      cmd('r2', 'c', 'PublishOffer'),
      cmd('r2', 'c', 'CloseSession'),
      cmd('r3', 'd', 'PublishOffer'),
      cmd('r3', '', 'CloseRoom'),
      cmd('r4', 'e', 'RemoteCandidate'),
      cmd('r1', 'a', 'CloseSession'),
    ]) {
      live.apply(c);
    }
    expect(live.rooms().sort()).toEqual(['r1', 'r4']);
  });

  it('room-wide commands without a session do not make a room live', () => {
    const live = new LiveRooms();
    live.apply(cmd('r1', '', 'UnsubscribeTracks'));
    live.apply(cmd('r1', '', 'SubscribeTracks'));
    expect(live.rooms()).toEqual([]);
  });

  it('a room reopened after CloseRoom is live again', () => {
    const live = new LiveRooms();
    for (const c of [cmd('r1', 'a', 'PublishOffer'), cmd('r1', '', 'CloseRoom'), cmd('r1', 'b', 'PublishOffer')])
      live.apply(c);
    expect(live.rooms()).toEqual(['r1']);
  });
});
