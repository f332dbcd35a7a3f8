/**
 * `npm run infra:up | infra:down | infra:status | topics`: manage this checkout's local Kafka and
 * Redis. `up` starts them for as long as you want (until `down`), unlike `npm start` / `npm test`,
 * which stop what they started.
 */
import { parseArgs } from 'node:util';
import { hideKafkajsTimerWarning } from './node-warnings.js';
import { ensureTopics, parseBrokers, parseRedisUrl, type Log } from './index.js';
import {
  kafkaAnswers,
  kafkaFiles,
  LOCAL_KAFKA_BROKERS,
  localKafkaState,
  startLocalKafka,
  stopLocalKafka,
  waitForKafka,
} from './kafka.js';
import {
  LOCAL_REDIS_URL,
  localRedisState,
  redisAnswers,
  redisFiles,
  startLocalRedis,
  stopLocalRedis,
  waitForRedis,
} from './redis.js';
import { clearSessionMark, liveLeases } from './session.js';
import type { LocalState } from './types.js';

hideKafkajsTimerWarning();
const log: Log = (line) => console.log(`[infra] ${line}`);

function brokers(): string[] {
  return process.env.KAFKA_BROKERS ? parseBrokers(process.env.KAFKA_BROKERS) : LOCAL_KAFKA_BROKERS;
}

async function up(): Promise<void> {
  // A service named by KAFKA_BROKERS / REDIS_URL is what clients use: check it instead of starting ours.
  const kafka = process.env.KAFKA_BROKERS
    ? waitForKafka(brokers(), { timeoutMs: 30_000, hint: 'KAFKA_BROKERS is set' }).then(() => false)
    : startLocalKafka(log).then((s) => (clearSessionMark('kafka'), s));
  const redisUrl = process.env.REDIS_URL ? parseRedisUrl(process.env.REDIS_URL) : LOCAL_REDIS_URL;
  const redis = process.env.REDIS_URL
    ? waitForRedis(redisUrl, { timeoutMs: 15_000, hint: 'REDIS_URL is set' }).then(() => false)
    : startLocalRedis(log).then((s) => (clearSessionMark('redis'), s));
  const started = await Promise.all([kafka, redis]);
  if (!started.includes(true)) log('nothing to start: Kafka and Redis were already running');
  log(`Kafka ${brokers().join(',')} · Redis ${redisUrl} · stop with: npm run infra:down`);
  await topics('');
}

async function down(): Promise<void> {
  const others = liveLeases();
  if (others.length > 0) log(`warning: ${others.length} session(s) (npm start / test runs) are still using it`);
  const stopped = await Promise.all([stopLocalKafka(log), stopLocalRedis(log)]);
  clearSessionMark('kafka');
  clearSessionMark('redis');
  if (!stopped.includes(true)) log('Kafka and Redis were not running');
}

function describe(state: LocalState, answers: boolean, address: string, logFile: string): string {
  if (state.state === 'running')
    return `running  pid ${state.pid}  ${address}  ${answers ? 'answers' : 'NOT ANSWERING'}  log ${logFile}`;
  return answers ? `stopped here, but something else answers on ${address}` : 'stopped';
}

async function status(): Promise<boolean> {
  const [kafka, redis] = [localKafkaState(), localRedisState()];
  const [kafkaUp, redisUp] = await Promise.all([kafkaAnswers(LOCAL_KAFKA_BROKERS), redisAnswers(LOCAL_REDIS_URL)]);
  console.log(`kafka  ${describe(kafka, kafkaUp, LOCAL_KAFKA_BROKERS.join(','), kafkaFiles.log)}`);
  console.log(`redis  ${describe(redis, redisUp, LOCAL_REDIS_URL, redisFiles.log)}`);
  if (process.env.KAFKA_BROKERS) console.log(`note: KAFKA_BROKERS=${process.env.KAFKA_BROKERS} (clients use that)`);
  if (process.env.REDIS_URL) console.log(`note: REDIS_URL=${parseRedisUrl(process.env.REDIS_URL)} (clients use that)`);
  const sessions = liveLeases().length;
  if (sessions > 0) console.log(`in use by ${sessions} session(s) (npm start / test runs)`);
  return kafka.state === 'running' && redis.state === 'running' && kafkaUp && redisUp;
}

async function topics(prefix: string): Promise<void> {
  const target = brokers();
  const reports = await ensureTopics({ brokers: target, prefix });
  const width = Math.max(...reports.map((r) => r.name.length));
  for (const r of reports) console.log(`  ${r.name.padEnd(width)}  ${r.status}${r.detail ? `: ${r.detail}` : ''}`);
  const bad = reports.filter((r) => r.status === 'mismatch');
  const created = reports.filter((r) => r.status === 'created').length;
  log(
    `topics on ${target.join(',')}: ${created} created, ${reports.length - created - bad.length} ok, ${bad.length} mismatched`,
  );
  if (bad.length > 0) {
    throw new Error(
      'existing topics differ from the catalogue (schemas/src/topics.ts); they are never altered automatically',
    );
  }
}

const USAGE = `usage: cli.js <up|down|status|topics> [--prefix <p>]
  up       start local Kafka + Redis (idempotent) and create the topics
  down     stop them (idempotent)
  status   show what runs; exit 1 unless both run and answer
  topics   create missing catalogue topics, validate existing ones (KAFKA_BROKERS or local)`;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { prefix: { type: 'string', default: '' } },
  });
  switch (positionals[0]) {
    case 'up':
      await up();
      return 0;
    case 'down':
      await down();
      return 0;
    case 'status':
      return (await status()) ? 0 : 1;
    case 'topics':
      await topics(values.prefix);
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(`[infra] error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
