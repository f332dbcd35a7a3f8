import type { Command, RoomEvent, RoomEventAudience } from '@sig/schemas';
import { formatSdpSummary } from './sdp.js';
import { timeOf, type AuditRecord } from './records.js';

/** One line of the human timeline (also the CSV columns). */
export interface TimelineRow {
  readonly time: string;
  readonly room: string;
  /** Room sequence for room events, '' otherwise. */
  readonly seq: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly actor: string;
  readonly event: string;
  readonly target: string;
  readonly summary: string;
  /** Full SDP text when the row carries one. */
  readonly sdp: string | null;
}

export const CSV_COLUMNS = [
  'time',
  'room',
  'seq',
  'topic',
  'partition',
  'offset',
  'actor',
  'event',
  'target',
  'summary',
] as const;

/**
 * Turns audit records into timeline rows. Stateful only to name people: it learns session →
 * identity from joins and command id → sender from commands, in the order records are given.
 */
export class TimelineBuilder {
  private readonly identities = new Map<string, string>();
  private readonly senders = new Map<string, string>();

  /** The row for a record, or null for records a timeline does not show (snapshots, deliveries). */
  row(r: AuditRecord): TimelineRow | null {
    const base = { time: new Date(timeOf(r)).toISOString(), topic: r.topic, partition: r.partition, offset: r.offset };
    switch (r.topic) {
      case 'roomEvents':
        return { ...base, ...this.eventRow(r.event) };
      case 'commands': {
        const actor = senderOf(r.command);
        this.senders.set(r.command.commandId, actor);
        const body = r.command.body;
        const sdp = 'sdp' in body && typeof body.sdp === 'string' ? body.sdp : null;
        return {
          ...base,
          room: r.command.room,
          seq: '',
          actor,
          event: `cmd:${body.type}`,
          target: 'to' in body && typeof body.to === 'string' ? this.who(body.to) : '',
          summary: sdp === null ? brief(body) : formatSdpSummary(sdp),
          sdp,
        };
      }
      case 'undecodable':
        return {
          ...base,
          room: '',
          seq: '',
          actor: '',
          event: 'UNDECODABLE',
          target: '',
          summary: r.reason,
          sdp: null,
        };
      default:
        return null;
    }
  }

  private eventRow(e: RoomEvent): Omit<TimelineRow, 'time' | 'topic' | 'partition' | 'offset'> {
    const b = e.body;
    if (b.type === 'ParticipantJoined') this.identities.set(b.participant.sessionId, b.participant.identity);
    const fromCommand = e.causation ? this.senders.get(e.causation.commandId) : undefined;
    let actor = fromCommand ?? '';
    let target = this.audience(e.audience);
    let summary = brief(b);
    let sdp: string | null = null;
    switch (b.type) {
      case 'ParticipantJoined':
        actor = b.participant.identity;
        summary = `${b.participant.identity} (${b.participant.name}) via ${b.connection.edgeId}/${b.connection.connectionId}`;
        break;
      case 'JoinAccepted':
        summary = `${b.self.identity} sees ${b.participants.length} participant(s)${b.replaced ? `, replaced ${b.replaced}` : ''}`;
        break;
      case 'ParticipantLeft':
      case 'ParticipantConnectionChanged':
      case 'TrackPublished':
      case 'TrackUnpublished':
        actor ||= b.identity;
        summary = b.type === 'ParticipantLeft' ? `${b.identity} left: ${b.reason}` : summary;
        if (b.type === 'ParticipantConnectionChanged') summary = `${b.identity} ${b.status} (${b.reason})`;
        if (b.type === 'TrackPublished') summary = `${b.track.kind} ${b.track.trackId} (${b.track.source})`;
        break;
      case 'PeerSignalRelayed':
        actor = b.fromIdentity;
        target = this.who(b.to);
        sdp = b.sdp;
        summary =
          b.sdp !== null
            ? `${b.kind} ${formatSdpSummary(b.sdp)}`
            : `${b.kind}${b.candidate ? ` ${b.candidate.candidate}` : ''}`;
        break;
      case 'MediaSignal':
        actor ||= 'sfu';
        target = this.who(b.sessionId);
        sdp = b.sdp;
        summary = `${b.transport} ${b.kind}${b.sdp !== null ? ` ${formatSdpSummary(b.sdp)}` : ''}`;
        break;
      case 'DataRelayed':
        actor = b.fromIdentity;
        summary = `${b.payload.length} chars${b.topic ? ` on ${b.topic}` : ''}`;
        break;
      case 'CommandRejected':
        summary = `${b.code}: ${b.commandType} refused (${b.message})`;
        break;
      default:
        break;
    }
    return { room: e.room, seq: String(e.seq), actor: actor || '-', event: b.type, target, summary, sdp };
  }

  private who(sessionId: string): string {
    return this.identities.get(sessionId) ?? sessionId;
  }

  private audience(a: RoomEventAudience): string {
    switch (a.type) {
      case 'AudienceRoom':
        return a.exclude.length > 0 ? `room except ${a.exclude.map((s) => this.who(s)).join(',')}` : 'room';
      case 'AudienceSessions':
        return a.sessionIds.map((s) => this.who(s)).join(',');
      case 'AudienceConnection':
        return `${a.connection.edgeId}/${a.connection.connectionId}`;
      case 'AudienceNone':
        return '-';
    }
  }
}

function senderOf(c: Command): string {
  switch (c.source.type) {
    case 'ClientSource':
      return c.source.identity;
    case 'SfuSource':
      return `sfu:${c.source.workerId}`;
    case 'ProjectorSource':
      return 'projector';
  }
}

/** The body without its tag, as short JSON (long strings cut). */
function brief(body: { readonly type: string }): string {
  const { type: _type, ...rest } = body;
  const text = JSON.stringify(rest, (_k, v: unknown) =>
    typeof v === 'string' && v.length > 40 ? `${v.slice(0, 37)}...` : v,
  );
  return text === '{}' ? '' : text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** A timeline row as one aligned text line (and the full SDP below it when asked). */
export function formatRow(row: TimelineRow, fullSdp: boolean): string {
  const seq = row.seq ? `#${row.seq}` : '';
  const line =
    `${row.time}  ${row.room.padEnd(14)} ${seq.padStart(6)}  ${row.actor.padEnd(12)} ${row.event.padEnd(28)} → ${row.target.padEnd(12)} ${row.summary}`.trimEnd();
  if (!fullSdp || row.sdp === null) return line;
  return `${line}\n${row.sdp
    .trimEnd()
    .split(/\r?\n/)
    .map((l) => `      | ${l}`)
    .join('\n')}`;
}

/** RFC 4180 CSV: fields quoted when they contain a comma, quote or line break. */
export function csvLine(values: readonly (string | number)[]): string {
  return values
    .map((v) => {
      const s = String(v);
      return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',');
}

/** The CSV line of a row (columns as CSV_COLUMNS). */
export function csvRow(row: TimelineRow): string {
  return csvLine(CSV_COLUMNS.map((c) => row[c]));
}
