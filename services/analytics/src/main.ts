import { hostname } from 'node:os';
import {
  ConfigError,
  createAdminServer,
  createKafka,
  createLogger,
  createMetricsRegistry,
  handleShutdownSignals,
  hideKafkajsTimerWarning,
  loadSchemaSet,
  startTelemetry,
} from '@sig/runtime';
import { AnalyticsWorker } from './adapters/analytics-worker.js';
import { loadAnalyticsConfig } from './config.js';

// Composition root: config, telemetry first, then wiring and signals.
hideKafkajsTimerWarning();
let config;
try {
  config = loadAnalyticsConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
const instanceId = `analytics-${hostname()}-${process.pid}`;
const telemetry = startTelemetry({ serviceName: 'analytics', instanceId });
const logger = createLogger({ service: 'analytics', instance: instanceId, level: config.level, pretty: config.pretty });
const registry = createMetricsRegistry({ service: 'analytics' });
const kafka = createKafka({ brokers: config.brokers, clientId: config.clientId ?? 'analytics', logger });
const worker = new AnalyticsWorker({
  kafka,
  schemas: await loadSchemaSet(config),
  topicPrefix: config.topicPrefix,
  logger,
  onFatal: (err) => {
    // The in-memory derivation is ahead of the log: only a restart (and rebuild) is safe.
    logger.fatal({ err }, 'publishing session facts failed; exiting to rebuild');
    process.exit(1);
  },
});
const admin = createAdminServer({
  host: config.host,
  port: config.port,
  registry,
  logger,
  readiness: () => ({ ready: worker.running, reasons: worker.running ? [] : ['analytics is not consuming yet'] }),
});

handleShutdownSignals({
  logger,
  deadlineMs: 15_000,
  telemetry,
  stoppedMessage: 'analytics stopped',
  stop: async () => {
    await worker.stop();
    await admin.close();
  },
});

await admin.listen();
await worker.start();
logger.info('analytics running');
