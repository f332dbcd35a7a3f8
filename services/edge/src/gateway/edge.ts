/**
 * The edge service: owns the transport, the command log, the delivery consumer, the sweeper and
 * the liveness publisher, and moves them through one explicit lifecycle
 * (initialized → starting → running → draining → stopped). `drain()` is idempotent and bounded:
 * whatever hangs, main.ts' hard timer still ends the process at the drain deadline.
 */
import { randomUUID } from 'node:crypto';
import { Lifecycle, type Logger, type Readiness } from '@sig/runtime';
import { AvroCodec, topicName, type SchemaSet, type SchemaDecodeError } from '@sig/schemas';
import type { Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { EdgeConfig } from '../config.js';
import { connectionClosedFor } from '../domain/close.js';
import { iceGrantFor, type IceSettings } from '../domain/ice.js';
import { drainPlan } from '../domain/liveness.js';
import { fullBucket } from '../domain/token-bucket.js';
import { CommandLog } from '../adapters/command-log.js';
import { DeliveryConsumer, type DeliveryRecord } from '../adapters/delivery-consumer.js';
import { LivenessPublisher } from '../adapters/liveness.js';
import type { EdgeMetrics } from '../adapters/metrics.js';
import { IdentityRateLimiter } from '../adapters/rate-limiter.js';
import { WsServer } from '../adapters/ws-server.js';
import type { TokenVerifier } from '../adapters/auth.js';
import { CommandWriter } from './command-writer.js';
import { Connection, type AdmittedClient, type ClientSocket } from './connection.js';
import { DeliveryRouter } from './deliveries.js';
import { FrameHandler } from './frames.js';
import { ConnectionRegistry, type Reservation } from './registry.js';
import { Sweeper } from './sweeper.js';
import { UpgradeGate } from './upgrade-gate.js';

export interface EdgeDeps {
  readonly config: EdgeConfig;
  readonly replySlot: number;
  readonly kafka: Kafka;
  readonly redis: Redis;
  readonly verifier: TokenVerifier;
  readonly schemas: SchemaSet;
  readonly metrics: EdgeMetrics;
  readonly logger: Logger;
}

/** How long the delivery consumer may take to join its group and hold the slot at start. */
const POSITION_TIMEOUT_MS = 60_000;
const STRIKE_RESET_MS = 10_000;
const MAX_QUEUED_FRAMES = 64;

export class Edge {
  readonly lifecycle = new Lifecycle('edge');
  readonly registry: ConnectionRegistry;
  readonly #d: EdgeDeps;
  readonly #log: CommandLog;
  readonly #writer: CommandWriter;
  readonly #consumer: DeliveryConsumer;
  readonly #server: WsServer;
  readonly #sweeper: Sweeper;
  readonly #liveness: LivenessPublisher;
  readonly #frames: FrameHandler;
  #draining: Promise<void> | undefined;
  #closeWaiters: (() => void)[] = [];

  constructor(deps: EdgeDeps) {
    this.#d = deps;
    const { config: c, metrics, logger, schemas } = deps;
    const prefix = c.kafka.topicPrefix;
    this.registry = new ConnectionRegistry(c.maxConnections, c.maxConnectionsPerIp);
    this.#log = new CommandLog(deps.kafka, {
      maxPending: c.maxPendingProduces,
      logger: logger.child({ component: 'command-log' }),
      latency: metrics.produceLatency,
    });
    const address = { edgeId: c.edgeId, replySlot: deps.replySlot };
    const ice: IceSettings = {
      stunUrls: c.ice.stunUrls,
      turnUrls: c.ice.turnUrls,
      turnSecret: c.ice.turnSecret,
      turnTtlMs: c.ice.turnTtl,
    };
    this.#writer = new CommandWriter(
      this.#log,
      new AvroCodec(schemas, 'signal.Command'),
      topicName('commands', prefix),
      address,
    );
    const router = new DeliveryRouter({
      edgeId: c.edgeId,
      deliveryCodec: new AvroCodec(schemas, 'signal.Delivery'),
      eventCodec: new AvroCodec(schemas, 'signal.RoomEvent'),
      registry: this.registry,
      metrics,
      logger: logger.child({ component: 'deliveries' }),
      joinExtras: (conn) => {
        const grant = iceGrantFor(ice, conn.identity, Date.now());
        // The sweeper refreshes these before they expire.
        conn.iceExpiresAt = grant.expiresAt;
        return {
          iceServers: grant.iceServers,
          heartbeat: { intervalMs: c.heartbeatInterval, timeoutMs: c.heartbeatTimeout },
          resumeWindow: { events: c.resumeWindowEvents, ms: c.resumeWindow },
        };
      },
      deadLetter: (record, error) => this.#deadLetter(record, error),
    });
    this.#consumer = new DeliveryConsumer({
      kafka: deps.kafka,
      topic: topicName('deliveries', prefix),
      slot: deps.replySlot,
      edgeId: c.edgeId,
      logger: logger.child({ component: 'delivery-consumer' }),
      onRecord: (record) => router.onRecord(record),
      lag: metrics.consumerLag,
    });
    const limiter = new IdentityRateLimiter(
      deps.redis,
      { ratePerSec: c.rate.identityPerSec, burst: c.rate.identityBurst },
      logger.child({ component: 'rate-limiter' }),
      metrics.rateLimitFailOpen,
    );
    const isDraining = (): boolean => !this.lifecycle.is('starting', 'running');
    this.#frames = new FrameHandler({
      settings: {
        maxMessageBytes: c.maxMessageBytes,
        connLimits: { ratePerSec: c.rate.connPerSec, burst: c.rate.connBurst },
        abuseStrikes: c.rate.abuseStrikes,
        strikeResetMs: STRIKE_RESET_MS,
        invalidFrameLimit: c.invalidFrameLimit,
        maxQueuedFrames: MAX_QUEUED_FRAMES,
      },
      writer: this.#writer,
      limiter,
      verifier: deps.verifier,
      metrics,
      logger: logger.child({ component: 'frames' }),
      isDraining,
    });
    const gate = new UpgradeGate({
      verifier: deps.verifier,
      registry: this.registry,
      allowedOrigins: c.allowedOrigins,
      verifyTimeoutMs: c.upgradeTimeout,
      isDraining,
      metrics,
      logger: logger.child({ component: 'upgrade' }),
    });
    this.#server = new WsServer(
      {
        host: c.host,
        port: c.port,
        maxMessageBytes: c.maxMessageBytes,
        sendBufferMaxBytes: c.sendBufferMaxBytes,
        logger,
      },
      {
        decide: (req) => gate.decide(req),
        release: (r) => this.registry.release(r),
        open: (socket, client, r) => this.#open(socket, client, r),
        frame: (conn, data, isBinary) => this.#frames.onFrame(conn, data, isBinary),
        closed: (conn, code) => this.#closed(conn, code),
      },
    );
    this.#sweeper = new Sweeper(
      this.registry,
      {
        heartbeatIntervalMs: c.heartbeatInterval,
        heartbeatTimeoutMs: c.heartbeatTimeout,
        tokenExpiryNoticeMs: c.tokenExpiryNotice,
        ice,
      },
      logger.child({ component: 'sweeper' }),
    );
    this.#liveness = new LivenessPublisher({
      log: this.#log,
      codec: new AvroCodec(schemas, 'signal.EdgeHeartbeat'),
      topic: topicName('edgeLiveness', prefix),
      edgeId: c.edgeId,
      replySlot: deps.replySlot,
      intervalMs: c.livenessInterval,
      connections: () => this.registry.size,
      logger: logger.child({ component: 'liveness' }),
    });
  }

  /** Commands queued or in flight to Kafka. */
  get pendingProduces(): number {
    return this.#log.pending;
  }

  /** The client port actually bound (EDGE_PORT=0 picks one). */
  get port(): number {
    return this.#server.port;
  }

  /** Connects Kafka, positions the delivery consumer, then accepts clients. */
  async start(): Promise<void> {
    this.lifecycle.transition('starting');
    try {
      await this.#log.start();
      await this.#consumer.start(POSITION_TIMEOUT_MS);
      if (!this.lifecycle.is('starting')) return;
      await this.#server.listen();
      this.#sweeper.start();
      this.#liveness.start();
      this.lifecycle.transition('running');
    } catch (error) {
      if (this.lifecycle.is('starting'))
        this.lifecycle.transition('failed', error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  /** `/readyz`: producer connected, delivery consumer on its slot, not draining. */
  readiness(): Readiness {
    const reasons: string[] = [];
    if (!this.lifecycle.is('running')) reasons.push(`edge is ${this.lifecycle.state}`);
    if (this.#log.state !== 'connected') reasons.push(`producer is ${this.#log.state}`);
    if (!this.#consumer.positioned) reasons.push('delivery consumer is not positioned on its slot');
    return { ready: reasons.length === 0, reasons };
  }

  /** Stops accepting, moves clients away, flushes, disconnects. Idempotent. */
  drain(reason: string): Promise<void> {
    this.#draining ??= this.#drain(reason);
    return this.#draining;
  }

  async #drain(reason: string): Promise<void> {
    const { config, logger } = this.#d;
    const startedAt = Date.now();
    if (this.lifecycle.is('initialized', 'starting', 'running'))
      this.lifecycle.transition(this.lifecycle.is('initialized') ? 'stopped' : 'draining', reason);
    const plan = drainPlan(config.drainTimeout);
    this.#server.stopListening();
    logger.info({ reason, connections: this.registry.size, clientDeadlineMs: plan.clientDeadlineMs }, 'draining');
    for (const conn of this.registry.values()) {
      conn.send({
        type: 'notice',
        kind: 'reconnect_elsewhere',
        deadlineMs: plan.clientDeadlineMs,
        reason: 'edge draining',
      });
    }
    void this.#liveness.announce('DRAINING');
    await this.#untilEmpty(plan.clientDeadlineMs);
    this.#sweeper.stop();
    for (const conn of [...this.registry.values()]) conn.close('draining');
    this.#liveness.stop();
    void this.#liveness.announce('STOPPED');
    const flushBudget = Math.max(0, config.drainTimeout - (Date.now() - startedAt) - 250);
    const flushed = await this.#log.flush(flushBudget);
    if (!flushed) logger.warn({ pending: this.#log.pending }, 'drain deadline: commands still pending are dropped');
    const redisQuit = Promise.race([this.#d.redis.quit(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    await Promise.allSettled([this.#consumer.stop(), this.#log.close(), redisQuit]);
    this.#server.close();
    if (this.lifecycle.is('draining')) this.lifecycle.transition('stopped');
    logger.info({ ms: Date.now() - startedAt }, 'drained');
  }

  #untilEmpty(timeoutMs: number): Promise<void> {
    if (this.registry.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#closeWaiters = this.#closeWaiters.filter((w) => w !== waiter);
        resolve();
      };
      const waiter = (): void => {
        if (this.registry.size === 0) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#closeWaiters.push(waiter);
    });
  }

  #open(socket: ClientSocket, client: AdmittedClient, reservation: Reservation): Connection {
    const { config: c, metrics } = this.#d;
    const now = Date.now();
    const hooks = {
      sent: (type: string) => metrics.messagesOut.inc({ type }),
      errored: (code: string) => metrics.errors.inc({ code }),
    };
    const conn = new Connection(
      randomUUID(),
      client,
      socket,
      c.sendBufferMaxBytes,
      hooks,
      now,
      fullBucket({ ratePerSec: c.rate.connPerSec, burst: c.rate.connBurst }, now),
    );
    this.registry.add(conn, reservation);
    metrics.connectionsOpened.inc();
    metrics.connections.set(this.registry.size);
    return conn;
  }

  #closed(conn: Connection, code: number): void {
    const { metrics, logger } = this.#d;
    metrics.connectionsClosed.inc({ close_code: String(code) });
    const cause = conn.closeCause;
    const fact = connectionClosedFor(cause === undefined ? { by: 'client', code } : { by: 'server', cause });
    const room = conn.room;
    if (room !== null && fact !== null) {
      // The projector learns the socket is gone (clean → leave now; unclean → grace period).
      this.#writer.write(conn, room, { type: 'ConnectionClosed', ...fact }, null).catch((err: unknown) => {
        logger.warn({ err, connectionId: conn.id, room }, 'ConnectionClosed could not be logged');
      });
    }
    this.registry.remove(conn);
    metrics.connections.set(this.registry.size);
    for (const waiter of [...this.#closeWaiters]) waiter();
  }

  #deadLetter(record: DeliveryRecord, error: SchemaDecodeError): void {
    const { config, schemas } = this.#d;
    const value = new AvroCodec(schemas, 'signal.DeadLetter').encode({
      topic: topicName('deliveries', config.kafka.topicPrefix),
      partition: this.#d.replySlot,
      offset: Number(record.offset),
      key: null,
      value: record.value,
      reason: error.reason,
      message: error.message,
      consumer: this.#consumer.groupId,
      at: Date.now(),
    });
    this.#log
      .append({ topic: topicName('deadLetters', config.kafka.topicPrefix), key: config.edgeId, value, headers: {} })
      .catch(() => undefined);
  }
}
