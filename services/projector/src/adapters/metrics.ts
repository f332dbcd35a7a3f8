/**
 * The projector's Prometheus metrics, all from the shared catalogue (runtime metrics.ts). Label
 * values are bounded: command and event types come from the Avro schemas, codes from ErrorCode.
 */
import type { Registry } from 'prom-client';
import { createMetricsRegistry, metric } from '@sig/runtime';

/** What the projector's adapters update. */
export interface ProjectorMetrics {
  readonly registry: Registry;
  readonly transactions: ReturnType<typeof metric<'projectorTransactions'>>;
  readonly produceLatency: ReturnType<typeof metric<'kafkaProduceLatency'>>;
  readonly consumerLag: ReturnType<typeof metric<'consumerLag'>>;
  readonly rebuildSeconds: ReturnType<typeof metric<'projectorRebuildSeconds'>>;
  readonly rebuildEvents: ReturnType<typeof metric<'projectorRebuildEvents'>>;
  /** A command was decided: accepted, rejected with `code`, or recognised as a client retry. */
  decided(type: string, code: string | null, duplicate?: boolean): void;
  /** A room event was written. */
  eventWritten(type: string): void;
}

/**
 * Creates the registry and its metrics. `roomsByPartition` is read at every scrape, so the rooms
 * gauge is never stale.
 */
export function createProjectorMetrics(roomsByPartition: () => ReadonlyMap<number, number>): ProjectorMetrics {
  const registry = createMetricsRegistry({ service: 'projector' });
  const commands = metric(registry, 'projectorCommands');
  const errors = metric(registry, 'errors');
  const messagesOut = metric(registry, 'messagesOut');
  const rooms = metric(registry, 'projectorRooms', {
    collect: () => {
      rooms.reset();
      for (const [partition, count] of roomsByPartition()) rooms.set({ partition: String(partition) }, count);
    },
  });
  return {
    registry,
    transactions: metric(registry, 'projectorTransactions'),
    produceLatency: metric(registry, 'kafkaProduceLatency'),
    consumerLag: metric(registry, 'consumerLag'),
    rebuildSeconds: metric(registry, 'projectorRebuildSeconds'),
    rebuildEvents: metric(registry, 'projectorRebuildEvents'),
    decided(type, code, duplicate = false) {
      commands.inc({ type, outcome: duplicate ? 'duplicate' : code === null ? 'accepted' : 'rejected' });
      if (code !== null) errors.inc({ code });
    },
    eventWritten(type) {
      messagesOut.inc({ type });
    },
  };
}
