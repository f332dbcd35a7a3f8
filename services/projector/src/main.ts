import { hostname } from 'node:os';
import {
  ConfigError,
  createAdminServer,
  createKafka,
  kafkaSecurity,
  createLogger,
  createMetricsRegistry,
  handleShutdownSignals,
  hideKafkajsTimerWarning,
  metric,
  startTelemetry,
} from '@sig/runtime';
import { SchemaSet } from '@sig/schemas';
import { loadProjectorConfig } from './config.js';
import { Projector } from './projector.js';

// Composition root: config, telemetry first, then wiring and signals.
hideKafkajsTimerWarning();
let config;
let kafkaTransport;
try {
  config = loadProjectorConfig();
  kafkaTransport = kafkaSecurity(config.security);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
const instanceId = config.instanceId ?? `projector-${hostname()}-${process.pid}`;
const telemetry = startTelemetry({ serviceName: 'projector', instanceId });
const logger = createLogger({
  service: 'projector',
  instance: instanceId,
  level: config.level,
  pretty: config.pretty,
});
const registry = createMetricsRegistry({ service: 'projector' });
const rebuildSeconds = metric(registry, 'projectorRebuildSeconds');
const rebuildEvents = metric(registry, 'projectorRebuildEvents');
const kafka = createKafka({
  brokers: config.brokers,
  clientId: config.clientId ?? 'projector',
  logger,
  ...kafkaTransport,
});
const projector = new Projector({
  kafka,
  logger,
  schemas: SchemaSet.load(),
  topicPrefix: config.topicPrefix,
  instanceId,
  decider: {
    room: {
      maxParticipants: config.maxParticipants,
      emptyTimeoutMs: config.emptyTimeoutMs,
      departureTimeoutMs: config.departureTimeoutMs,
    },
    resumeWindowEvents: config.resumeWindowEvents,
  },
  maxCommandsPerTransaction: config.maxCommandsPerTransaction,
  partitionsConcurrently: config.partitionsConcurrently,
  edgeStartupGraceMs: config.edgeStartupGraceMs,
  snapshotEveryEvents: config.snapshotEveryEvents,
  onRebuilt: ({ ms, snapshots, tailEvents }) => {
    rebuildSeconds.observe(ms / 1000);
    rebuildEvents.inc({ source: snapshots > 0 ? 'tail_after_snapshot' : 'full_log' }, tailEvents);
  },
});
const rooms = metric(registry, 'projectorRooms');
const admin = createAdminServer({
  host: config.host,
  port: config.port,
  registry,
  logger,
  readiness: () => {
    rooms.set({ partition: 'all' }, projector.roomCount);
    const running = projector.lifecycle.state === 'running';
    return { ready: running, reasons: running ? [] : [`projector is ${projector.lifecycle.state}`] };
  },
});

handleShutdownSignals({
  logger,
  // Never hang: a stuck broker call must not keep the process alive past the deadline.
  deadlineMs: 15_000,
  telemetry,
  stoppedMessage: 'projector stopped',
  stop: async () => {
    await projector.stop();
    await admin.close();
  },
});

await admin.listen();
await projector.start();
logger.info({ partitions: projector.ownedPartitions }, 'projector running');
