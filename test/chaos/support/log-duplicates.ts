/**
 * Where a duplicate came from: lists the room sequence numbers that appear more than once in the
 * committed room-event log, and the (edge, room, seq) routed more than once in committed delivery
 * records. A duplicate the ledger saw that is in neither log was delivered twice by an edge.
 */
import kafkajs from 'kafkajs';
import { readPartitionsToEnd } from '@sig/runtime';
import { AvroCodec, SchemaSet, topicName } from '@sig/schemas';

const schemas = SchemaSet.load();
const roomEvent = new AvroCodec(schemas, 'signal.RoomEvent');
const delivery = new AvroCodec(schemas, 'signal.Delivery');

async function readAll(
  kafka: InstanceType<typeof kafkajs.Kafka>,
  topic: string,
  prefix: string,
  onValue: (partition: number, offset: string, value: Buffer) => void,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  await readPartitionsToEnd(
    kafka,
    topic,
    new Map(offsets.map((o) => [o.partition, 'earliest' as const])),
    (partition, m) => {
      if (m.value) onValue(partition, m.offset, m.value);
    },
    { groupPrefix: prefix, label: 'chaos-log-check', timeoutMs: 30_000 },
  );
}

/** One line per (room, seq) written twice to room events, and per (edge, room, seq) delivered twice. */
export async function logDuplicates(brokers: readonly string[], prefix: string): Promise<string[]> {
  const kafka = new kafkajs.Kafka({
    clientId: 'chaos-log-check',
    brokers: [...brokers],
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const events = new Map<string, string[]>();
  await readAll(kafka, topicName('roomEvents', prefix), prefix, (p, offset, value) => {
    const e = roomEvent.decode(value);
    const key = `${e.room} seq ${e.seq}`;
    events.set(key, [...(events.get(key) ?? []), `p${p}@${offset}`]);
  });
  const routed = new Map<string, string[]>();
  await readAll(kafka, topicName('deliveries', prefix), prefix, (p, offset, value) => {
    const d = delivery.decode(value);
    if (d.kind !== 'LIVE') return;
    for (const bytes of d.events) {
      const e = roomEvent.decode(bytes);
      const key = `${d.edgeId} ${d.room} seq ${e.seq} to ${d.connectionIds.join('+')}`;
      routed.set(key, [...(routed.get(key) ?? []), `p${p}@${offset}`]);
    }
  });
  return [
    ...[...events]
      .filter(([, at]) => at.length > 1)
      .map(([k, at]) => `room event ${k} written ${at.length}×: ${at.join(', ')}`),
    ...[...routed]
      .filter(([, at]) => at.length > 1)
      .map(([k, at]) => `delivery ${k} written ${at.length}×: ${at.join(', ')}`),
  ];
}
