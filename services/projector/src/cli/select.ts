import type { CliOptions } from './args.js';
import { roomOf, timeOf, type AuditRecord } from './records.js';

const TOPIC_ORDER: Record<AuditRecord['topic'], number> = {
  commands: 0,
  roomEvents: 1,
  mediaCommands: 2,
  deliveries: 3,
  snapshots: 4,
  undecodable: 5,
};

/** Whether a record is in the user's selection (rooms, participant, time and offset range). */
export function selects(o: CliOptions, r: AuditRecord): boolean {
  if (r.topic === 'undecodable') return true;
  if (o.rooms.length > 0 && !o.rooms.includes(roomOf(r))) return false;
  const t = timeOf(r);
  if (o.fromTime !== undefined && t < o.fromTime) return false;
  if (o.toTime !== undefined && t > o.toTime) return false;
  if (o.fromOffset !== undefined || o.toOffset !== undefined) {
    // Offsets are room-event offsets: other topics have their own numbering.
    if (r.topic !== 'roomEvents') return false;
    if (o.fromOffset !== undefined && r.offset < o.fromOffset) return false;
    if (o.toOffset !== undefined && r.offset > o.toOffset) return false;
  }
  if (o.participant !== undefined && !mentions(r, o.participant)) return false;
  return true;
}

// Identities and session ids appear as whole JSON strings wherever a record names someone.
function mentions(r: AuditRecord, who: string): boolean {
  const quoted = JSON.stringify(who);
  switch (r.topic) {
    case 'roomEvents':
      return JSON.stringify(r.event).includes(quoted);
    case 'commands':
      return JSON.stringify(r.command).includes(quoted);
    case 'mediaCommands':
      return r.media.sessionId === who;
    default:
      return false;
  }
}

/**
 * Records in timeline order: by fact time, then commands before what they caused, then log
 * position. A room event's time is the latest `at` of its room so far: `at` comes from the edges'
 * clocks and may step back a few ms, and a timeline must never show a room out of sequence.
 */
export function inTimelineOrder(records: readonly AuditRecord[]): AuditRecord[] {
  const latest = new Map<string, number>();
  const time = new Map<AuditRecord, number>();
  for (const r of records) {
    let t = timeOf(r);
    if (r.topic === 'roomEvents') {
      t = Math.max(t, latest.get(r.event.room) ?? t);
      latest.set(r.event.room, t);
    }
    time.set(r, t);
  }
  return [...records].sort(
    (a, b) =>
      time.get(a)! - time.get(b)! ||
      TOPIC_ORDER[a.topic] - TOPIC_ORDER[b.topic] ||
      a.partition - b.partition ||
      a.offset - b.offset,
  );
}
