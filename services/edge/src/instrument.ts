/**
 * Loaded by main.ts before the rest of the service: starts OpenTelemetry while nothing an
 * instrumentation could patch (kafkajs, ioredis, pino) is loaded yet. It imports nothing but the
 * telemetry module; app.ts sets the instance id once the configuration is parsed.
 */
import { startServiceTelemetry } from '@sig/runtime/telemetry';

export const telemetry = startServiceTelemetry('edge');
