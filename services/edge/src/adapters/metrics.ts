/**
 * The edge's Prometheus metrics, all from the shared catalogue (services/runtime metrics.ts;
 * edge-only series are prefixed `signal_edge_`). Label values are bounded: message types come
 * from the protocol, codes from the error catalogue.
 */
import type { Counter, Gauge, Registry } from 'prom-client';
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

/** Creates the registry and every metric in it; `pendingProduces` is read at every scrape. */
export function createEdgeMetrics(pendingProduces: () => number = () => 0): EdgeMetrics {
  const registry = createMetricsRegistry({ service: 'edge' });
  const pending = metric(registry, 'edgePendingProduces', { collect: () => pending.set(pendingProduces()) });
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
    rateLimitFailOpen: metric(registry, 'edgeRateLimitFailOpen'),
    upgradesRejected: metric(registry, 'edgeUpgradesRejected'),
    deliveriesDropped: metric(registry, 'edgeDeliveriesDropped'),
    pendingProduces: pending,
  };
}
