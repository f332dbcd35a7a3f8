/**
 * @sig/runtime: what every service shares — errors, config, lifecycle, logging, telemetry,
 * metrics, the admin server, and the Kafka/Redis adapters.
 */
export * from './errors.js';
export * from './config.js';
export * from './lifecycle.js';
export * from './emitter.js';
export * from './retry.js';
export * from './redact.js';
export * from './logger.js';
export * from './span-names.js';
export * from './telemetry.js';
export * from './metrics.js';
export * from './admin-server.js';
export * from './kafka.js';
export * from './kafkajs-aborted.js';
export * from './redis.js';
export * from './partitions.js';
export * from './process-warnings.js';
export * from './shutdown.js';
export * from './kafka-trace.js';
export * from './schema-set.js';
export * from './security.js';
