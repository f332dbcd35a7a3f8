import { describe, expect, test } from 'vitest';
import {
  ConfigError,
  describeConfig,
  kafkaConfigSpec,
  kafkaSecurity,
  parseConfig,
  redisConfigSpec,
  redisTls,
} from '../src/index.js';

const PEM = (what: string) => `-----BEGIN ${what}-----\nMIIB\n-----END ${what}-----\n`;
const FILES: Record<string, string> = {
  '/etc/kafka/ca.pem': PEM('CERTIFICATE'),
  '/etc/kafka/client.pem': PEM('CERTIFICATE'),
  '/etc/kafka/client.key': PEM('PRIVATE KEY'),
  '/etc/kafka/not-pem.txt': 'hello',
};
const read = (path: string): string => {
  const text = FILES[path];
  if (text === undefined) throw new Error(`ENOENT: ${path}`);
  return text;
};
const kafka = (env: Record<string, string>) => kafkaSecurity(parseConfig(kafkaConfigSpec, env).security, read);
const redis = (env: Record<string, string>) => redisTls(parseConfig(redisConfigSpec, env), read);

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.name);
    throw error;
  }
  return [];
}

describe('Kafka TLS and SASL settings', () => {
  test('nothing set: plaintext, no SASL (the local broker)', () => {
    expect(kafka({})).toEqual({});
  });

  test('KAFKA_SSL=true alone: TLS verified against the system CAs', () => {
    expect(kafka({ KAFKA_SSL: 'true' })).toEqual({ ssl: true });
  });

  test('a CA file and a client certificate: mutual TLS with those PEMs', () => {
    expect(
      kafka({
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: '/etc/kafka/ca.pem',
        KAFKA_SSL_CERT_FILE: '/etc/kafka/client.pem',
        KAFKA_SSL_KEY_FILE: '/etc/kafka/client.key',
      }),
    ).toEqual({
      ssl: {
        ca: FILES['/etc/kafka/ca.pem'],
        cert: FILES['/etc/kafka/client.pem'],
        key: FILES['/etc/kafka/client.key'],
      },
    });
  });

  test('SASL SCRAM with TLS', () => {
    expect(
      kafka({
        KAFKA_SSL: 'yes',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'edge',
        KAFKA_SASL_PASSWORD: 's3cret',
      }),
    ).toEqual({ ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'edge', password: 's3cret' } });
  });

  test('unusable combinations fail the start, naming the variable', () => {
    expect(problems(() => kafka({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'edge' }))).toEqual([
      'KAFKA_SASL_PASSWORD',
    ]);
    expect(problems(() => kafka({ KAFKA_SASL_USERNAME: 'edge', KAFKA_SASL_PASSWORD: 'x' }))).toEqual([
      'KAFKA_SASL_MECHANISM',
    ]);
    expect(problems(() => kafka({ KAFKA_SSL_CA_FILE: '/etc/kafka/ca.pem' }))).toEqual(['KAFKA_SSL']);
    expect(problems(() => kafka({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: '/etc/kafka/client.pem' }))).toEqual([
      'KAFKA_SSL_KEY_FILE',
    ]);
    expect(problems(() => kafka({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/missing.pem' }))).toEqual([
      'KAFKA_SSL_CA_FILE',
    ]);
    expect(problems(() => kafka({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/etc/kafka/not-pem.txt' }))).toEqual([
      'KAFKA_SSL_CA_FILE',
    ]);
    expect(problems(() => parseConfig(kafkaConfigSpec, { KAFKA_SASL_MECHANISM: 'gssapi' }))).toEqual([
      'KAFKA_SASL_MECHANISM="gssapi"',
    ]);
  });

  test('the SASL password is marked secret (never shown in tables or errors)', () => {
    const rows = describeConfig(kafkaConfigSpec);
    expect(rows.find((r) => r.name === 'KAFKA_SASL_PASSWORD')).toMatchObject({ secret: true });
    expect(rows.filter((r) => r.secret).map((r) => r.name)).toEqual(['KAFKA_SASL_PASSWORD']);
  });
});

describe('Redis TLS settings', () => {
  test('redis:// without TLS files: no TLS; rediss:// alone: TLS with the system CAs', () => {
    expect(redis({ REDIS_URL: 'redis://10.0.0.5:6379' })).toBeUndefined();
    expect(redis({ REDIS_URL: 'rediss://default:pw@redis.internal:6380' })).toEqual({});
  });

  test('rediss:// with a CA and a client certificate', () => {
    expect(
      redis({
        REDIS_URL: 'rediss://redis.internal:6380',
        REDIS_TLS_CA_FILE: '/etc/kafka/ca.pem',
        REDIS_TLS_CERT_FILE: '/etc/kafka/client.pem',
        REDIS_TLS_KEY_FILE: '/etc/kafka/client.key',
      }),
    ).toEqual({
      ca: FILES['/etc/kafka/ca.pem'],
      cert: FILES['/etc/kafka/client.pem'],
      key: FILES['/etc/kafka/client.key'],
    });
  });

  test('TLS files with a redis:// URL, or a certificate without its key, fail the start', () => {
    expect(problems(() => redis({ REDIS_URL: 'redis://x:1', REDIS_TLS_CA_FILE: '/etc/kafka/ca.pem' }))).toEqual([
      'REDIS_URL',
    ]);
    expect(problems(() => redis({ REDIS_URL: 'rediss://x:1', REDIS_TLS_KEY_FILE: '/etc/kafka/client.key' }))).toEqual([
      'REDIS_TLS_CERT_FILE',
    ]);
  });
});
