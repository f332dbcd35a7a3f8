/**
 * A private, single-node Kafka broker (KRaft, combined broker + controller) that one test can stop
 * and start at will without disturbing the shared broker every other test uses. It runs the jars
 * the local infrastructure already resolved from Maven Central (infra/local resolves them when it
 * starts the shared broker) with infra/local's server.properties template, on free ports and a
 * temporary data directory. infra/local's own start/stop functions are bound to the shared
 * broker's fixed ports and paths, hence this small helper.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { killOnExit } from '../../support/children.js';

const ASSETS = fileURLToPath(new URL('../../../infra/local/kafka/', import.meta.url));
const HOST = '127.0.0.1';

/** Where infra/local caches the broker's classpath (same rule as infra/local/src/kafka.ts). */
function jarDir(): string {
  const cache =
    process.env.SIG_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kafka-signaling');
  const key = createHash('sha256')
    .update(readFileSync(join(ASSETS, 'pom.xml')))
    .digest('hex')
    .slice(0, 12);
  const dir = join(cache, `kafka-jars-${key}`);
  if (!existsSync(join(dir, '.complete'))) {
    throw new Error(
      `Kafka jars not found in ${dir}: start the local infrastructure once (npm run infra:up) to resolve them`,
    );
  }
  return join(dir, 'lib');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function run(command: string, args: string[], log: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(log, 'a');
    const child = killOnExit(spawn(command, args, { stdio: ['ignore', fd, fd] }));
    closeSync(fd);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}; see ${log}`)),
    );
  });
}

/** True when the broker answers a metadata request. */
async function answers(brokers: string[]): Promise<boolean> {
  const admin = new kafkajs.Kafka({
    clientId: 'private-broker-probe',
    brokers,
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export class PrivateBroker {
  #process: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly config: string,
    private readonly lib: string,
  ) {}

  get brokers(): string[] {
    return [`${HOST}:${this.port}`];
  }

  get log(): string {
    return join(this.dir, 'kafka.log');
  }

  /** Formats storage in a fresh directory and starts the broker. */
  static async create(readyTimeoutMs = 90_000): Promise<PrivateBroker> {
    const lib = jarDir();
    const dir = mkdtempSync(join(tmpdir(), 'edge-private-kafka-'));
    const [port, controllerPort] = [await freePort(), await freePort()];
    const values: Record<string, string> = {
      HOST,
      PORT: String(port),
      CONTROLLER_PORT: String(controllerPort),
      LOG_DIRS: join(dir, 'data'),
    };
    const template = readFileSync(join(ASSETS, 'server.properties'), 'utf8');
    const config = join(dir, 'server.properties');
    writeFileSync(
      config,
      template.replace(/\$\{([A-Z_]+)\}/g, (_m, name: string) => values[name] ?? `\${${name}}`),
    );
    const broker = new PrivateBroker(dir, port, config, lib);
    const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A');
    await run(
      'java',
      broker.#javaArgs('kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', config]),
      broker.log,
    );
    await broker.start(readyTimeoutMs);
    return broker;
  }

  /** Starts (or restarts, on the same data and ports) and waits until it answers. */
  async start(readyTimeoutMs = 90_000): Promise<void> {
    if (this.#process !== undefined) throw new Error('private broker already running');
    const fd = openSync(this.log, 'a');
    const child = killOnExit(
      spawn('java', this.#javaArgs('kafka.Kafka', [this.config]), {
        stdio: ['ignore', fd, fd],
        detached: true,
      }),
    );
    closeSync(fd);
    this.#process = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + readyTimeoutMs;
    while (!(await answers(this.brokers))) {
      if (child.exitCode !== null) throw new Error(`private broker exited with ${child.exitCode}; see ${this.log}`);
      if (Date.now() > deadline)
        throw new Error(`private broker not ready within ${readyTimeoutMs} ms; see ${this.log}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Stops the broker process (SIGTERM, then SIGKILL after `graceMs`) and waits until it is gone. */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.#process;
    if (child === undefined) return;
    this.#process = undefined;
    const kill = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // Already gone.
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Stops it and deletes its data. */
  async dispose(): Promise<void> {
    await this.stop(5000);
    rmSync(this.dir, { recursive: true, force: true });
  }

  #javaArgs(mainClass: string, args: string[]): string[] {
    return [
      '-Xms128m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(ASSETS, 'log4j2.yaml')}`,
      `-Dkafka.logs.dir=${this.dir}`,
      '-cp',
      `${this.lib}/*`,
      mainClass,
      ...args,
    ];
  }
}
