/**
 * Transport security to Kafka and Redis: the parsed `KAFKA_SSL*` / `KAFKA_SASL*` and
 * `REDIS_TLS_*` variables (config.ts) turned into kafkajs and ioredis options. Combinations that
 * cannot work (a client certificate without its key, SASL without credentials, CA files without
 * TLS) and unreadable files fail the start with a `ConfigError` naming the variable, never a
 * handshake error at the first connection.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import {
  ConfigError,
  type ConfigOf,
  type ConfigProblem,
  type kafkaConfigSpec,
  type redisConfigSpec,
} from './config.js';

/** The parsed `security` part of `kafkaConfigSpec`. */
export type KafkaSecurityConfig = ConfigOf<(typeof kafkaConfigSpec)['security']>;
/** The parsed `redisConfigSpec`. */
export type RedisConnectionConfig = ConfigOf<typeof redisConfigSpec>;

/** kafkajs `ssl` and `sasl` options (absent = plaintext, unauthenticated). */
export interface KafkaSecurityOptions {
  readonly ssl?: ConnectionOptions | true;
  readonly sasl?: SASLOptions;
}

/** Reads PEM files; `read` is injectable for tests. */
export type ReadFile = (path: string) => string;
const readUtf8: ReadFile = (path) => readFileSync(path, 'utf8');

/** Resolves the Kafka security variables; throws `ConfigError` on an unusable combination. */
export function kafkaSecurity(c: KafkaSecurityConfig, read: ReadFile = readUtf8): KafkaSecurityOptions {
  const problems: ConfigProblem[] = [];
  const files = readPem(
    [
      ['KAFKA_SSL_CA_FILE', c.caFile],
      ['KAFKA_SSL_CERT_FILE', c.certFile],
      ['KAFKA_SSL_KEY_FILE', c.keyFile],
    ],
    read,
    problems,
  );
  if (!c.tls && (c.caFile ?? c.certFile ?? c.keyFile) !== undefined) {
    problems.push({
      name: 'KAFKA_SSL',
      problem: 'is false but TLS files are set',
      expected: 'KAFKA_SSL=true, or no KAFKA_SSL_*_FILE',
    });
  }
  pairProblem(problems, 'KAFKA_SSL_CERT_FILE', c.certFile, 'KAFKA_SSL_KEY_FILE', c.keyFile);
  let sasl: SASLOptions | undefined;
  if (c.saslMechanism !== undefined) {
    if (c.saslUsername === undefined || c.saslPassword === undefined) {
      problems.push({
        name: c.saslUsername === undefined ? 'KAFKA_SASL_USERNAME' : 'KAFKA_SASL_PASSWORD',
        problem: `is required with KAFKA_SASL_MECHANISM=${c.saslMechanism}`,
        expected: 'the SASL credentials',
      });
    } else sasl = { mechanism: c.saslMechanism, username: c.saslUsername, password: c.saslPassword };
  } else if (c.saslUsername !== undefined || c.saslPassword !== undefined) {
    problems.push({
      name: 'KAFKA_SASL_MECHANISM',
      problem: 'is not set but SASL credentials are',
      expected: 'plain, scram-sha-256 or scram-sha-512',
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const tls = tlsOptions(files['KAFKA_SSL_CA_FILE'], files['KAFKA_SSL_CERT_FILE'], files['KAFKA_SSL_KEY_FILE']);
  return { ...(c.tls ? { ssl: tls ?? true } : {}), ...(sasl === undefined ? {} : { sasl }) };
}

/** ioredis `tls` options for the Redis URL (undefined for redis://); throws `ConfigError`. */
export function redisTls(c: RedisConnectionConfig, read: ReadFile = readUtf8): ConnectionOptions | undefined {
  const problems: ConfigProblem[] = [];
  const { caFile, certFile, keyFile } = c.tls;
  const files = readPem(
    [
      ['REDIS_TLS_CA_FILE', caFile],
      ['REDIS_TLS_CERT_FILE', certFile],
      ['REDIS_TLS_KEY_FILE', keyFile],
    ],
    read,
    problems,
  );
  const secure = c.url.toLowerCase().startsWith('rediss:');
  if (!secure && (caFile ?? certFile ?? keyFile) !== undefined) {
    problems.push({
      name: 'REDIS_URL',
      problem: 'is not rediss:// but REDIS_TLS_* files are set',
      expected: 'a rediss:// URL',
    });
  }
  pairProblem(problems, 'REDIS_TLS_CERT_FILE', certFile, 'REDIS_TLS_KEY_FILE', keyFile);
  if (problems.length > 0) throw new ConfigError(problems);
  if (!secure) return undefined;
  return tlsOptions(files['REDIS_TLS_CA_FILE'], files['REDIS_TLS_CERT_FILE'], files['REDIS_TLS_KEY_FILE']) ?? {};
}

function readPem(
  entries: readonly (readonly [string, string | undefined])[],
  read: ReadFile,
  problems: ConfigProblem[],
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, path] of entries) {
    if (path === undefined) continue;
    try {
      const text = read(path);
      if (!text.includes('-----BEGIN ')) throw new Error('no PEM block');
      out[name] = text;
    } catch (error) {
      problems.push({
        name,
        problem: `cannot be used (${error instanceof Error ? error.message : String(error)})`,
        expected: 'a readable PEM file',
      });
    }
  }
  return out;
}

function pairProblem(
  problems: ConfigProblem[],
  certName: string,
  cert: string | undefined,
  keyName: string,
  key: string | undefined,
): void {
  if ((cert === undefined) === (key === undefined)) return;
  const missing = cert === undefined ? certName : keyName;
  problems.push({ name: missing, problem: 'is required for mutual TLS', expected: `both ${certName} and ${keyName}` });
}

function tlsOptions(
  ca: string | undefined,
  cert: string | undefined,
  key: string | undefined,
): ConnectionOptions | undefined {
  if (ca === undefined && cert === undefined) return undefined;
  // rejectUnauthorized stays Node's default (true): there is deliberately no switch to turn it off.
  return { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert, key }) };
}
