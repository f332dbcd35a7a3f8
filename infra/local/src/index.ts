/**
 * Programmatic access to the infrastructure the stack and the tests need. The order is:
 * KAFKA_BROKERS / REDIS_URL when set → containers when a Docker engine answers → processes
 * started from this checkout (what CI and the project's machines use).
 */
import { dockerAnswers, startKafkaContainer, startRedisContainer, type ContainerHandle } from './docker.js';
import { LOCAL_KAFKA_BROKERS, startLocalKafka, stopLocalKafka, waitForKafka } from './kafka.js';
import { LOCAL_REDIS_URL, startLocalRedis, stopLocalRedis, waitForRedis } from './redis.js';
import {
  clearSessionMark,
  liveLeases,
  markStartedBySession,
  releaseLease,
  startedBySession,
  takeLease,
  type Service,
} from './session.js';
import type { Log } from './types.js';

export { createTopicsAndWait, deleteTopics, ensureTopics, type TopicReport } from './topics.js';
export { LOCAL_KAFKA_BROKERS } from './kafka.js';
export { LOCAL_REDIS_URL } from './redis.js';
export type { Log } from './types.js';
export { hideKafkajsTimerWarning, KAFKAJS_WARNING_FLAG } from './node-warnings.js';

/** Where a piece of infrastructure comes from. */
export type InfraSource = 'env' | 'docker' | 'local';

export interface EnsureInfraOptions {
  /** Environment to read KAFKA_BROKERS / REDIS_URL from (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines (default: stderr with an `[infra]` prefix). */
  readonly log?: Log;
  /** Try containers when a Docker engine answers (default true). */
  readonly docker?: boolean;
}

export interface StopOptions {
  /** Leave local processes running (KEEP_INFRA=1); they then stay up until `npm run infra:down`. */
  readonly keepRunning?: boolean;
}

/** Running infrastructure and how to release it. */
export interface Infra {
  readonly kafkaBrokers: string[];
  readonly redisUrl: string;
  readonly source: { readonly kafka: InfraSource; readonly redis: InfraSource };
  /** Whether this call started it (false when it was already running or comes from env). */
  readonly startedByUs: { readonly kafka: boolean; readonly redis: boolean };
  /** Stops what this session is responsible for; idempotent. */
  stop(opts?: StopOptions): Promise<void>;
}

const defaultLog: Log = (line) => process.stderr.write(`[infra] ${line}\n`);

/** Parses KAFKA_BROKERS (`host:port[,host:port…]`); throws naming the variable. */
export function parseBrokers(value: string): string[] {
  const brokers = value
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  const bad = brokers.find((b) => !/^[^\s:]+:\d{1,5}$/.test(b));
  if (brokers.length === 0 || bad !== undefined) {
    throw new Error(`KAFKA_BROKERS must be host:port[,host:port…], got ${JSON.stringify(value)}`);
  }
  return brokers;
}

/** Checks REDIS_URL is a redis:// or rediss:// URL; throws naming the variable. */
export function parseRedisUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`REDIS_URL must be a URL like redis://host:port, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must use redis:// or rediss://, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Makes Kafka and Redis available, reusing what already runs; see the module comment for the order. */
export async function ensureInfra(opts: EnsureInfraOptions = {}): Promise<Infra> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? defaultLog;
  const envBrokers = env.KAFKA_BROKERS ? parseBrokers(env.KAFKA_BROKERS) : undefined;
  const envRedis = env.REDIS_URL ? parseRedisUrl(env.REDIS_URL) : undefined;

  if (envBrokers) {
    await waitForKafka(envBrokers, {
      timeoutMs: 30_000,
      hint: 'KAFKA_BROKERS is set: unset it to start a local broker',
    });
  }
  if (envRedis) {
    await waitForRedis(envRedis, { timeoutMs: 15_000, hint: 'REDIS_URL is set: unset it to start a local Redis' });
  }
  const needed: Service[] = [...(envBrokers ? [] : ['kafka' as const]), ...(envRedis ? [] : ['redis' as const])];
  const useDocker = needed.length > 0 && opts.docker !== false && (await dockerAnswers());
  const result = useDocker ? await viaDocker(needed, log) : await viaLocal(needed, log);

  let stopped = false;
  return {
    kafkaBrokers: envBrokers ?? result.kafkaBrokers ?? LOCAL_KAFKA_BROKERS,
    redisUrl: envRedis ?? result.redisUrl ?? LOCAL_REDIS_URL,
    source: { kafka: envBrokers ? 'env' : result.source, redis: envRedis ? 'env' : result.source },
    startedByUs: { kafka: result.started.has('kafka'), redis: result.started.has('redis') },
    async stop(stopOpts = {}) {
      if (stopped) return;
      stopped = true;
      await result.stop(stopOpts, log);
    },
  };
}

interface Provided {
  readonly source: 'docker' | 'local';
  readonly kafkaBrokers?: string[];
  readonly redisUrl?: string;
  readonly started: Set<Service>;
  stop(opts: StopOptions, log: Log): Promise<void>;
}

async function viaDocker(needed: Service[], log: Log): Promise<Provided> {
  log(`Docker engine found: starting ${needed.join(' and ')} in containers`);
  const [kafkaOutcome, redisOutcome] = await Promise.allSettled([
    needed.includes('kafka') ? startKafkaContainer() : undefined,
    needed.includes('redis') ? startRedisContainer() : undefined,
  ]);
  const kafka = kafkaOutcome.status === 'fulfilled' ? kafkaOutcome.value : undefined;
  const redis = redisOutcome.status === 'fulfilled' ? redisOutcome.value : undefined;
  const handles = [kafka, redis].filter(
    (h): h is ContainerHandle<string[]> | ContainerHandle<string> => h !== undefined,
  );
  const failure = [kafkaOutcome, redisOutcome].find((o) => o.status === 'rejected');
  if (failure) {
    await Promise.allSettled(handles.map((h) => h.stop()));
    throw failure.reason;
  }
  return {
    source: 'docker',
    ...(kafka ? { kafkaBrokers: kafka.address } : {}),
    ...(redis ? { redisUrl: redis.address } : {}),
    started: new Set(needed),
    // Containers belong to this process (testcontainers reaps them when it exits), so KEEP_INFRA does not apply.
    stop: async () => void (await Promise.all(handles.map((h) => h.stop()))),
  };
}

const localOps = {
  kafka: { start: startLocalKafka, stop: stopLocalKafka },
  redis: { start: startLocalRedis, stop: stopLocalRedis },
} as const;

async function viaLocal(needed: Service[], log: Log): Promise<Provided> {
  const lease = takeLease();
  const outcomes = await Promise.allSettled(needed.map((service) => localOps[service].start(log)));
  const started = new Set(needed.filter((_, i) => outcomes[i]?.status === 'fulfilled' && outcomes[i].value));
  for (const service of started) markStartedBySession(service);

  const stop = async (opts: StopOptions, stopLog: Log): Promise<void> => {
    releaseLease(lease);
    if (opts.keepRunning) {
      for (const service of needed) clearSessionMark(service);
      return;
    }
    const others = liveLeases();
    if (others.length > 0) {
      stopLog(`local infrastructure still used by ${others.length} other session(s): leaving it running`);
      return;
    }
    // Whoever started it, the last session out stops what a session (not `infra:up`) started.
    await Promise.all(
      needed.filter(startedBySession).map(async (service) => {
        // Cleared first: a session that restarts it right after this stop sets its own mark.
        clearSessionMark(service);
        await localOps[service].stop(stopLog);
      }),
    );
  };

  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) {
    await stop({}, log);
    throw failure.reason;
  }
  return { source: 'local', started, stop };
}
