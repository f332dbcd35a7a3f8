import type { Command, MediaCommand, RoomEvent } from '@sig/schemas';
import type { RoomStateJson } from '../domain/index.js';

/** Where a record was read: its topic (catalogue id), partition, offset and Kafka timestamp. */
export interface RecordOrigin {
  readonly partition: number;
  readonly offset: number;
  /** Kafka record timestamp (ms): when the producer wrote it. */
  readonly timestamp: number;
}

/** A delivery with its embedded room events decoded. */
export interface DeliveryView {
  readonly edgeId: string;
  readonly room: string;
  readonly kind: string;
  readonly connectionIds: readonly string[];
  readonly events: readonly RoomEvent[];
}

/** A snapshot with its state decoded (the resume window is not audited). */
export interface SnapshotView {
  readonly room: string;
  readonly seq: number;
  readonly offset: number;
  readonly takenAt: number;
  readonly stateFormat: number;
  readonly state: RoomStateJson;
}

/**
 * One record of the audited topics, decoded at the boundary. This is also the NDJSON line format
 * of `--format ndjson` and `--input`, so a log can be exported once and audited offline.
 */
export type AuditRecord =
  | (RecordOrigin & { readonly topic: 'roomEvents'; readonly event: RoomEvent })
  | (RecordOrigin & { readonly topic: 'commands'; readonly command: Command })
  | (RecordOrigin & { readonly topic: 'deliveries'; readonly delivery: DeliveryView })
  | (RecordOrigin & { readonly topic: 'mediaCommands'; readonly media: MediaCommand })
  | (RecordOrigin & { readonly topic: 'snapshots'; readonly snapshot: SnapshotView })
  | (RecordOrigin & { readonly topic: 'undecodable'; readonly source: string; readonly reason: string });

export type AuditTopic = AuditRecord['topic'];

/** The topics the CLI reads, in the order records of equal time are shown. */
export const AUDIT_TOPICS = ['commands', 'roomEvents', 'mediaCommands', 'deliveries', 'snapshots'] as const;

/** The room a record is about ('' for an undecodable one). */
export function roomOf(r: AuditRecord): string {
  switch (r.topic) {
    case 'roomEvents':
      return r.event.room;
    case 'commands':
      return r.command.room;
    case 'deliveries':
      return r.delivery.room;
    case 'mediaCommands':
      return r.media.room;
    case 'snapshots':
      return r.snapshot.room;
    case 'undecodable':
      return '';
  }
}

/** When a record's fact happened (decision or receive time; Kafka time for the rest). */
export function timeOf(r: AuditRecord): number {
  switch (r.topic) {
    case 'roomEvents':
      return r.event.at;
    case 'commands':
      return r.command.receivedAt;
    case 'mediaCommands':
      return r.media.at;
    default:
      return r.timestamp;
  }
}

/** One NDJSON line (no trailing newline); Buffers never appear, views are plain JSON. */
export function toNdjson(r: AuditRecord): string {
  return JSON.stringify(r);
}

/**
 * Parses one NDJSON line: an AuditRecord, or a bare RoomEvent (the projector's fixtures), which
 * is given its line number as offset on partition 0.
 */
export function fromNdjson(line: string, lineNo: number): AuditRecord {
  const value = JSON.parse(line) as Record<string, unknown>;
  if (typeof value.topic === 'string') return value as unknown as AuditRecord;
  if (typeof value.room === 'string' && typeof value.seq === 'number' && typeof value.body === 'object') {
    const event = value as unknown as RoomEvent;
    return { topic: 'roomEvents', partition: 0, offset: lineNo - 1, timestamp: event.at, event };
  }
  throw new Error(`line ${lineNo}: neither an audit record nor a room event`);
}
