import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RoomEvent, SessionFact } from '@sig/schemas';
import { derive, FACT_CSV_HEADER, factToCsv, initialAnalytics } from '../src/domain/index.js';

// The projector's recorded three-party session: alice offers to bob, carol publishes, bob loses
// his connection and resumes, carol is kicked, bob leaves, alice's data to "zed" is refused.
const events = readFileSync(
  new URL('../../projector/test/fixtures/three-party-session.events.ndjson', import.meta.url),
  'utf8',
)
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as RoomEvent);
const last = events.at(-1)!;
const closed: RoomEvent = {
  room: 'standup',
  seq: last.seq + 1,
  at: last.at + 300_000,
  causation: null,
  audience: { type: 'AudienceNone' },
  body: { type: 'RoomClosed', reason: 'EMPTY_TIMEOUT' },
};

/** Every fact of a log, each event logged 7 ms after its decision. */
function factsOf(log: readonly RoomEvent[]): SessionFact[] {
  const state = initialAnalytics();
  return log.flatMap((event) => derive(state, { event, loggedAt: event.at + 7 }));
}

describe('session analytics derivation', () => {
  const facts = factsOf([...events, closed]);
  const bySession = (identity: string) => facts.find((f) => f.identity === identity && f.kind === 'SESSION_ENDED')!;
  const joined = (identity: string) =>
    events.find((e) => e.body.type === 'ParticipantJoined' && e.body.participant.identity === identity)!.at;

  it('ends each session with its duration, reason, latency and peak', () => {
    expect(facts.map((f) => [f.kind, f.identity, f.leaveReason])).toEqual([
      ['SESSION_ENDED', 'carol', 'KICKED'],
      ['SESSION_ENDED', 'bob', 'CLIENT_LEFT'],
      ['SESSION_ENDED', 'alice', 'ROOM_CLOSED'],
      ['ROOM_ENDED', '', 'EMPTY_TIMEOUT'],
    ]);
    const carol = bySession('carol');
    const kicked = events.find((e) => e.body.type === 'ParticipantLeft' && e.body.identity === 'carol')!;
    expect(carol.durationMs).toBe(kicked.at - joined('carol'));
    expect(carol.joinLatencyMs).toBe(7);
    expect(carol.peakParticipants).toBe(3);
  });

  it('counts reconnects, resumes, renegotiations and errors by code per session and per room', () => {
    expect(bySession('bob')).toMatchObject({ reconnects: 1, resumes: 1, renegotiations: 0 });
    expect(bySession('alice')).toMatchObject({ renegotiations: 1, errors: { participant_not_found: 1 } });
    const room = facts.find((f) => f.kind === 'ROOM_ENDED')!;
    expect(room).toMatchObject({
      reconnects: 1,
      resumes: 1,
      renegotiations: 1,
      errors: { participant_not_found: 1 },
      peakParticipants: 3,
      joinedAt: events[0]!.at,
      durationMs: closed.at - events[0]!.at,
    });
  });

  it('is deterministic: the same log yields the same facts', () => {
    expect(factsOf([...events, closed])).toEqual(facts);
  });

  it('exports facts as CSV', () => {
    expect(FACT_CSV_HEADER.split(',')).toHaveLength(14);
    const line = factToCsv(bySession('alice'));
    expect(line).toContain(',participant_not_found:1,ROOM_CLOSED,3');
    expect(line.startsWith(`standup,PA_cmd-0001,alice,SESSION_ENDED,${new Date(joined('alice')).toISOString()},`)).toBe(
      true,
    );
  });
});
