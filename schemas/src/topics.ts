import type { RecordTypes } from './generated/types.js';

/**
 * The topic catalogue: every Kafka topic of the system, who writes it, who reads it, how it is
 * keyed and kept. It is the map of the data flow between services (they never import each
 * other):
 *
 *   client → edge → commands → projector → room-events / deliveries → edge → client
 *   projector → media-commands → sfu → commands (SFU events) → projector
 *
 * SFU workers report back on `signal.commands` itself (source SfuSource), not on a topic of
 * their own: the projector then decides on one totally ordered input per room, so replaying
 * a room's commands reproduces its events exactly, media included.
 */

/** How long records are kept: time-based deletion, or log compaction by key. */
export type Retention =
  | { readonly kind: 'delete'; readonly ms: number }
  | { readonly kind: 'compact'; readonly minCompactionLagMs?: number; readonly deleteRetentionMs?: number };

/** One Kafka topic in the system. */
export interface TopicSpec {
  /** Stable catalogue key, used in code. */
  readonly id: TopicId;
  /** Topic name in Kafka (prefix applied by config, see `topicName`). */
  readonly name: string;
  /** What the record key is. Anything ordered per room is keyed by room id. */
  readonly key: 'room' | 'edge' | 'none' | 'partition-slot';
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly retention: Retention;
  /** Avro record type (full name) of the record values; a schema under schemas/avro. */
  readonly valueSchema: keyof RecordTypes;
  readonly producers: readonly string[];
  readonly consumers: readonly string[];
  /** Why it is laid out this way; shown in docs/topics.md. */
  readonly doc: string;
}

export type TopicId =
  | 'commands'
  | 'roomEvents'
  | 'deliveries'
  | 'mediaCommands'
  | 'edgeLiveness'
  | 'snapshots'
  | 'deadLetters'
  | 'analytics';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Room-keyed topics must share one partition count: command partition p and room-event
 * partition p then hold the same rooms, which is what lets a projector that owns command
 * partition p rebuild from room-event partition p alone.
 */
export const ROOM_PARTITIONS = 12;

/** Reply slots: one per edge (see docs/architecture.md, "Routing replies to edges"). */
export const DELIVERY_PARTITIONS = 64;

export const TOPICS: Readonly<Record<TopicId, TopicSpec>> = {
  commands: {
    id: 'commands',
    name: 'signal.commands',
    key: 'room',
    partitions: ROOM_PARTITIONS,
    replicationFactor: 1,
    retention: { kind: 'delete', ms: 7 * DAY },
    valueSchema: 'signal.Command',
    producers: ['edge', 'projector (timer commands)', 'sfu (media events)'],
    consumers: ['projector', 'audit'],
    doc: 'Every client message an edge accepted, connection facts edges witnessed, SFU media events and projector timers: the single ordered input of each room.',
  },
  roomEvents: {
    id: 'roomEvents',
    name: 'signal.room-events',
    key: 'room',
    partitions: ROOM_PARTITIONS,
    replicationFactor: 1,
    retention: { kind: 'delete', ms: 30 * DAY },
    valueSchema: 'signal.RoomEvent',
    producers: ['projector (transactional)'],
    consumers: ['projector (rebuild)', 'audit', 'analytics'],
    doc: 'The authoritative history of every room: gap-free per-room sequence, written exactly once.',
  },
  deliveries: {
    id: 'deliveries',
    name: 'signal.deliveries',
    key: 'partition-slot',
    partitions: DELIVERY_PARTITIONS,
    replicationFactor: 1,
    retention: { kind: 'delete', ms: 1 * HOUR },
    valueSchema: 'signal.Delivery',
    producers: ['projector (transactional)'],
    consumers: ['edge (its own reply slot only)'],
    doc: 'Routing of room events to the edge connections of their recipients. Ephemeral: resume recovers from room events.',
  },
  mediaCommands: {
    id: 'mediaCommands',
    name: 'signal.media-commands',
    key: 'room',
    partitions: ROOM_PARTITIONS,
    replicationFactor: 1,
    retention: { kind: 'delete', ms: 1 * DAY },
    valueSchema: 'signal.MediaCommand',
    producers: ['projector (transactional)'],
    consumers: ['sfu'],
    doc: 'Media setup for the SFU worker that owns the room (consumer group: one worker per room partition).',
  },
  edgeLiveness: {
    id: 'edgeLiveness',
    name: 'signal.edge-liveness',
    key: 'edge',
    partitions: 1,
    replicationFactor: 1,
    retention: { kind: 'compact', minCompactionLagMs: 60_000, deleteRetentionMs: HOUR },
    valueSchema: 'signal.EdgeHeartbeat',
    producers: ['edge', 'projector (witness records)'],
    consumers: ['projector (every instance reads all)'],
    doc: 'Edge heartbeats and drain notices, and projector witness records (the log clock): an edge silent while the log moved on has its participants treated as disconnected.',
  },
  snapshots: {
    id: 'snapshots',
    name: 'signal.snapshots',
    key: 'room',
    partitions: ROOM_PARTITIONS,
    replicationFactor: 1,
    retention: { kind: 'compact', minCompactionLagMs: 0, deleteRetentionMs: DAY },
    valueSchema: 'signal.RoomSnapshot',
    producers: ['projector'],
    consumers: ['projector (rebuild)', 'audit'],
    doc: 'Latest state of each room and the room-event offset it covers; bounds rebuild time.',
  },
  deadLetters: {
    id: 'deadLetters',
    name: 'signal.dead-letters',
    key: 'none',
    partitions: 1,
    replicationFactor: 1,
    retention: { kind: 'delete', ms: 30 * DAY },
    valueSchema: 'signal.DeadLetter',
    producers: ['any consumer'],
    consumers: ['operators'],
    doc: 'Records that could not be decoded (unknown schema fingerprint, corrupt bytes), with the reason and origin.',
  },
  analytics: {
    id: 'analytics',
    name: 'signal.session-analytics',
    key: 'room',
    partitions: ROOM_PARTITIONS,
    replicationFactor: 1,
    retention: { kind: 'delete', ms: 90 * DAY },
    valueSchema: 'signal.SessionFact',
    producers: ['analytics'],
    consumers: ['data pipelines'],
    doc: 'Per-session facts derived from room events: durations, join latency, reconnects, errors.',
  },
};

/** Kafka topic name with an optional prefix (tests use random prefixes to isolate runs). */
export function topicName(id: TopicId, prefix = ''): string {
  return `${prefix}${TOPICS[id].name}`;
}

/** Kafka topic-level configs for a catalogue entry. */
export function topicConfigs(spec: TopicSpec): Record<string, string> {
  if (spec.retention.kind === 'delete') {
    return { 'cleanup.policy': 'delete', 'retention.ms': String(spec.retention.ms) };
  }
  const configs: Record<string, string> = { 'cleanup.policy': 'compact' };
  if (spec.retention.minCompactionLagMs !== undefined)
    configs['min.compaction.lag.ms'] = String(spec.retention.minCompactionLagMs);
  if (spec.retention.deleteRetentionMs !== undefined)
    configs['delete.retention.ms'] = String(spec.retention.deleteRetentionMs);
  return configs;
}

/** The catalogue as a Markdown table (docs/topics.md embeds it; a test keeps the two equal). */
export function topicTableMarkdown(prefix = ''): string {
  const retention = (r: Retention) =>
    r.kind === 'compact' ? 'compacted' : r.ms % (24 * HOUR) === 0 ? `${r.ms / (24 * HOUR)} d` : `${r.ms / HOUR} h`;
  const rows = Object.values(TOPICS).map(
    (t) =>
      `| \`${prefix}${t.name}\` | ${t.key} | ${t.partitions} | ${retention(t.retention)} | \`${t.valueSchema}\` | ${t.producers.join('; ')} | ${t.consumers.join('; ')} | ${t.doc} |`,
  );
  return [
    '| topic | key | partitions | retention | value (Avro) | producers | consumers | purpose |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
