import { describe, expect, it } from 'vitest';
import type { Command, CommandBody } from '@sig/schemas';
import {
  decide,
  REQUEST_ID_WINDOW,
  stateFromJson,
  stateToJson,
  type RoomState,
  type RoomStateJson,
} from '../src/domain/index.js';
import type { AuditRecord } from '../src/cli/records.js';
import { verify } from '../src/cli/verify.js';
import { bodies, Client, CONFIG, join, run } from './builders.js';

const alice = new Client('alice');
const bob = new Client('bob');

/** A command from `client` with a chosen request id (null: none). */
function req(client: Client, requestId: string | null, body: CommandBody, at: number): Command {
  return { ...client.cmd(body, at), source: client.source(requestId) };
}
const data = (payload: string): CommandBody => ({ type: 'SendData', to: [], payload, topic: null });
const sessionOf = (s: RoomState, identity: string) =>
  [...s.participants.values()].find((p) => p.identity === identity)!.sessionId;

function twoInRoom(): RoomState {
  return run([req(alice, 'j1', join(), 1), req(bob, 'j1', join(), 2)]).state;
}

describe('client retries (request ids)', () => {
  it('decides a repeated request of a session once: the retry produces no event and changes nothing', () => {
    const first = decide(req(alice, 'd1', data('hi'), 10), twoInRoom(), CONFIG);
    expect(bodies(first)).toEqual(['DataRelayed']);
    const retry = decide(req(alice, 'd1', data('hi'), 11), first.state, CONFIG);
    expect(retry).toMatchObject({ duplicate: true, events: [], media: [], rejected: null });
    expect(retry.state).toBe(first.state);
  });

  it('records the sender session in causation, and the request id in that session only', () => {
    const s = twoInRoom();
    const d = decide(req(alice, 'd1', data('hi'), 10), s, CONFIG);
    expect(d.events[0]!.causation).toEqual({
      commandId: expect.any(String) as string,
      requestId: 'd1',
      sessionId: sessionOf(s, 'alice'),
    });
    expect(d.state.participants.get(sessionOf(s, 'alice'))!.recentRequestIds).toEqual(['j1', 'd1']);
    expect(d.state.participants.get(sessionOf(s, 'bob'))!.recentRequestIds).toEqual(['j1']);
    // Request ids are per session: bob's own 'd1' is a new request.
    expect(bodies(decide(req(bob, 'd1', data('yo'), 11), d.state, CONFIG))).toEqual(['DataRelayed']);
  });

  it('does not deduplicate commands without a request id', () => {
    const s = decide(req(alice, null, data('hi'), 10), twoInRoom(), CONFIG).state;
    expect(bodies(decide(req(alice, null, data('hi'), 11), s, CONFIG))).toEqual(['DataRelayed']);
  });

  it('recognises a join retried on the same connection (instead of already_joined)', () => {
    const { state } = run([req(alice, 'j1', join(), 1)]);
    expect(decide(req(alice, 'j1', join(), 2), state, CONFIG)).toMatchObject({ duplicate: true, events: [] });
    expect(decide(req(alice, 'j2', join(), 2), state, CONFIG).rejected?.code).toBe('already_joined');
  });

  it('recognises a retry sent after resuming on another connection, and a refused request retried', () => {
    let s = twoInRoom();
    const sid = sessionOf(s, 'alice');
    // The kick is refused (no roomAdmin): the refusal is addressed to the session.
    const kick: CommandBody = { type: 'KickParticipant', identity: 'bob' };
    const refused = decide(req(alice, 'k1', kick, 10), s, CONFIG);
    expect(refused.rejected?.code).toBe('not_allowed');
    s = refused.state;
    s = decide(req(alice, null, { type: 'ConnectionClosed', reason: 'UNKNOWN', clean: false }, 11), s, CONFIG).state;
    const elsewhere = alice.reconnect('conn-alice-2');
    const resumed = decide(
      req(elsewhere, 'j2', { type: 'Join', metadata: '', resume: { sessionId: sid, lastSeq: 5 } }, 12),
      s,
      CONFIG,
    );
    expect(bodies(resumed)).toEqual(['ParticipantResumed', 'ParticipantConnectionChanged']);
    // The resume replayed the refusal (seq 6 > lastSeq 5); the retry of k1 is not decided again.
    expect(decide(req(elsewhere, 'k1', kick, 13), resumed.state, CONFIG)).toMatchObject({
      duplicate: true,
      events: [],
    });
    // The resume's own id belongs to the session too.
    expect(resumed.state.participants.get(sid)!.recentRequestIds).toEqual(['j1', 'k1', 'j2']);
  });

  it(`remembers the last ${REQUEST_ID_WINDOW} request ids of a session, oldest forgotten first`, () => {
    let s = decide(req(alice, 'old', data('0'), 10), twoInRoom(), CONFIG).state;
    for (let i = 1; i < REQUEST_ID_WINDOW; i++) s = decide(req(alice, `n${i}`, data(`${i}`), 10 + i), s, CONFIG).state;
    // 'j1', 'old' and 254 more: the window is full, 'j1' already gone.
    const ids = s.participants.get(sessionOf(s, 'alice'))!.recentRequestIds;
    expect(ids).toHaveLength(REQUEST_ID_WINDOW);
    expect(ids[0]).toBe('old');
    expect(decide(req(alice, 'old', data('0'), 999), s, CONFIG).duplicate).toBe(true);
    s = decide(req(alice, 'newest', data('x'), 1000), s, CONFIG).state;
    expect(bodies(decide(req(alice, 'old', data('0'), 1001), s, CONFIG))).toEqual(['DataRelayed']);
  });

  it('carries the request ids in snapshots (format 2) and reads format 1 snapshots without them', () => {
    const s = decide(req(alice, 'd1', data('hi'), 10), twoInRoom(), CONFIG).state;
    const json = JSON.parse(JSON.stringify(stateToJson(s))) as RoomStateJson;
    expect(stateFromJson(json)).toEqual(s);
    const v1 = {
      ...json,
      participants: json.participants.map(({ recentRequestIds: _ids, ...p }) => p),
    } as unknown as RoomStateJson;
    const restored = stateFromJson(v1, 1);
    expect([...restored.participants.values()].map((p) => p.recentRequestIds)).toEqual([[], []]);
    expect(() => stateFromJson(json, 3)).toThrow(/unsupported room state format 3/);
  });
});

describe('signal-replay verify and client retries', () => {
  it('accepts an unanswered retry of an answered request, and still reports an unanswered new request', () => {
    const commands = [req(alice, 'j1', join(), 1), req(bob, 'j1', join(), 2), req(alice, 'd1', data('hi'), 3)];
    const retry = req(alice, 'd1', data('hi'), 4);
    const { decisions } = run([...commands, retry]);
    expect(decisions.at(-1)!.duplicate).toBe(true);
    const at = (offset: number) => ({ partition: 0, offset, timestamp: offset });
    const records: AuditRecord[] = [
      ...[...commands, retry].map((command, i) => ({ topic: 'commands' as const, command, ...at(i) })),
      ...decisions.flatMap((d) => d.events).map((event, i) => ({ topic: 'roomEvents' as const, event, ...at(i) })),
    ];
    expect(verify(records).violations).toEqual([]);
    // The same command with a request id nobody answered is a command the room ignored.
    const ignored = { topic: 'commands' as const, command: req(alice, 'd9', data('hi'), 5), ...at(9) };
    expect(verify([...records, ignored]).violations.map((v) => v.kind)).toEqual(['command_unanswered']);
  });
});
