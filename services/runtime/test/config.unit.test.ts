import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  adminConfigSpec,
  configTableMarkdown,
  describeConfig,
  env,
  formatDuration,
  kafkaConfigSpec,
  logConfigSpec,
  parseConfig,
  parseDuration,
  redisConfigSpec,
} from '../src/config.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  const spec = {
    kafka: kafkaConfigSpec,
    redis: redisConfigSpec,
    log: logConfigSpec,
    admin: adminConfigSpec(9401),
    edge: {
      maxFrameBytes: env.int('MAX_FRAME_BYTES', { default: 65_536, min: 1024, max: 2_097_152 }),
      drainTimeout: env.duration('DRAIN_TIMEOUT', { default: 30_000, max: 300_000 }),
      jwtSecret: env.string('JWT_SECRET', { secret: true }),
      origins: env.list('ALLOWED_ORIGINS', { optional: true }),
      mode: env.enum('EDGE_MODE', ['normal', 'canary'], { default: 'normal' }),
    },
  };

  it('applies defaults and parses a typed, nested object', () => {
    const config = parseConfig(spec, { JWT_SECRET: 's3cret' });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(config.kafka.clientId).toBeUndefined();
    expect(config.kafka.topicPrefix).toBe('');
    expect(config.redis.url).toBe('redis://127.0.0.1:16379');
    expect(config.log).toEqual({ level: 'info', pretty: false });
    expect(config.admin).toEqual({ host: '0.0.0.0', port: 9401 });
    expect(config.edge).toEqual({
      maxFrameBytes: 65_536,
      drainTimeout: 30_000,
      jwtSecret: 's3cret',
      origins: undefined,
      mode: 'normal',
    });
  });

  it('parses every kind from the environment', () => {
    const config = parseConfig(spec, {
      KAFKA_BROKERS: ' kafka-1:9092, kafka-2:9092 ,',
      KAFKA_CLIENT_ID: 'edge-7',
      REDIS_URL: 'rediss://:pw@redis.internal:6380/2',
      LOG_LEVEL: 'DEBUG',
      LOG_PRETTY: 'yes',
      ADMIN_PORT: '0',
      MAX_FRAME_BYTES: '2048',
      DRAIN_TIMEOUT: '2m',
      JWT_SECRET: 'x',
      ALLOWED_ORIGINS: 'https://a.example,https://b.example',
      EDGE_MODE: 'canary',
    });
    expect(config.kafka.brokers).toEqual(['kafka-1:9092', 'kafka-2:9092']);
    expect(config.kafka.clientId).toBe('edge-7');
    expect(config.redis.url).toBe('rediss://:pw@redis.internal:6380/2');
    expect(config.log).toEqual({ level: 'debug', pretty: true });
    expect(config.admin.port).toBe(0);
    expect(config.edge.maxFrameBytes).toBe(2048);
    expect(config.edge.drainTimeout).toBe(120_000);
    expect(config.edge.origins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.edge.mode).toBe('canary');
  });

  it('treats an empty variable as unset', () => {
    const config = parseConfig(spec, { JWT_SECRET: 'x', LOG_LEVEL: '', ADMIN_PORT: '  ' });
    expect(config.log.level).toBe('info');
    expect(config.admin.port).toBe(9401);
  });

  it('collects every problem into one error naming each variable and its expected form', () => {
    const error = configError(() =>
      parseConfig(spec, {
        KAFKA_BROKERS: 'kafka-1',
        REDIS_URL: 'http://redis:6379',
        LOG_LEVEL: 'loud',
        LOG_PRETTY: 'maybe',
        ADMIN_PORT: '70000',
        MAX_FRAME_BYTES: '12kb',
        DRAIN_TIMEOUT: '30',
        // JWT_SECRET missing
      }),
    );
    const names = error.problems.map((p) => p.name.split('=')[0]);
    expect(names).toEqual([
      'KAFKA_BROKERS',
      'REDIS_URL',
      'LOG_LEVEL',
      'LOG_PRETTY',
      'ADMIN_PORT',
      'MAX_FRAME_BYTES',
      'DRAIN_TIMEOUT',
      'JWT_SECRET',
    ]);
    expect(error.message).toContain('8 problems');
    expect(error.message).toMatch(/KAFKA_BROKERS="kafka-1": item "kafka-1" is not host:port \(expected: .*host:port/);
    expect(error.message).toMatch(
      /REDIS_URL="http:\/\/redis:6379": has scheme http: \(expected: a redis:\/\/ or rediss:\/\/ URL\)/,
    );
    expect(error.message).toMatch(
      /LOG_LEVEL="loud": .*expected: one of fatal, error, warn, info, debug, trace, silent/,
    );
    expect(error.message).toMatch(/ADMIN_PORT="70000": is out of range \(expected: an integer in \[0, 65535\]\)/);
    expect(error.message).toMatch(
      /MAX_FRAME_BYTES="12kb": is not an integer \(expected: an integer in \[1024, 2097152\]\)/,
    );
    expect(error.message).toMatch(
      /DRAIN_TIMEOUT="30": is not a duration with a unit \(expected: a duration like 500ms/,
    );
    expect(error.message).toMatch(/JWT_SECRET: is required but not set/);
  });

  it('never echoes secrets or URL passwords in errors', () => {
    const error = configError(() =>
      parseConfig(
        {
          secret: env.int('SECRET_NUMBER', { secret: true }),
          url: env.url('DB_URL', { protocols: ['redis:'] }),
        },
        { SECRET_NUMBER: 'hunter2', DB_URL: 'postgres://user:hunter3@db/x' },
      ),
    );
    expect(error.problems).toHaveLength(2);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('hunter3');
    expect(error.message).toContain('SECRET_NUMBER: is not an integer');
  });

  it('rejects a variable declared twice with different definitions', () => {
    const error = configError(() =>
      parseConfig({ a: env.int('PORT', { default: 1 }), b: env.string('PORT', { default: 'x' }) }, {}),
    );
    expect(error.problems[0]?.name).toBe('PORT');
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['0', 0],
    ['10 S', 10_000],
  ])('parses %s as %d ms', (raw, ms) => {
    expect(parseDuration(raw)).toBe(ms);
  });

  it.each(['30', '5 seconds', '-1s', 's', '', '1d'])('rejects %j', (raw) => {
    expect(() => parseDuration(raw)).toThrow(/duration/);
  });

  it('enforces bounds', () => {
    const spec = { t: env.duration('HEARTBEAT_TIMEOUT', { default: 15_000, min: 1000, max: 60_000 }) };
    expect(parseConfig(spec, { HEARTBEAT_TIMEOUT: '20s' }).t).toBe(20_000);
    expect(configError(() => parseConfig(spec, { HEARTBEAT_TIMEOUT: '500ms' })).message).toContain('[1s, 1m]');
  });

  it('formats to the shortest exact unit', () => {
    expect([0, 500, 1500, 5000, 120_000, 3_600_000].map(formatDuration)).toEqual([
      '0ms',
      '500ms',
      '1500ms',
      '5s',
      '2m',
      '1h',
    ]);
  });
});

describe('describeConfig', () => {
  it('lists every variable with its default, hiding secrets', () => {
    const rows = describeConfig({
      kafka: kafkaConfigSpec,
      admin: adminConfigSpec(9402),
      token: env.string('API_TOKEN', { default: 'dev-token', secret: true, description: 'Token' }),
      timeout: env.duration('T', { default: 5000 }),
    });
    expect(rows.map((r) => [r.name, r.default, r.required])).toEqual([
      ['KAFKA_BROKERS', '127.0.0.1:19092', false],
      ['KAFKA_CLIENT_ID', undefined, false],
      ['TOPIC_PREFIX', '', false],
      ['SCHEMA_REGISTRY_URL', undefined, false],
      ['KAFKA_SSL', 'false', false],
      ['KAFKA_SSL_CA_FILE', undefined, false],
      ['KAFKA_SSL_CERT_FILE', undefined, false],
      ['KAFKA_SSL_KEY_FILE', undefined, false],
      ['KAFKA_SASL_MECHANISM', undefined, false],
      ['KAFKA_SASL_USERNAME', undefined, false],
      ['KAFKA_SASL_PASSWORD', undefined, false],
      ['ADMIN_HOST', '0.0.0.0', false],
      ['ADMIN_PORT', '9402', false],
      ['API_TOKEN', '(secret)', false],
      ['T', '5s', false],
    ]);
    expect(rows.find((r) => r.name === 'ADMIN_PORT')?.path).toBe('admin.port');
    expect(rows.every((r) => r.expected.length > 0)).toBe(true);
  });

  it('renders a markdown table', () => {
    const table = configTableMarkdown(logConfigSpec);
    expect(table.split('\n')).toHaveLength(4);
    expect(table).toContain('| `LOG_LEVEL` | `info` | Minimum log level');
  });
});
