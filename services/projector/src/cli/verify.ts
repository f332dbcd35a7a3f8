import { isDeepStrictEqual } from 'node:util';
import type { Command, RoomEvent } from '@sig/schemas';
import { evolve, initialState, LogIntegrityError, stateToJson, type RoomState } from '../domain/index.js';
import type { AuditRecord } from './records.js';

/** What is wrong. Stable names: reports and scripts branch on them. */
export type ViolationKind =
  | 'gap'
  | 'duplicate'
  | 'out_of_order'
  | 'wrong_room'
  | 'partition_mismatch'
  | 'offset_regression'
  | 'delivery_unbacked'
  | 'delivery_mismatch'
  | 'command_unanswered'
  | 'snapshot_mismatch'
  | 'snapshot_ahead'
  | 'undecodable';

/** One integrity violation, precise enough to find the record: room, sequence, where it was read. */
export interface Violation {
  readonly kind: ViolationKind;
  readonly room: string;
  /** Room sequence concerned (null for a command, which has none). */
  readonly seq: number | null;
  readonly topic: AuditRecord['topic'];
  readonly partition: number;
  readonly offset: number;
  readonly detail: string;
}

/** Totals of what was checked. */
export interface VerifyCounts {
  readonly rooms: number;
  readonly events: number;
  readonly commands: number;
  readonly deliveries: number;
  readonly mediaCommands: number;
  readonly snapshots: number;
}

export interface VerifyResult {
  readonly rooms: ReadonlyMap<string, RoomState>;
  readonly violations: readonly Violation[];
  readonly counts: VerifyCounts;
}

// Connection facts an edge witnessed may legitimately change nothing (a stale connection).
const UNANSWERED_ALLOWED = new Set<Command['body']['type']>(['ConnectionClosed']);

interface RoomCursor {
  state: RoomState;
  partition: number;
  offset: number;
}

type EventRecord = Extract<AuditRecord, { topic: 'roomEvents' }>;
type Located = Pick<AuditRecord, 'topic' | 'partition' | 'offset'>;

/**
 * Rebuilds every room with the projector's own `evolve` and checks the log's guarantees:
 * per-room sequences gap-free and increasing, per-room order (one partition, increasing offsets),
 * deliveries backed by identical logged events, every accepted
 * client command answered (an event caused by it, its CommandRejected, or a media command, unless
 * it is a client retry of a request its session already had answered: same identity and request id), and
 * the rebuilt state equal to each room's latest snapshot. Pure: the records are the only input.
 */
export function verify(records: Iterable<AuditRecord>): VerifyResult {
  const violations: Violation[] = [];
  const report = (kind: ViolationKind, room: string, seq: number | null, at: Located, detail: string) =>
    violations.push({ kind, room, seq, topic: at.topic, partition: at.partition, offset: at.offset, detail });

  const events: EventRecord[] = [];
  const commands: Extract<AuditRecord, { topic: 'commands' }>[] = [];
  const deliveries: Extract<AuditRecord, { topic: 'deliveries' }>[] = [];
  const snapshots = new Map<string, Extract<AuditRecord, { topic: 'snapshots' }>>();
  const answered = new Set<string>();
  let mediaCommands = 0;
  for (const r of records) {
    switch (r.topic) {
      case 'roomEvents':
        events.push(r);
        break;
      case 'commands':
        commands.push(r);
        break;
      case 'deliveries':
        deliveries.push(r);
        break;
      case 'mediaCommands':
        mediaCommands++;
        // Media commands carry `<causing command id>:m<i>`.
        answered.add(r.media.commandId.replace(/:m\d+$/, ''));
        break;
      case 'snapshots':
        // Compacted by room: the last one read is the latest.
        snapshots.set(r.snapshot.room, r);
        break;
      case 'undecodable':
        report('undecodable', '', null, r, `${r.source}: ${r.reason}`);
        break;
    }
  }

  const cursors = new Map<string, RoomCursor>();
  const logged = new Map<string, RoomEvent>();
  // Requests answered per (room, identity of the sending session, request id): the projector
  // decides a client retry of one of them only once, so the retry's command stays unanswered.
  const identities = new Map<string, string>();
  const answeredRequests = new Set<string>();
  for (const r of events) {
    const { event } = r;
    if (event.body.type === 'ParticipantJoined')
      identities.set(event.body.participant.sessionId, event.body.participant.identity);
    if (event.causation) {
      answered.add(event.causation.commandId);
      const { requestId, sessionId } = event.causation;
      const identity = sessionId === null ? undefined : identities.get(sessionId);
      if (requestId !== null && identity !== undefined)
        answeredRequests.add(JSON.stringify([event.room, identity, requestId]));
    }
    if (event.body.type === 'CommandRejected') answered.add(event.body.commandId);
    const cursor = cursors.get(event.room);
    if (!cursor) {
      cursors.set(event.room, {
        state: apply(initialState(event.room), r),
        partition: r.partition,
        offset: r.offset,
      });
      continue;
    }
    // The room's partition is where its first event is: a stray event is reported, not followed.
    if (r.partition !== cursor.partition) {
      report('partition_mismatch', event.room, event.seq, r, `room is on partition ${cursor.partition}`);
    } else if (r.offset <= cursor.offset) {
      report('offset_regression', event.room, event.seq, r, `after offset ${cursor.offset}`);
    } else {
      cursor.offset = r.offset;
    }
    // No check on `at`: it is the causing command's receivedAt, stamped by whichever edge took
    // it, so edges' clocks may make it step back by a few ms within a valid room history.
    cursor.state = apply(cursor.state, r);
  }

  /** evolve, recording integrity errors; after a gap the log is followed from the later seq. */
  function apply(state: RoomState, r: EventRecord): RoomState {
    const { event } = r;
    // What the log holds at (room, seq), valid or not: deliveries are compared with it.
    const key = `${event.room}\n${event.seq}`;
    if (!logged.has(key)) logged.set(key, event);
    try {
      const next = evolve(state, event);
      checkSnapshot(next, r);
      return next;
    } catch (err) {
      if (!(err instanceof LogIntegrityError)) throw err;
      report(err.kind, event.room, event.seq, r, `expected seq ${err.expectedSeq}`);
      if (err.kind !== 'gap') return state;
      return apply({ ...state, seq: event.seq - 1 }, r);
    }
  }

  function checkSnapshot(state: RoomState, r: EventRecord): void {
    const snap = snapshots.get(state.room);
    if (!snap || snap.snapshot.seq !== state.seq) return;
    const rebuilt = JSON.parse(JSON.stringify(stateToJson(state))) as unknown;
    if (!isDeepStrictEqual(rebuilt, snap.snapshot.state)) {
      report(
        'snapshot_mismatch',
        state.room,
        state.seq,
        snap,
        `differs at ${firstDifference(rebuilt, snap.snapshot.state)} (event offset ${r.offset})`,
      );
    }
  }

  for (const [room, snap] of snapshots) {
    const last = cursors.get(room)?.state.seq ?? 0;
    if (snap.snapshot.seq > last) report('snapshot_ahead', room, snap.snapshot.seq, snap, `log ends at seq ${last}`);
  }

  for (const d of deliveries) {
    for (const event of d.delivery.events) {
      const original = logged.get(`${event.room}\n${event.seq}`);
      if (!original) report('delivery_unbacked', event.room, event.seq, d, `delivered to ${d.delivery.edgeId}`);
      else if (!isDeepStrictEqual(original, event)) {
        report('delivery_mismatch', event.room, event.seq, d, `differs at ${firstDifference(original, event)}`);
      }
    }
  }

  for (const c of commands) {
    const { command } = c;
    const src = command.source;
    if (src.type !== 'ClientSource' || UNANSWERED_ALLOWED.has(command.body.type)) continue;
    const retry =
      src.requestId !== null && answeredRequests.has(JSON.stringify([command.room, src.identity, src.requestId]));
    if (!answered.has(command.commandId) && !retry) {
      report('command_unanswered', command.room, null, c, `${command.body.type} ${command.commandId}`);
    }
  }

  return {
    rooms: new Map([...cursors].map(([room, c]) => [room, c.state])),
    violations,
    counts: {
      rooms: cursors.size,
      events: events.length,
      commands: commands.length,
      deliveries: deliveries.length,
      mediaCommands,
      snapshots: snapshots.size,
    },
  };
}

/** Path of the first difference between two JSON-like values (for a readable report). */
export function firstDifference(a: unknown, b: unknown, path = '$'): string {
  if (isDeepStrictEqual(a, b)) return '';
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const sub = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (sub) return sub;
  }
  return path;
}

/** `room=<room> seq=<n|-> kind=<kind> at <topic>[p]@offset: detail`, one line per violation. */
export function formatViolation(v: Violation): string {
  return `room=${v.room || '-'} seq=${v.seq ?? '-'} kind=${v.kind} at ${v.topic}[${v.partition}]@${v.offset}: ${v.detail}`;
}
