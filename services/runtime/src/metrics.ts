/**
 * Prometheus metrics: one registry per service, and one catalogue of metric names shared by all
 * services, so the Grafana dashboard and the metrics tests rely on names that cannot drift.
 *
 * Label values must be bounded: `type` is a protocol message type (`unknown` for anything else),
 * `code` an `ErrorCode`, never raw client input — every distinct value is a new series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Latency buckets in seconds, from 0.5 ms (a local hop) to 10 s (a broker failover). */
export const LATENCY_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** Buckets for rebuilds, from 10 ms (an empty partition) to 5 min (a long history without snapshot). */
export const REBUILD_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;

/** Definition of one metric in the catalogue. */
export interface MetricDef {
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
}

/** Every metric of the system. Durations are in seconds (Prometheus convention), with ms-level buckets. */
export const METRICS = {
  connections: {
    type: 'gauge',
    name: 'signal_connections',
    help: 'Open client WebSocket connections on this edge.',
    labelNames: [],
  },
  connectionsOpened: {
    type: 'counter',
    name: 'signal_connections_opened_total',
    help: 'Client WebSocket connections accepted.',
    labelNames: [],
  },
  connectionsClosed: {
    type: 'counter',
    name: 'signal_connections_closed_total',
    help: 'Client WebSocket connections closed, by close code.',
    labelNames: ['close_code'],
  },
  messagesIn: {
    type: 'counter',
    name: 'signal_messages_in_total',
    help: 'Messages received, by protocol type.',
    labelNames: ['type'],
  },
  messagesOut: {
    type: 'counter',
    name: 'signal_messages_out_total',
    help: 'Messages sent, by protocol type.',
    labelNames: ['type'],
  },
  errors: {
    type: 'counter',
    name: 'signal_errors_total',
    help: 'Errors, by stable error code.',
    labelNames: ['code'],
  },
  rateLimitHits: {
    type: 'counter',
    name: 'signal_rate_limit_hits_total',
    help: 'Requests refused by a rate limit, by scope (connection, identity).',
    labelNames: ['scope'],
  },
  joinLatency: {
    type: 'histogram',
    name: 'signal_join_latency_seconds',
    help: 'Join request received at the edge to joined response sent.',
    labelNames: [],
    buckets: LATENCY_BUCKETS_SECONDS,
  },
  relayLatency: {
    type: 'histogram',
    name: 'signal_relay_latency_seconds',
    help: "Command received at the edge to event written to the recipient's socket, by message type.",
    labelNames: ['type'],
    buckets: LATENCY_BUCKETS_SECONDS,
  },
  kafkaProduceLatency: {
    type: 'histogram',
    name: 'signal_kafka_produce_latency_seconds',
    help: 'Kafka produce (or transaction commit) latency, by topic.',
    labelNames: ['topic'],
    buckets: LATENCY_BUCKETS_SECONDS,
  },
  consumerLag: {
    type: 'gauge',
    name: 'signal_kafka_consumer_lag',
    help: 'Records between the consumer position and the high watermark, by topic and partition.',
    labelNames: ['topic', 'partition'],
  },
  projectorRooms: {
    type: 'gauge',
    name: 'signal_projector_rooms',
    help: 'Rooms held in memory by this projector, by partition.',
    labelNames: ['partition'],
  },
  projectorRebuildEvents: {
    type: 'counter',
    name: 'signal_projector_rebuild_events_total',
    help: 'Room events replayed while rebuilding partitions (the tail after the snapshot, or the whole log without one).',
    labelNames: ['source'],
  },
  projectorTransactions: {
    type: 'counter',
    name: 'signal_projector_transactions_total',
    help: 'Consume-decide-produce transactions, by outcome (committed, aborted).',
    labelNames: ['outcome'],
  },
  projectorCommands: {
    type: 'counter',
    name: 'signal_projector_commands_total',
    help: 'Commands decided, by command type and outcome (accepted, rejected).',
    labelNames: ['type', 'outcome'],
  },
  projectorRebuildSeconds: {
    type: 'histogram',
    name: 'signal_projector_rebuild_seconds',
    help: "Time to rebuild a partition's rooms from snapshots and the log.",
    labelNames: [],
    buckets: REBUILD_BUCKETS_SECONDS,
  },
  edgeRateLimitFailOpen: {
    type: 'counter',
    name: 'signal_edge_rate_limit_fail_open_total',
    help: 'Per-identity rate-limit checks let through because Redis did not answer.',
    labelNames: [],
  },
  edgeUpgradesRejected: {
    type: 'counter',
    name: 'signal_edge_upgrades_rejected_total',
    help: 'WebSocket upgrades refused, by HTTP status and error code.',
    labelNames: ['status', 'code'],
  },
  edgeDeliveriesDropped: {
    type: 'counter',
    name: 'signal_edge_deliveries_dropped_total',
    help: 'Delivery records or events not delivered, by reason (other_edge, undecodable, unknown_connection, unrenderable, duplicate).',
    labelNames: ['reason'],
  },
  edgePendingProduces: {
    type: 'gauge',
    name: 'signal_edge_pending_produces',
    help: 'Commands queued or in flight to Kafka.',
    labelNames: [],
  },
  sfuPeerConnections: {
    type: 'gauge',
    name: 'signal_sfu_peer_connections',
    help: 'WebRTC peer connections on this SFU worker.',
    labelNames: [],
  },
  sfuTracks: {
    type: 'gauge',
    name: 'signal_sfu_tracks',
    help: 'Media tracks on this SFU worker, by kind (audio, video) and direction (published, subscribed).',
    labelNames: ['kind', 'direction'],
  },
  sfuPacketsPerSecond: {
    type: 'gauge',
    name: 'signal_sfu_packets_per_second',
    help: 'RTP packets per second forwarded by this SFU worker, by direction (in, out).',
    labelNames: ['direction'],
  },
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof METRICS;

type LabelsOf<D> = D extends { readonly labelNames: readonly (infer L extends string)[] } ? L : never;

/** The prom-client instance type of a catalogue entry, with its label names. */
export type MetricOf<K extends MetricKey> = (typeof METRICS)[K] extends { readonly type: 'counter' }
  ? Counter<LabelsOf<(typeof METRICS)[K]>>
  : (typeof METRICS)[K] extends { readonly type: 'gauge' }
    ? Gauge<LabelsOf<(typeof METRICS)[K]>>
    : Histogram<LabelsOf<(typeof METRICS)[K]>>;

/** Options of `createMetricsRegistry`. */
export interface MetricsRegistryOptions {
  /** Added as a `service` label to every series. */
  readonly service: string;
  /** Collect process metrics (event-loop lag, memory, GC, handles); default true. */
  readonly defaultMetrics?: boolean;
}

/** A fresh registry for one service, with Node's default metrics. */
export function createMetricsRegistry(options: MetricsRegistryOptions): Registry {
  const registry = new Registry();
  // `instance` is left to Prometheus: it sets that label from the scrape target.
  registry.setDefaultLabels({ service: options.service });
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Options of `metric`. */
export interface MetricOptions {
  /**
   * Called before every scrape (only when the metric is created here): for gauges that mirror
   * state held elsewhere, so a scrape never reads a stale value.
   */
  readonly collect?: () => void;
}

/** The catalogue metric `key` in `registry`, created on first use (services only export what they use). */
export function metric<K extends MetricKey>(registry: Registry, key: K, options: MetricOptions = {}): MetricOf<K> {
  const def: MetricDef = METRICS[key];
  const existing = registry.getSingleMetric(def.name);
  if (existing !== undefined) return existing as unknown as MetricOf<K>;
  const common = {
    name: def.name,
    help: def.help,
    labelNames: [...def.labelNames],
    registers: [registry],
    ...(options.collect === undefined ? {} : { collect: options.collect }),
  };
  switch (def.type) {
    case 'counter':
      return new Counter(common) as unknown as MetricOf<K>;
    case 'gauge':
      return new Gauge(common) as unknown as MetricOf<K>;
    case 'histogram':
      return new Histogram({
        ...common,
        buckets: [...(def.buckets ?? LATENCY_BUCKETS_SECONDS)],
      }) as unknown as MetricOf<K>;
  }
}

/** Milliseconds to seconds for histogram observations (negative clock skew across hosts clamps to 0). */
export function msToSeconds(ms: number): number {
  return Math.max(0, ms) / 1000;
}
