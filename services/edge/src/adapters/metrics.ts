/**
 * The edge's Prometheus metrics: the shared catalogue's (services/runtime metrics.ts) plus a few
 * edge-only series the catalogue does not have yet (prefixed `signal_edge_`). Label values are
 * bounded: message types come from the protocol, codes from the error catalogue.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { createMetricsRegistry, metric } from '@sig/runtime';

/** Every metric the edge updates. */
export interface EdgeMetrics {
  readonly registry: Registry;
  readonly connections: Gauge<string>;
  readonly connectionsOpened: Counter<string>;
  readonly connectionsClosed: Counter<'close_code'>;
  readonly messagesIn: Counter<'type'>;
  readonly messagesOut: Counter<'type'>;
  readonly errors: Counter<'code'>;
  readonly rateLimitHits: Counter<'scope'>;
  readonly produceLatency: ReturnType<typeof metric<'kafkaProduceLatency'>>;
  readonly relayLatency: ReturnType<typeof metric<'relayLatency'>>;
  readonly joinLatency: ReturnType<typeof metric<'joinLatency'>>;
  readonly consumerLag: ReturnType<typeof metric<'consumerLag'>>;
  /** Per-identity checks let through because Redis did not answer (fail open). */
  readonly rateLimitFailOpen: Counter<string>;
  /** Upgrades refused, by HTTP status and code. */
  readonly upgradesRejected: Counter<'status' | 'code'>;
  /** Delivery records or events that could not be delivered, by reason. */
  readonly deliveriesDropped: Counter<'reason'>;
  /** Commands waiting for Kafka. */
  readonly pendingProduces: Gauge<string>;
}

/** Creates the registry and every metric in it. */
export function createEdgeMetrics(): EdgeMetrics {
  const registry = createMetricsRegistry({ service: 'edge' });
  return {
    registry,
    connections: metric(registry, 'connections'),
    connectionsOpened: metric(registry, 'connectionsOpened'),
    connectionsClosed: metric(registry, 'connectionsClosed'),
    messagesIn: metric(registry, 'messagesIn'),
    messagesOut: metric(registry, 'messagesOut'),
    errors: metric(registry, 'errors'),
    rateLimitHits: metric(registry, 'rateLimitHits'),
    produceLatency: metric(registry, 'kafkaProduceLatency'),
    relayLatency: metric(registry, 'relayLatency'),
    joinLatency: metric(registry, 'joinLatency'),
    consumerLag: metric(registry, 'consumerLag'),
    rateLimitFailOpen: new Counter({
      name: 'signal_edge_rate_limit_fail_open_total',
      help: 'Per-identity rate-limit checks let through because Redis did not answer.',
      registers: [registry],
    }),
    upgradesRejected: new Counter({
      name: 'signal_edge_upgrades_rejected_total',
      help: 'WebSocket upgrades refused, by HTTP status and error code.',
      labelNames: ['status', 'code'],
      registers: [registry],
    }),
    deliveriesDropped: new Counter({
      name: 'signal_edge_deliveries_dropped_total',
      help: 'Delivery records or events not delivered, by reason (other_edge, undecodable, unknown_connection, unrenderable).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    pendingProduces: new Gauge({
      name: 'signal_edge_pending_produces',
      help: 'Commands queued or in flight to Kafka.',
      registers: [registry],
    }),
  };
}
