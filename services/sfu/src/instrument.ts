/**
 * The first import of main.ts: starts OpenTelemetry before any other module of the service is
 * evaluated (ES modules evaluate in import order, depth first), so the global tracer and
 * propagator exist, and instrumentations could patch kafkajs, ioredis or pino, before those load.
 * It imports nothing but the telemetry module; main.ts sets the instance id once the
 * configuration is parsed.
 */
import { startServiceTelemetry } from '@sig/runtime/telemetry';

export const telemetry = startServiceTelemetry('sfu');
