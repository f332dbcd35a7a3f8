import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RoomEvent } from '@sig/schemas';
import { replay, stateFromJson, stateToJson, type RoomStateJson } from '../src/domain/index.js';

// A recorded three-party session: joins, P2P offer/answer/candidate, SFU publish with
// auto-subscribe, data, metadata, an unclean disconnect and resume on another edge, a kick,
// a leave and a rejected command. Replaying it must rebuild exactly the recorded state, so a
// change to `evolve` that would reinterpret history fails here (Temporal-style replay test).
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const events = fixture('three-party-session.events.ndjson')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as RoomEvent);
const expected = JSON.parse(fixture('three-party-session.state.json')) as { format: number; state: RoomStateJson };

describe('replay of a recorded session', () => {
  it('rebuilds the recorded room state', () => {
    const { rooms, violations } = replay(events);
    expect(violations).toEqual([]);
    // Recorded before request ids (RoomEvent v1, state format 1): its sessions remember none, and
    // the format-1 state reads as exactly what the current evolve rebuilds.
    expect(expected.format).toBe(1);
    expect(rooms.get('standup')).toEqual(stateFromJson(expected.state, expected.format));
    expect(stateToJson(rooms.get('standup')!).participants.map((p) => p.recentRequestIds)).toEqual(
      expected.state.participants.map(() => []),
    );
  });

  it.each([
    ['a dropped event', (l: RoomEvent[]) => [...l.slice(0, 9), ...l.slice(10)], [['gap', 11]]],
    ['a duplicated event', (l: RoomEvent[]) => [...l.slice(0, 10), l[9]!, ...l.slice(10)], [['duplicate', 10]]],
    [
      'two swapped events',
      (l: RoomEvent[]) => [...l.slice(0, 9), l[10]!, l[9]!, ...l.slice(11)],
      [
        ['gap', 11],
        ['out_of_order', 10],
      ],
    ],
  ] as const)('detects %s, once, with its room and sequence', (_name, alter, expectedViolations) => {
    const { violations } = replay(alter(events));
    expect(violations.map((v) => [v.kind, v.actualSeq])).toEqual(expectedViolations);
    expect(violations.every((v) => v.room === 'standup')).toBe(true);
  });

  it('detects a tampered payload through the state it produces', () => {
    const tampered = events.map((e) =>
      e.body.type === 'ParticipantLeft' ? { ...e, body: { ...e.body, sessionId: 'PA_someone-else' } } : e,
    );
    const { rooms } = replay(tampered);
    expect(stateToJson(rooms.get('standup')!)).not.toEqual(expected.state);
  });
});
