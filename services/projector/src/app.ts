// Composition root (loaded by main.ts once telemetry started): config, wiring and signals.
import { telemetry } from './instrument.js';
import { hostname } from 'node:os';
import {
  ConfigError,
  createAdminServer,
  createKafka,
  kafkaSecurity,
  createLogger,
  handleShutdownSignals,
  hideKafkajsTimerWarning,
  loadSchemaSet,
} from '@sig/runtime';
import { loadProjectorConfig } from './config.js';
import { createProjectorMetrics } from './adapters/metrics.js';
import { Projector } from './projector.js';

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
telemetry.setInstanceId(instanceId);
const logger = createLogger({
  service: 'projector',
  instance: instanceId,
  level: config.level,
  pretty: config.pretty,
});
logger.info({ tracesExport: telemetry.tracesExport, loadedTooEarly: telemetry.loadedTooEarly }, 'telemetry started');
// The rooms gauge reads the projector (created below) at scrape time, once the admin server runs.
const metrics = createProjectorMetrics(() => projector.roomsByPartition);
const kafka = createKafka({
  brokers: config.brokers,
  clientId: config.clientId ?? 'projector',
  logger,
  ...kafkaTransport,
});
const projector = new Projector({
  kafka,
  logger,
  schemas: await loadSchemaSet(config),
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
  transactionGapMs: config.transactionGapMs,
  edgeStartupGraceMs: config.edgeStartupGraceMs,
  snapshotEveryEvents: config.snapshotEveryEvents,
  onRebuilt: ({ ms, snapshots, tailEvents }) => {
    metrics.rebuildSeconds.observe(ms / 1000);
    metrics.rebuildEvents.inc({ source: snapshots > 0 ? 'tail_after_snapshot' : 'full_log' }, tailEvents);
  },
  metrics,
});
const admin = createAdminServer({
  host: config.host,
  port: config.port,
  registry: metrics.registry,
  logger,
  readiness: () => {
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
