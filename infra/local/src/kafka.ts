/**
 * The local Kafka broker: Apache Kafka from Maven Central jars (infra/local/kafka/pom.xml),
 * one combined KRaft broker+controller on loopback, data and log under `.local/kafka/`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { run, probe } from './exec.js';
import { withLock } from './lock.js';
import { cacheDir, LOCAL_DIR, PACKAGE_ROOT } from './paths.js';
import { pollUntil } from './poll.js';
import { fileSize, livePid, processState, spawnDetached, stopGroup, tail } from './proc.js';
import { kafkaClusterId, renderServerProperties } from './server-properties.js';
import type { Log, LocalState } from './types.js';

const { Kafka, logLevel } = kafkajs;

export const KAFKA_HOST = '127.0.0.1';
export const KAFKA_PORT = 19092;
export const KAFKA_CONTROLLER_PORT = 19093;
export const LOCAL_KAFKA_BROKERS = [`${KAFKA_HOST}:${KAFKA_PORT}`];

const ASSETS = join(PACKAGE_ROOT, 'kafka');
const DIR = join(LOCAL_DIR, 'kafka');
/** Paths of the local broker's state (all git-ignored). */
export const kafkaFiles = {
  dir: DIR,
  data: join(DIR, 'data'),
  config: join(DIR, 'server.properties'),
  log: join(DIR, 'kafka.log'),
  pid: join(DIR, 'kafka.pid'),
  lock: join(DIR, 'start.lock'),
};

const isKafkaProcess = (cmdline: string): boolean =>
  cmdline.includes('kafka.Kafka') && cmdline.includes(kafkaFiles.config);

/** State of this checkout's broker process. */
export function localKafkaState(): LocalState {
  const pid = livePid(kafkaFiles.pid, isKafkaProcess);
  return pid === undefined ? { state: 'stopped' } : { state: 'running', pid };
}

/** True when a Kafka cluster at `brokers` answers a metadata request within one attempt. */
export async function kafkaAnswers(brokers: readonly string[], timeoutMs = 2_000): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'sig-infra-probe',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1_000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Waits until `brokers` answer metadata requests, or fails with `hint` (e.g. where the log is). */
export async function waitForKafka(
  brokers: readonly string[],
  opts: { timeoutMs: number; hint: string; abortReason?: () => string | undefined },
): Promise<void> {
  await pollUntil(`Kafka at ${brokers.join(',')}`, () => kafkaAnswers(brokers), {
    timeoutMs: opts.timeoutMs,
    ...(opts.abortReason ? { abortReason: opts.abortReason } : {}),
  }).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${opts.hint}`);
  });
}

function requireJava(): void {
  const version = probe('java', ['-version']);
  if (version === undefined) {
    throw new Error(
      'Java 17+ is required to run the local Kafka broker (Debian: apt-get install -y openjdk-17-jre-headless)',
    );
  }
  const major = Number(/version "(\d+)/.exec(version)?.[1] ?? 0);
  if (major < 17) throw new Error(`Kafka 4 needs Java 17+, found: ${version.split('\n')[0]}`);
}

/** Resolves the broker's runtime classpath into the cache (once per pom.xml content); returns the jar dir. */
export async function resolveKafkaJars(log: Log): Promise<string> {
  const pom = join(ASSETS, 'pom.xml');
  const key = createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 12);
  const dir = join(cacheDir(), `kafka-jars-${key}`);
  const lib = join(dir, 'lib');
  if (existsSync(join(dir, '.complete'))) return lib;
  if (probe('mvn', ['-v']) === undefined) {
    throw new Error('Maven is required to fetch the Kafka jars once (Debian: apt-get install -y maven)');
  }
  log(`resolving Kafka jars from Maven Central into ${dir}`);
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  await run('mvn', [
    '-q',
    '-B',
    '-Dstyle.color=never',
    '-f',
    pom,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${join(staging, 'lib')}`,
    '-DincludeScope=runtime',
  ]);
  writeFileSync(join(staging, '.complete'), `${new Date().toISOString()}\n`);
  mkdirSync(cacheDir(), { recursive: true });
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Another process resolved the same jars first: keep theirs.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(dir, '.complete'))) throw error;
  }
  return lib;
}

function javaArgs(lib: string, mainClass: string, args: readonly string[]): string[] {
  return [
    '-Xms256m',
    '-Xmx512m',
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(ASSETS, 'log4j2.yaml')}`,
    `-Dkafka.logs.dir=${kafkaFiles.dir}`,
    '-cp',
    `${lib}/*`,
    mainClass,
    ...args,
  ];
}

/** Starts this checkout's broker unless it already runs; true when this call started it. */
export async function startLocalKafka(log: Log, readyTimeoutMs = 90_000): Promise<boolean> {
  mkdirSync(kafkaFiles.dir, { recursive: true });
  return withLock(kafkaFiles.lock, readyTimeoutMs + 120_000, async () => {
    const current = localKafkaState();
    if (current.state === 'running') {
      await waitForKafka(LOCAL_KAFKA_BROKERS, { timeoutMs: readyTimeoutMs, hint: `See ${kafkaFiles.log}` });
      return false;
    }
    if (await kafkaAnswers(LOCAL_KAFKA_BROKERS)) {
      // Typically another checkout's broker: same ports, so it is the one clients would reach anyway.
      log(
        `using the Kafka broker already listening on ${LOCAL_KAFKA_BROKERS.join(',')} (not managed by this checkout)`,
      );
      return false;
    }
    requireJava();
    const lib = await resolveKafkaJars(log);
    const template = readFileSync(join(ASSETS, 'server.properties'), 'utf8');
    writeFileSync(
      kafkaFiles.config,
      renderServerProperties(template, {
        HOST: KAFKA_HOST,
        PORT: KAFKA_PORT,
        CONTROLLER_PORT: KAFKA_CONTROLLER_PORT,
        LOG_DIRS: kafkaFiles.data,
      }),
    );
    if (!existsSync(join(kafkaFiles.data, 'meta.properties'))) {
      log(`formatting Kafka storage in ${kafkaFiles.data}`);
      const clusterId = kafkaClusterId(randomBytes);
      await run('java', javaArgs(lib, 'kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', kafkaFiles.config]));
    }
    const logStart = fileSize(kafkaFiles.log);
    writeFileSync(kafkaFiles.log, `==== start ${new Date().toISOString()} ====\n`, { flag: 'a' });
    const pid = await spawnDetached('java', javaArgs(lib, 'kafka.Kafka', [kafkaFiles.config]), {
      cwd: kafkaFiles.dir,
      logFile: kafkaFiles.log,
      pidFile: kafkaFiles.pid,
    });
    log(`Kafka starting (pid ${pid}, log ${kafkaFiles.log})`);
    const hint = `Broker log (${kafkaFiles.log}):\n${'-'.repeat(40)}`;
    try {
      await waitForKafka(LOCAL_KAFKA_BROKERS, {
        timeoutMs: readyTimeoutMs,
        hint,
        abortReason: () => (processState(pid) === 'gone' ? 'the broker process exited' : undefined),
      });
    } catch (error) {
      await stopGroup(pid, 5_000).catch(() => undefined);
      rmSync(kafkaFiles.pid, { force: true });
      throw new Error(`${(error as Error).message}\n${tail(kafkaFiles.log, logStart)}`);
    }
    log(`Kafka ready on ${LOCAL_KAFKA_BROKERS.join(',')}`);
    return true;
  });
}

/** Stops this checkout's broker if it runs; true when there was one to stop. */
export async function stopLocalKafka(log: Log, graceMs = 30_000): Promise<boolean> {
  if (!existsSync(kafkaFiles.dir)) return false;
  return withLock(kafkaFiles.lock, graceMs + 120_000, async () => {
    const current = localKafkaState();
    if (current.state !== 'running') return false;
    log(`stopping Kafka (pid ${current.pid})`);
    const outcome = await stopGroup(current.pid, graceMs);
    rmSync(kafkaFiles.pid, { force: true });
    log(outcome === 'killed' ? `Kafka did not stop within ${graceMs} ms: killed` : 'Kafka stopped');
    return true;
  });
}
