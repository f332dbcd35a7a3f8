/**
 * Composition root of the edge (loaded by main.ts once telemetry started): parse the configuration,
 * build the adapters, start the edge, and turn SIGTERM/SIGINT into a drain that ends the process
 * within DRAIN_TIMEOUT whatever happens.
 */
import { telemetry } from './instrument.js';
import {
  createAdminServer,
  createKafka,
  createLogger,
  createRedis,
  handleShutdownSignals,
  hideKafkajsTimerWarning,
  kafkaSecurity,
  loadSchemaSet,
  redisTls,
  type KafkaSecurityOptions,
  type Logger,
} from '@sig/runtime';
import { topicName } from '@sig/schemas';
import type { Kafka } from 'kafkajs';
import { loadEdgeConfig, type EdgeConfig } from './config.js';
import { defaultReplySlot } from './domain/reply-slot.js';
import { TokenVerifier } from './adapters/auth.js';
import { createEdgeMetrics } from './adapters/metrics.js';
import { Edge } from './gateway/edge.js';

/** Client-level Kafka retries: fail a connect within a few seconds so clients hear back quickly. */
const EDGE_KAFKA_RETRY = { initialRetryTime: 100, maxRetryTime: 1000, retries: 5 };

async function main(): Promise<void> {
  hideKafkajsTimerWarning();
  let config: EdgeConfig;
  let transport: { kafka: KafkaSecurityOptions; redisTls: ReturnType<typeof redisTls> };
  try {
    config = loadEdgeConfig();
    transport = { kafka: kafkaSecurity(config.kafka.security), redisTls: redisTls(config.redis) };
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  telemetry.setInstanceId(config.edgeId);
  const logger = createLogger({
    service: 'edge',
    instance: config.edgeId,
    level: config.log.level,
    pretty: config.log.pretty,
  });
  logger.info({ tracesExport: telemetry.tracesExport, loadedTooEarly: telemetry.loadedTooEarly }, 'telemetry started');
  if (config.jwt.devSecret) logger.warn('JWT_SECRET is not set: using the development secret (never in production)');

  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId ?? `edge-${config.edgeId}`,
    logger,
    retry: EDGE_KAFKA_RETRY,
    ...transport.kafka,
  });
  // Assigned once the adapters exist; the admin server and signal handlers read it before that.
  let edge: Edge | undefined = undefined;
  const metrics = createEdgeMetrics(() => edge?.pendingProduces ?? 0);
  const admin = createAdminServer({
    host: config.adminHost,
    port: config.adminPort,
    registry: metrics.registry,
    readiness: () => edge?.readiness() ?? { ready: false, reasons: ['starting'] },
    logger: logger.child({ component: 'admin' }),
  });

  const shutdown = handleShutdownSignals({
    logger,
    deadlineMs: config.drainTimeout,
    telemetry,
    stoppedMessage: 'edge stopped',
    stop: async (signal) => {
      await edge?.drain(signal);
      await admin.close().catch(() => undefined);
    },
  });

  const adminAddress = await admin.listen();
  const replySlot = await resolveReplySlot(kafka, config, logger);
  const redis = createRedis(config.redis.url, logger, {
    connectionName: `edge-${config.edgeId}`,
    tls: transport.redisTls,
  });
  const verifier = await TokenVerifier.create({
    secret: config.jwt.secret,
    previousSecret: config.jwt.previousSecret,
    jwksFile: config.jwt.jwksFile,
    jwksUrl: config.jwt.jwksUrl,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    logger: logger.child({ component: 'auth' }),
  });
  const schemas = await loadSchemaSet(config.kafka);
  edge = new Edge({ config, replySlot, kafka, redis, verifier, schemas, metrics, logger });
  if (shutdown.stopping) return;
  await edge.start();
  logger.info(
    { edgeId: config.edgeId, replySlot, host: config.host, port: edge.port, adminPort: adminAddress.port },
    'edge ready',
  );
}

/** EDGE_REPLY_SLOT, or the hash of the edge id over the deliveries topic's actual partition count. */
async function resolveReplySlot(kafka: Kafka, config: EdgeConfig, logger: Logger): Promise<number> {
  const topic = topicName('deliveries', config.kafka.topicPrefix);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = topics[0]?.partitions.length ?? 0;
    if (partitions === 0)
      throw new Error(`topic ${topic} does not exist (create the catalogue topics first: npm run topics)`);
    if (config.replySlot !== undefined && config.replySlot >= partitions) {
      throw new Error(`EDGE_REPLY_SLOT=${config.replySlot} but ${topic} has ${partitions} partitions`);
    }
    const slot = config.replySlot ?? defaultReplySlot(config.edgeId, partitions);
    logger.debug({ topic, partitions, slot }, 'reply slot resolved');
    return slot;
  } finally {
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `edge failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
