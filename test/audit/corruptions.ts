import type { AuditRecord } from '../../services/projector/src/cli/records.js';

/** A way to damage a recorded log, and the exact violations verify must report for it. */
export interface Corruption {
  readonly name: string;
  /** Returns the damaged copy and the room sequence the damage is about. */
  corrupt(log: readonly AuditRecord[], room: string): { records: AuditRecord[]; seq: number };
  /** `[room, seq, kind]` of every violation, in report order. */
  expected(room: string, seq: number, log: readonly AuditRecord[]): [string, number | null, string][];
}

type EventRecord = Extract<AuditRecord, { topic: 'roomEvents' }>;
const events = (log: readonly AuditRecord[]) => log.filter((r): r is EventRecord => r.topic === 'roomEvents');

/**
 * A data message in the middle of the session: its only effect on state is its request id in the
 * sender's window (which deduplicates client retries), so besides the damage only a snapshot taken
 * after it shows (see staleSnapshot).
 */
function victim(log: readonly AuditRecord[]): { index: number; event: EventRecord } {
  const data = events(log).filter((r) => r.event.body.type === 'DataRelayed');
  const event = data[Math.floor(data.length / 2)];
  if (!event) throw new Error('the recorded session has no data message');
  return { index: log.indexOf(event), event };
}

/** How many deliveries carried (room, seq). */
function copies(log: readonly AuditRecord[], room: string, seq: number): number {
  let n = 0;
  for (const r of log) {
    if (r.topic === 'deliveries') n += r.delivery.events.filter((e) => e.room === room && e.seq === seq).length;
  }
  return n;
}

/** Whether the event at (room, seq) is the only answer its causing command got. */
function soleAnswer(log: readonly AuditRecord[], room: string, seq: number): boolean {
  const all = events(log).filter((r) => r.event.room === room);
  const cause = all.find((r) => r.event.seq === seq)?.event.causation?.commandId;
  return cause !== undefined && all.filter((r) => r.event.causation?.commandId === cause).length === 1;
}

/** The snapshot mismatch a lost or misplaced event at `seq` causes, if the latest snapshot covers it. */
function staleSnapshot(log: readonly AuditRecord[], room: string, seq: number): [string, number, string][] {
  const s = log.findLast((r) => r.topic === 'snapshots');
  return s?.topic === 'snapshots' && s.snapshot.room === room && s.snapshot.seq >= seq
    ? [[room, s.snapshot.seq, 'snapshot_mismatch']]
    : [];
}

const unbacked = (room: string, seq: number, n: number): [string, number, string][] =>
  Array.from({ length: n }, () => [room, seq, 'delivery_unbacked']);

function snapshotOf(log: readonly AuditRecord[]): Extract<AuditRecord, { topic: 'snapshots' }> {
  const s = log.findLast((r) => r.topic === 'snapshots');
  if (!s || s.topic !== 'snapshots') throw new Error('the recorded session has no snapshot');
  return s;
}

export const corruptions: readonly Corruption[] = [
  {
    name: 'a dropped event',
    corrupt: (log) => {
      const { index, event } = victim(log);
      return { records: log.filter((_, i) => i !== index), seq: event.event.seq };
    },
    // The data message was its command's only answer: that command is now unanswered too.
    expected: (room, seq, log) => [
      [room, seq + 1, 'gap'],
      ...staleSnapshot(log, room, seq),
      ...unbacked(room, seq, copies(log, room, seq)),
      ...(soleAnswer(log, room, seq) ? [[room, null, 'command_unanswered'] as [string, null, string]] : []),
    ],
  },
  {
    name: 'a duplicated event',
    corrupt: (log) => {
      const { index, event } = victim(log);
      // Written twice: the copy takes the next offset and later records of the partition move up.
      const bumped = log.map((r) =>
        r.topic === 'roomEvents' && r.partition === event.partition && r.offset > event.offset
          ? { ...r, offset: r.offset + 1 }
          : r,
      );
      bumped.splice(index + 1, 0, { ...event, offset: event.offset + 1 });
      return { records: bumped, seq: event.event.seq };
    },
    expected: (room, seq) => [[room, seq, 'duplicate']],
  },
  {
    name: 'two reordered events',
    corrupt: (log) => {
      const { index, event } = victim(log);
      const next = log.findIndex((r, i) => i > index && r.topic === 'roomEvents' && r.event.room === event.event.room);
      const later = log[next] as EventRecord;
      const records = [...log];
      // The records keep their log positions; their contents are swapped.
      records[index] = { ...event, event: later.event };
      records[next] = { ...later, event: event.event };
      return { records, seq: event.event.seq };
    },
    expected: (room, seq, log) => [
      [room, seq + 1, 'gap'],
      [room, seq, 'out_of_order'],
      ...staleSnapshot(log, room, seq),
    ],
  },
  {
    name: 'an event moved to another partition',
    corrupt: (log) => {
      const { index, event } = victim(log);
      const records = [...log];
      records[index] = { ...event, partition: event.partition + 1 };
      return { records, seq: event.event.seq };
    },
    expected: (room, seq) => [[room, seq, 'partition_mismatch']],
  },
  {
    name: 'an event altered after delivery',
    corrupt: (log) => {
      const { index, event } = victim(log);
      const body = event.event.body;
      if (body.type !== 'DataRelayed') throw new Error('victim is a data message');
      const records = [...log];
      records[index] = { ...event, event: { ...event.event, body: { ...body, payload: `${body.payload} (forged)` } } };
      return { records, seq: event.event.seq };
    },
    expected: (room, seq, log) =>
      Array.from(
        { length: copies(log, room, seq) },
        () => [room, seq, 'delivery_mismatch'] as [string, number, string],
      ),
  },
  {
    name: 'a delivery of an event the log never had',
    corrupt: (log, room) => {
      const d = log.find((r) => r.topic === 'deliveries');
      if (!d || d.topic !== 'deliveries') throw new Error('the recorded session has no delivery');
      const last = events(log).at(-1)!.event;
      const forged = { ...last, seq: last.seq + 100 };
      return {
        records: [...log, { ...d, offset: d.offset + 10_000, delivery: { ...d.delivery, room, events: [forged] } }],
        seq: forged.seq,
      };
    },
    expected: (room, seq) => [[room, seq, 'delivery_unbacked']],
  },
  {
    name: 'an accepted command never answered',
    corrupt: (log) => {
      const c = log.find((r) => r.topic === 'commands' && r.command.source.type === 'ClientSource');
      if (!c || c.topic !== 'commands') throw new Error('the recorded session has no client command');
      if (c.command.source.type !== 'ClientSource') throw new Error('not a client command');
      // A new request id: the same id would be a client retry, which the room rightly decides once.
      const source = { ...c.command.source, requestId: 'forged-request' };
      const forged = {
        ...c,
        offset: c.offset + 10_000,
        command: { ...c.command, commandId: 'forged-command', source },
      };
      return { records: [...log, forged], seq: 0 };
    },
    expected: (room) => [[room, null, 'command_unanswered']],
  },
  {
    name: 'a snapshot that differs from the rebuilt state',
    corrupt: (log) => {
      const s = snapshotOf(log);
      const records = log.map((r) =>
        r === s ? { ...s, snapshot: { ...s.snapshot, state: { ...s.snapshot.state, metadata: 'tampered' } } } : r,
      );
      return { records, seq: s.snapshot.seq };
    },
    expected: (room, seq) => [[room, seq, 'snapshot_mismatch']],
  },
  {
    name: 'a snapshot ahead of the log',
    corrupt: (log) => {
      const s = snapshotOf(log);
      const seq = events(log).at(-1)!.event.seq + 5;
      return { records: log.map((r) => (r === s ? { ...s, snapshot: { ...s.snapshot, seq } } : r)), seq };
    },
    expected: (room, seq) => [[room, seq, 'snapshot_ahead']],
  },
];
