/**
 * The catalogue of span names and attribute keys. Every service names its spans from here, so a
 * trace reads the same across edge, projector and SFU, and dashboards can rely on the names.
 *
 * Messaging attributes follow the current OpenTelemetry semantic conventions — the same keys
 * `@opentelemetry/instrumentation-kafkajs` sets on its own spans — so hand-made and automatic
 * Kafka spans can be queried together.
 */

/** Attribute keys: OpenTelemetry messaging semantic conventions plus our `signal.*` keys. */
export const ATTR = {
  messagingSystem: 'messaging.system',
  messagingOperationName: 'messaging.operation.name',
  messagingOperationType: 'messaging.operation.type',
  messagingDestinationName: 'messaging.destination.name',
  /** Replaces the deprecated `messaging.kafka.destination.partition`; a string. */
  messagingDestinationPartitionId: 'messaging.destination.partition.id',
  /** Replaces the deprecated `messaging.kafka.message.offset`. */
  messagingKafkaOffset: 'messaging.kafka.offset',
  messagingKafkaMessageKey: 'messaging.kafka.message.key',
  messagingMessageId: 'messaging.message.id',
  messagingConsumerGroupName: 'messaging.consumer.group.name',
  messagingBatchMessageCount: 'messaging.batch.message_count',
  errorType: 'error.type',
  signalRoom: 'signal.room',
  signalParticipant: 'signal.participant',
  signalSession: 'signal.session',
  signalCommandType: 'signal.command_type',
  signalEventType: 'signal.event_type',
  signalErrorCode: 'signal.error_code',
  signalSeq: 'signal.seq',
  signalEdge: 'signal.edge',
  signalConnection: 'signal.connection',
} as const;

export type AttrKey = (typeof ATTR)[keyof typeof ATTR];

/** Value of `messaging.system` for Kafka. */
export const MESSAGING_SYSTEM_KAFKA = 'kafka';

/** Messaging operation types (semconv `messaging.operation.type`). */
export type MessagingOperationType = 'send' | 'receive' | 'process' | 'create' | 'settle';

/** Semconv span name of a messaging operation: `"{operation} {destination}"`, e.g. `send signal.commands`. */
export function messagingSpanName(operation: string, destination: string): string {
  return `${operation} ${destination}`;
}

/**
 * Names of our hand-made spans, in the order a client message flows through the system. Kafka
 * hops in between are `send <topic>` / `process <topic>` (`messagingSpanName`, kafka-trace.ts).
 */
export const SPAN = {
  /** Edge: a frame arrived on a client socket (root of a message's trace). */
  edgeReceive: 'edge receive',
  /** Projector: deciding one command against room state. */
  projectorDecide: 'projector decide',
  /** Projector: rebuilding a partition's rooms from snapshots and the log. */
  projectorRebuild: 'projector rebuild',
  /** Edge: routing a delivery to its local connections. */
  edgeDeliver: 'edge deliver',
  /** Edge: writing a frame to a client socket. */
  wsSend: 'ws send',
  /** SFU: handling one media command. */
  sfuHandle: 'sfu handle',
} as const;

export type SpanName = (typeof SPAN)[keyof typeof SPAN];
