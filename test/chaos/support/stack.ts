/**
 * The fault suite's own deployment: a private Kafka broker and a private Redis (both restarted on
 * purpose, so never the shared ones), the catalogue topics, two projectors, several edges and two
 * SFU workers, all real processes built from services/*. Each fault is a method that breaks one
 * thing and, where a supervisor would, brings a replacement back.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, startEdge, type EdgeProcess } from '../../edge/support/edge-process.js';
import { PrivateBroker } from '../../edge/support/private-broker.js';
import { randomTopicPrefix } from '../../support/ids.js';
import { createTopics } from '../../support/kafka.js';
import { ServiceProcess } from '../../support/service-process.js';
import { PrivateRedis } from './private-redis.js';

export interface StackOptions {
  readonly edges: number;
  /** Per-socket send buffer of the edges (a smaller one makes the slow-consumer fault quicker). */
  readonly sendBufferMaxBytes: number;
}

/** Edge settings of the suite: rate limits well above the load (the load is not abuse). */
function edgeEnv(sendBufferMaxBytes: number): Record<string, string> {
  return {
    RATE_CONN_PER_SEC: '2000',
    RATE_CONN_BURST: '4000',
    RATE_IDENTITY_PER_SEC: '4000',
    RATE_IDENTITY_BURST: '8000',
    SEND_BUFFER_MAX_BYTES: String(sendBufferMaxBytes),
    EDGE_LIVENESS_INTERVAL: '500ms',
    // A stalled client is closed by whichever bound trips first: with the default 15 s heartbeat
    // timeout that is 4006 unless its room sends 4+ MB (kernel buffers) within 15 s. The suite
    // wants the send-buffer bound (4004), so the heartbeat waits longer.
    HEARTBEAT_TIMEOUT: '60s',
    RESUME_WINDOW: '120s',
  };
}

/** Projector settings: a departure grace longer than any outage the suite causes. */
const PROJECTOR_ENV = {
  ROOM_DEPARTURE_TIMEOUT: '120s',
  EDGE_LIVENESS_GRACE: '15s',
};

export class ChaosStack {
  readonly edges: EdgeProcess[] = [];
  readonly projectors: ServiceProcess[] = [];
  readonly sfus: ServiceProcess[] = [];
  readonly prefix = randomTopicPrefix();
  #next = 0;

  private constructor(
    readonly broker: PrivateBroker,
    readonly redis: PrivateRedis,
    private readonly options: StackOptions,
  ) {}

  /** Starts everything; on failure, stops what already started. */
  static async start(options: StackOptions): Promise<ChaosStack> {
    const [broker, redis] = await Promise.all([PrivateBroker.create(), PrivateRedis.create()]);
    const stack = new ChaosStack(broker, redis, options);
    try {
      await createTopics(stack.prefix, broker.brokers);
      // One after the other: each readiness then means its consumer group settled.
      for (let i = 0; i < 2; i++) await stack.startProjector();
      for (let i = 0; i < 2; i++) await stack.startSfu();
      await Promise.all(Array.from({ length: options.edges }, () => stack.startEdge()));
    } catch (error) {
      await stack.dispose();
      throw error;
    }
    return stack;
  }

  /** Environment every service shares. */
  env(): Record<string, string> {
    return { KAFKA_BROKERS: this.broker.brokers.join(','), REDIS_URL: this.redis.url, TOPIC_PREFIX: this.prefix };
  }

  /** WebSocket URLs of the edges that are up. */
  edgeUrls(): string[] {
    return this.edges.filter((e) => e.child.exitCode === null && e.child.signalCode === null).map((e) => e.url());
  }

  async startEdge(): Promise<EdgeProcess> {
    const edge = await startEdge({
      ...this.env(),
      ...edgeEnv(this.options.sendBufferMaxBytes),
      EDGE_ID: `chaos-edge-${++this.#next}`,
    });
    this.edges.push(edge);
    return edge;
  }

  async startProjector(): Promise<ServiceProcess> {
    const p = await ServiceProcess.start('projector', {
      ...this.env(),
      ...PROJECTOR_ENV,
      PROJECTOR_ID: `chaos-projector-${++this.#next}`,
      // CHAOS_PROJECTOR_LOG_LEVEL=debug puts kafkajs' transaction traffic into the CHAOS_DUMP_DIR dump.
      ...(process.env['CHAOS_PROJECTOR_LOG_LEVEL'] ? { LOG_LEVEL: process.env['CHAOS_PROJECTOR_LOG_LEVEL'] } : {}),
    });
    this.projectors.push(p);
    return p;
  }

  async startSfu(): Promise<ServiceProcess> {
    const s = await ServiceProcess.start('sfu', {
      ...this.env(),
      SFU_ICE_INTERFACE_ADDRESS: '127.0.0.1',
      SFU_ICE_IPV6: 'false',
      // The broker's minimum: a dead worker's rooms move after ~6 s.
      SFU_GROUP_SESSION_TIMEOUT: '6s',
      SFU_WORKER_ID: `chaos-sfu-${++this.#next}`,
    });
    this.sfus.push(s);
    return s;
  }

  /** SIGKILLs `edge` and forgets it. */
  async killEdge(edge: EdgeProcess): Promise<void> {
    await edge.stop('SIGKILL');
    this.edges.splice(this.edges.indexOf(edge), 1);
  }

  /** SIGKILLs a projector and forgets it. */
  async killProjector(p: ServiceProcess): Promise<void> {
    await p.kill();
    this.projectors.splice(this.projectors.indexOf(p), 1);
  }

  /** SIGKILLs an SFU worker and forgets it. */
  async killSfu(s: ServiceProcess): Promise<void> {
    await s.kill();
    this.sfus.splice(this.sfus.indexOf(s), 1);
  }

  /** Stops every process it started, then the broker (its data deleted) and Redis. */
  async dispose(): Promise<void> {
    this.#dumpOutputs();
    await Promise.allSettled([
      killAll(this.edges),
      ...this.projectors.map((p) => p.kill()),
      ...this.sfus.map((s) => s.kill()),
    ]);
    await Promise.allSettled([this.broker.dispose(), this.redis.stop()]);
  }

  /** With CHAOS_DUMP_DIR set, every service's output is written there (to investigate a failure). */
  #dumpOutputs(): void {
    const dir = process.env['CHAOS_DUMP_DIR'];
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    for (const [i, p] of this.projectors.entries()) writeFileSync(join(dir, `projector-${i}.log`), p.output.join(''));
    for (const [i, s] of this.sfus.entries()) writeFileSync(join(dir, `sfu-${i}.log`), s.output.join(''));
    for (const e of this.edges) writeFileSync(join(dir, `${e.edgeId}.log`), e.tail(100_000));
  }
}
