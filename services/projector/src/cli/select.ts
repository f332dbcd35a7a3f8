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

/** Records in timeline order: by fact time, then commands before what they caused, then log position. */
export function inTimelineOrder(records: readonly AuditRecord[]): AuditRecord[] {
  return [...records].sort(
    (a, b) =>
      timeOf(a) - timeOf(b) ||
      TOPIC_ORDER[a.topic] - TOPIC_ORDER[b.topic] ||
      a.partition - b.partition ||
      a.offset - b.offset,
  );
}
