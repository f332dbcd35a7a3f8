import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createKafka, createLogger, readPartitionsToEnd } from '@sig/runtime';
import { AvroCodec, ROOM_PARTITIONS, SchemaDecodeError, topicName, type SchemaSet, type TopicId } from '@sig/schemas';
import kafkajs from 'kafkajs';
import type { KafkaMessage } from 'kafkajs';
import { type RoomStateJson } from '../domain/index.js';
import { ProgressBar, type ProgressSink } from './progress.js';
import { fromNdjson, type AuditRecord, type AuditTopic, type RecordOrigin } from './records.js';

/** Where and what to read from Kafka. */
export interface KafkaSourceOptions {
  readonly brokers: readonly string[];
  readonly topicPrefix: string;
  readonly schemas: SchemaSet;
  readonly topics: readonly Exclude<AuditTopic, 'undecodable'>[];
  /** Only the partitions of these rooms (room-keyed topics); all partitions when absent. */
  readonly rooms?: readonly string[];
  /** First room-event offset to read (per partition). */
  readonly fromOffset?: number;
  readonly progress?: ProgressSink;
  readonly timeoutMs?: number;
}

const ROOM_KEYED = new Set<TopicId>(['commands', 'roomEvents', 'mediaCommands', 'snapshots']);

/** The partition of a room on every room-keyed topic (Kafka's default murmur2 partitioner). */
export function roomPartition(room: string, partitions = ROOM_PARTITIONS): number {
  const partitioner = kafkajs.Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({
    partitionId: i,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return partitioner({ topic: 'x', partitionMetadata, message: { key: room, value: null } });
}

/** Decodes Kafka records of the audited topics into AuditRecords (undecodable ones are kept as such). */
export class RecordDecoder {
  private readonly command;
  private readonly event;
  private readonly delivery;
  private readonly media;
  private readonly snapshot;

  constructor(schemas: SchemaSet) {
    this.command = new AvroCodec(schemas, 'signal.Command');
    this.event = new AvroCodec(schemas, 'signal.RoomEvent');
    this.delivery = new AvroCodec(schemas, 'signal.Delivery');
    this.media = new AvroCodec(schemas, 'signal.MediaCommand');
    this.snapshot = new AvroCodec(schemas, 'signal.RoomSnapshot');
  }

  /** One record, or null for records that are not audit facts (partition checkpoints). */
  decode(
    topic: Exclude<AuditTopic, 'undecodable'>,
    origin: RecordOrigin,
    key: string | null,
    value: Buffer,
  ): AuditRecord | null {
    try {
      switch (topic) {
        case 'commands':
          return { topic, ...origin, command: this.command.decode(value) };
        case 'roomEvents':
          return { topic, ...origin, event: this.event.decode(value) };
        case 'mediaCommands':
          return { topic, ...origin, media: this.media.decode(value) };
        case 'deliveries': {
          const d = this.delivery.decode(value);
          const events = d.events.map((bytes) => this.event.decode(bytes));
          return {
            topic,
            ...origin,
            delivery: { edgeId: d.edgeId, room: d.room, kind: d.kind, connectionIds: d.connectionIds, events },
          };
        }
        case 'snapshots': {
          if (key?.startsWith('checkpoint:')) return null;
          const s = this.snapshot.decode(value);
          // The projector's layout: { state, window } (the window's routing is not audited).
          const { state } = JSON.parse(s.state.toString('utf8')) as { state: RoomStateJson };
          return {
            topic,
            ...origin,
            snapshot: {
              room: s.room,
              seq: s.seq,
              offset: s.offset,
              takenAt: s.takenAt,
              stateFormat: s.stateFormat,
              state,
            },
          };
        }
      }
    } catch (err) {
      if (!(err instanceof SchemaDecodeError) && !(err instanceof SyntaxError)) throw err;
      return {
        topic: 'undecodable',
        ...origin,
        source: `${topic}[${origin.partition}]@${origin.offset}`,
        reason: err.message,
      };
    }
  }
}

/** Reads the selected topics from their start to their end at call time (read_committed). */
export async function readFromKafka(options: KafkaSourceOptions): Promise<AuditRecord[]> {
  const logger = createLogger({
    service: 'signal-replay',
    instance: String(process.pid),
    level: 'warn',
    destination: process.stderr,
  });
  const kafka = createKafka({ brokers: options.brokers, clientId: 'signal-replay', logger });
  const decoder = new RecordDecoder(options.schemas);
  const plan: { topic: Exclude<AuditTopic, 'undecodable'>; name: string; from: Map<number, bigint | 'earliest'> }[] =
    [];
  let total = 0;
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of options.topics) {
      const name = topicName(topic, options.topicPrefix);
      const offsets = await admin.fetchTopicOffsets(name);
      const wanted =
        options.rooms && ROOM_KEYED.has(topic) ? new Set(options.rooms.map((r) => roomPartition(r))) : null;
      const from = new Map<number, bigint | 'earliest'>();
      for (const o of offsets) {
        if (wanted && !wanted.has(o.partition)) continue;
        const start =
          topic === 'roomEvents' && options.fromOffset !== undefined ? BigInt(options.fromOffset) : 'earliest';
        from.set(o.partition, start);
        const low = BigInt(o.low);
        const begin = start === 'earliest' || start < low ? low : start;
        total += Math.max(0, Number(BigInt(o.high) - begin));
      }
      plan.push({ topic, name, from });
    }
  } finally {
    await admin.disconnect();
  }
  const bar = new ProgressBar(options.progress ?? { write: () => true }, total, 'scanning');
  const records: AuditRecord[] = [];
  try {
    for (const { topic, name, from } of plan) {
      await readPartitionsToEnd(
        kafka,
        name,
        from,
        (partition, m: KafkaMessage) => {
          bar.tick();
          if (!m.value) return;
          const origin = { partition, offset: Number(m.offset), timestamp: Number(m.timestamp) };
          const r = decoder.decode(topic, origin, m.key?.toString() ?? null, m.value);
          if (r) records.push(r);
        },
        { groupPrefix: options.topicPrefix, label: 'signal-replay', timeoutMs: options.timeoutMs ?? 120_000 },
      );
    }
  } finally {
    bar.finish();
  }
  return records;
}

/** Reads an NDJSON log (AuditRecord lines, or bare RoomEvent lines); blank lines are skipped. */
export async function readNdjson(path: string): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  const lines = createInterface({ input: path === '-' ? process.stdin : createReadStream(path), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    records.push(fromNdjson(line, n));
  }
  return records;
}
