import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs on the project's machines, so the compose file cannot be started in CI;
// this keeps it well-formed and consistent with the defaults the services use.
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<
    string,
    { image: string; ports?: string[]; environment?: Record<string, unknown>; volumes?: string[] }
  >;
};

describe('infra/docker-compose.yml', () => {
  it('runs Kafka (KRaft), Redis, an OpenTelemetry collector and Jaeger', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['jaeger', 'kafka', 'otel-collector', 'redis']);
    expect(compose.services['kafka']!.environment!['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
  });

  it('publishes the local default ports on loopback only', () => {
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(ports).toEqual(
      expect.arrayContaining(['127.0.0.1:19092:19092', '127.0.0.1:16379:16379', '127.0.0.1:4318:4318']),
    );
    for (const p of ports) expect(p.startsWith('127.0.0.1:')).toBe(true);
    expect(compose.services['kafka']!.environment!['KAFKA_ADVERTISED_LISTENERS']).toBe('PLAINTEXT://127.0.0.1:19092');
  });

  it('mounts a collector configuration that exports traces to Jaeger', () => {
    const config = parse(readFileSync(new URL('../../otel-collector.yaml', import.meta.url), 'utf8')) as {
      service: { pipelines: { traces: { exporters: string[] } } };
    };
    expect(config.service.pipelines.traces.exporters).toEqual(['otlp/jaeger']);
  });
});
