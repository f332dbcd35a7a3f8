/**
 * Composition root of the SFU worker (loaded by main.ts once telemetry started): parse the
 * configuration, build the worker, serve /healthz, /readyz and /metrics, and turn SIGTERM/SIGINT
 * into a release of every room that ends the process within SFU_DRAIN_TIMEOUT whatever happens.
 */
import { telemetry } from './instrument.js';
import {
  createAdminServer,
  createKafka,
  createLogger,
  createMetricsRegistry,
  handleShutdownSignals,
  hideKafkajsTimerWarning,
  metric,
  loadSchemaSet,
  kafkaSecurity,
  type KafkaSecurityOptions,
} from '@sig/runtime';
import { loadSfuConfig, type SfuConfig } from './config.js';
import { candidatePolicy, peerConfig } from './adapters/peer-config.js';
import { SfuWorker } from './adapters/worker.js';

async function main(): Promise<void> {
  hideKafkajsTimerWarning();
  let config: SfuConfig;
  let kafkaTransport: KafkaSecurityOptions;
  try {
    config = loadSfuConfig();
    kafkaTransport = kafkaSecurity(config.kafka.security);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  telemetry.setInstanceId(config.workerId);
  const logger = createLogger({
    service: 'sfu',
    instance: config.workerId,
    level: config.log.level,
    pretty: config.log.pretty,
  });
  logger.info({ tracesExport: telemetry.tracesExport, loadedTooEarly: telemetry.loadedTooEarly }, 'telemetry started');
  const registry = createMetricsRegistry({ service: 'sfu' });
  const peerConnections = metric(registry, 'sfuPeerConnections');
  const tracks = metric(registry, 'sfuTracks');
  const packetRate = metric(registry, 'sfuPacketsPerSecond');
  const errors = metric(registry, 'errors');
  const messagesIn = metric(registry, 'messagesIn');
  const messagesOut = metric(registry, 'messagesOut');

  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId ?? config.workerName,
    logger,
    ...kafkaTransport,
  });
  const worker = new SfuWorker({
    kafka,
    logger,
    schemas: await loadSchemaSet(config.kafka),
    topicPrefix: config.kafka.topicPrefix,
    workerId: config.workerId,
    limits: { maxRooms: config.maxRooms, maxPeerConnections: config.maxPeerConnections },
    groupSessionTimeoutMs: config.groupSessionTimeout,
    partitionsConcurrently: config.partitionsConcurrently,
    recoveryTimeoutMs: config.recoveryTimeout,
    negotiation: { offerTimeoutMs: config.offerTimeout, maxUnanswered: 3 },
    keyframeIntervalMs: config.keyframeInterval,
    peerConfig: () => peerConfig(config.ice),
    candidatePolicy: candidatePolicy(config.ice),
    onReport: (type, outcome) => {
      if (outcome === 'lost') errors.inc({ code: 'kafka_unavailable' });
      else messagesOut.inc({ type });
    },
    onCommand: (type) => messagesIn.inc({ type }),
    onError: (code) => errors.inc({ code }),
    kafkaMetrics: {
      consumerLag: metric(registry, 'consumerLag'),
      produceLatency: metric(registry, 'kafkaProduceLatency'),
    },
  });

  // Gauges follow the worker's census once a second (also what the packet rates are sampled at).
  const gauges = setInterval(() => {
    const c = worker.census();
    peerConnections.set(c.peerConnections);
    tracks.set({ kind: 'audio', direction: 'published' }, c.published.audio);
    tracks.set({ kind: 'video', direction: 'published' }, c.published.video);
    tracks.set({ kind: 'audio', direction: 'subscribed' }, c.subscribed.audio);
    tracks.set({ kind: 'video', direction: 'subscribed' }, c.subscribed.video);
    packetRate.set({ direction: 'in' }, c.packetsInPerSecond);
    packetRate.set({ direction: 'out' }, c.packetsOutPerSecond);
  }, 1000);
  gauges.unref();

  const admin = createAdminServer({
    host: config.admin.host,
    port: config.admin.port,
    registry,
    logger: logger.child({ component: 'admin' }),
    readiness: () => worker.readiness(),
  });

  const shutdown = handleShutdownSignals({
    logger,
    deadlineMs: config.drainTimeout,
    telemetry,
    stoppedMessage: 'sfu worker stopped',
    stop: async (signal) => {
      clearInterval(gauges);
      await worker.stop(signal);
      await admin.close().catch(() => undefined);
    },
  });
  worker.lifecycle.on('change', ({ to, reason }) => {
    if (to === 'failed' && !shutdown.stopping) {
      logger.error({ reason }, 'worker failed: exiting');
      shutdown.stop('worker-failed');
    }
  });

  await admin.listen();
  await worker.start();
  logger.info(
    { workerId: config.workerId, name: config.workerName, ice: { ...config.ice, credential: undefined } },
    'sfu worker running',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `sfu failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
