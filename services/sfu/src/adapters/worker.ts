/**
 * The SFU worker: consumes `signal.media-commands` in the consumer group `<prefix>sfu` (records
 * are keyed by room, so the group gives each room's partition to one worker at a time), runs the
 * media of the rooms it is given, and reports back on `signal.commands` as `SfuSource` commands.
 *
 * Room placement follows partition ownership:
 * - the first media command of a room claims it (`SfuRoomStatus ACCEPTED`), or the worker refuses
 *   it when full (`REFUSED`, code `sfu_capacity`);
 * - a partition handed over by a rebalance has its history read (in the background): rooms whose
 *   media was never closed were served by the previous owner (dead or draining) and are claimed
 *   at once, so the projector tells their clients to re-publish without waiting for a command
 *   that may never come;
 * - a partition taken away closes its rooms' media (`RELEASED`).
 */
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Gauge, Histogram } from 'prom-client';
import {
  ATTR,
  SPAN,
  createConsumer,
  createProducer,
  Lifecycle,
  readPartitionsToEnd,
  trackConsumerLag,
  withProcessSpan,
  withSpan,
  type Logger,
  type Readiness,
} from '@sig/runtime';
import {
  AvroCodec,
  decodeOrDeadLetter,
  topicName,
  type CommandBody,
  type MediaCommand,
  type SchemaSet,
} from '@sig/schemas';
import type { PeerConfig } from 'werift';
import {
  admitPeerConnections,
  admitRoom,
  LiveRooms,
  RateMeter,
  type CandidatePolicy,
  type Limits,
  type Load,
  type NegotiationPolicy,
} from '../domain/index.js';
import { Outbox } from './outbox.js';
import { MediaRoom, type RoomCensus } from './room.js';

/** Settings of a worker. */
export interface SfuWorkerOptions {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly schemas: SchemaSet;
  readonly topicPrefix: string;
  readonly workerId: string;
  readonly limits: Limits;
  readonly groupSessionTimeoutMs: number;
  readonly partitionsConcurrently: number;
  readonly recoveryTimeoutMs: number;
  readonly negotiation: NegotiationPolicy;
  readonly keyframeIntervalMs: number;
  readonly peerConfig: () => Partial<PeerConfig>;
  readonly candidatePolicy: CandidatePolicy;
  /** Called for each report written or lost (metrics). */
  readonly onReport?: (type: CommandBody['type'], outcome: 'sent' | 'lost') => void;
  /** Called for each error code reported to the projector (metrics). */
  readonly onError?: (code: string) => void;
  /** Called for each media command consumed (metrics). */
  readonly onCommand?: (type: MediaCommand['body']['type']) => void;
  /** `signal_kafka_consumer_lag` and `signal_kafka_produce_latency_seconds`. */
  readonly kafkaMetrics?: {
    readonly consumerLag: Gauge<'topic' | 'partition'>;
    readonly produceLatency: Histogram<'topic'>;
  };
}

/** A room this worker was placed on (or refused). */
interface Claim {
  readonly partition: number;
  readonly status: 'accepted' | 'refused';
}

/** Commands that start media for a room: the ones that claim an unknown room. */
const STARTING = new Set<MediaCommand['body']['type']>([
  'PublishOffer',
  'SubscribeTracks',
  'RemoteSdp',
  'RemoteCandidate',
  'IceRestart',
]);

/** What the worker serves now (metrics). */
export interface WorkerCensus extends RoomCensus {
  rooms: number;
  packetsInPerSecond: number;
  packetsOutPerSecond: number;
}

/** One SFU worker process's media and Kafka plumbing. */
export class SfuWorker {
  readonly lifecycle = new Lifecycle('sfu-worker');
  readonly groupId: string;
  readonly #options: SfuWorkerOptions;
  readonly #log: Logger;
  readonly #mediaCodec: AvroCodec<'signal.MediaCommand'>;
  readonly #commandCodec: AvroCodec<'signal.Command'>;
  readonly #deadLetterCodec: AvroCodec<'signal.DeadLetter'>;
  readonly #claims = new Map<string, Claim>();
  readonly #rooms = new Map<string, MediaRoom>();
  readonly #traffic = { in: new RateMeter(Date.now()), out: new RateMeter(Date.now()) };
  #assigned = new Set<number>();
  #joined = false;
  #consumer: Consumer | null = null;
  #producer: Producer | null = null;
  #outbox: Outbox | null = null;
  #ticker: NodeJS.Timeout | null = null;
  #rates = { in: 0, out: 0 };
  #stopping: Promise<void> | null = null;

  constructor(options: SfuWorkerOptions) {
    this.#options = options;
    this.groupId = `${options.topicPrefix}sfu`;
    this.#log = options.logger.child({ component: 'sfu-worker', worker: options.workerId });
    this.#mediaCodec = new AvroCodec(options.schemas, 'signal.MediaCommand');
    this.#commandCodec = new AvroCodec(options.schemas, 'signal.Command');
    this.#deadLetterCodec = new AvroCodec(options.schemas, 'signal.DeadLetter');
  }

  /** Joins the consumer group and starts serving. */
  async start(): Promise<void> {
    this.lifecycle.transition('starting');
    const { kafka, topicPrefix } = this.#options;
    try {
      this.#producer = createProducer(kafka);
      await this.#producer.connect();
      this.#outbox = new Outbox({
        producer: this.#producer,
        codec: this.#commandCodec,
        topic: topicName('commands', topicPrefix),
        workerId: this.#options.workerId,
        logger: this.#log,
        onSent: (type) => this.#options.onReport?.(type, 'sent'),
        onLost: (type) => this.#options.onReport?.(type, 'lost'),
        onWritten: (seconds) =>
          this.#options.kafkaMetrics?.produceLatency.observe({ topic: topicName('commands', topicPrefix) }, seconds),
      });
      const consumer = createConsumer(kafka, {
        groupId: this.groupId,
        sessionTimeoutMs: this.#options.groupSessionTimeoutMs,
        heartbeatIntervalMs: Math.max(500, Math.floor(this.#options.groupSessionTimeoutMs / 5)),
      });
      this.#consumer = consumer;
      if (this.#options.kafkaMetrics) trackConsumerLag(consumer, this.#options.kafkaMetrics.consumerLag);
      const topic = topicName('mediaCommands', topicPrefix);
      consumer.on(consumer.events.GROUP_JOIN, (e) => this.#onAssignment(e.payload.memberAssignment[topic] ?? []));
      consumer.on(consumer.events.CRASH, (e) => {
        this.#log.error({ err: e.payload.error, restart: e.payload.restart }, 'media-command consumer crashed');
        if (!e.payload.restart && this.lifecycle.is('starting', 'running'))
          this.lifecycle.transition('failed', e.payload.error.message);
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: false });
      await consumer.run({
        partitionsConsumedConcurrently: this.#options.partitionsConcurrently,
        // Media commands are few and each one changes live connections: commit every one, so a
        // successor replays as little as possible.
        autoCommitThreshold: 1,
        // Commands do not wait for the partition's history to be read: a room they touch is
        // claimed by them, and the history read skips rooms already claimed.
        eachMessage: ({ partition, message }) =>
          withProcessSpan({ topic, partition, groupId: this.groupId }, message, () =>
            this.#onMessage(partition, message),
          ),
      });
    } catch (error) {
      this.lifecycle.transition('failed', error instanceof Error ? error.message : String(error));
      throw error;
    }
    this.#ticker = setInterval(() => this.#tick(), 1000);
    this.#ticker.unref();
    if (this.lifecycle.is('starting')) this.lifecycle.transition('running');
  }

  /** Ready once running and placed in the consumer group. */
  readiness(): Readiness {
    const reasons: string[] = [];
    if (!this.lifecycle.is('running')) reasons.push(`worker is ${this.lifecycle.state}`);
    else if (!this.#joined) reasons.push('not yet assigned media-command partitions');
    return { ready: reasons.length === 0, reasons };
  }

  /** Rooms, connections, tracks and packet rates now. */
  census(): WorkerCensus {
    const total: WorkerCensus = {
      rooms: this.#acceptedRooms(),
      peerConnections: 0,
      published: { audio: 0, video: 0 },
      subscribed: { audio: 0, video: 0 },
      packetsInPerSecond: this.#rates.in,
      packetsOutPerSecond: this.#rates.out,
    };
    for (const room of this.#rooms.values()) {
      const c = room.census();
      total.peerConnections += c.peerConnections;
      total.published.audio += c.published.audio;
      total.published.video += c.published.video;
      total.subscribed.audio += c.subscribed.audio;
      total.subscribed.video += c.subscribed.video;
    }
    return total;
  }

  /**
   * Stops taking commands, closes every room's media and reports it RELEASED, then leaves the
   * group (its partitions move to other workers at once, after the RELEASED records). Idempotent;
   * the caller bounds it with a deadline.
   */
  stop(reason = 'stopping'): Promise<void> {
    this.#stopping ??= this.#stop(reason);
    return this.#stopping;
  }

  async #stop(reason: string): Promise<void> {
    if (this.lifecycle.is('initialized')) {
      this.lifecycle.transition('stopped', reason);
      return;
    }
    if (this.lifecycle.is('starting', 'running')) this.lifecycle.transition('draining', reason);
    if (this.#ticker) clearInterval(this.#ticker);
    try {
      this.#consumer?.pause([{ topic: topicName('mediaCommands', this.#options.topicPrefix) }]);
    } catch {
      // Not subscribed yet (stopped while starting): there is nothing to pause.
    }
    await this.#release([...this.#claims.keys()], reason);
    await this.#outbox?.flush();
    await this.#consumer
      ?.disconnect()
      .catch((error: unknown) => this.#log.warn({ err: error }, 'consumer disconnect failed'));
    this.#outbox?.close();
    await this.#producer?.disconnect().catch(() => undefined);
    if (!this.lifecycle.isTerminal) this.lifecycle.transition('stopped', reason);
  }

  // ---- consuming --------------------------------------------------------------------------

  async #onMessage(partition: number, message: KafkaMessage): Promise<void> {
    if (!this.lifecycle.is('running', 'starting')) return;
    const topic = topicName('mediaCommands', this.#options.topicPrefix);
    const decoded = decodeOrDeadLetter(
      this.#mediaCodec,
      { topic, partition, offset: message.offset, key: message.key, value: message.value },
      this.groupId,
      Date.now(),
    );
    if (!decoded.ok) {
      this.#log.error(
        { partition, offset: message.offset, reason: decoded.deadLetter.reason },
        'unreadable media command; dead-lettered',
      );
      await this.#producer
        ?.send({
          topic: topicName('deadLetters', this.#options.topicPrefix),
          messages: [{ key: null, value: this.#deadLetterCodec.encode(decoded.deadLetter) }],
        })
        .catch((error: unknown) => this.#log.error({ err: error }, 'dead letter could not be written'));
      return;
    }
    const cmd = decoded.value;
    this.#options.onCommand?.(cmd.body.type);
    if (!this.#assigned.has(partition)) return;
    const attributes = {
      [ATTR.signalRoom]: cmd.room,
      [ATTR.signalSession]: cmd.sessionId,
      [ATTR.signalCommandType]: cmd.body.type,
      [ATTR.signalSeq]: cmd.seq,
    };
    // Reports made while handling (the SDP answer, room status) are children of this span.
    await withSpan(SPAN.sfuHandle, attributes, () => this.#handle(partition, cmd));
  }

  async #handle(partition: number, cmd: MediaCommand): Promise<void> {
    const claim = this.#claims.get(cmd.room);
    if (cmd.body.type === 'CloseRoom') {
      await this.#rooms.get(cmd.room)?.close(cmd.body.reason);
      this.#rooms.delete(cmd.room);
      this.#claims.delete(cmd.room);
      return;
    }
    if (claim?.status !== 'accepted') {
      if (!STARTING.has(cmd.body.type)) return;
      if (
        !this.#claim(
          cmd.room,
          partition,
          claim === undefined || cmd.body.type === 'PublishOffer' || cmd.body.type === 'SubscribeTracks',
        )
      )
        return;
    }
    let room = this.#rooms.get(cmd.room);
    if (!room || room.closed) {
      room = new MediaRoom(cmd.room, this.#roomContext());
      this.#rooms.set(cmd.room, room);
    }
    this.#log.debug({ room: cmd.room, session: cmd.sessionId, type: cmd.body.type, seq: cmd.seq }, 'media command');
    await room.handle(cmd);
    // A room without participants holds no media; its claim stays until CloseRoom or release.
    if (room.isEmpty && this.#rooms.get(cmd.room) === room) this.#rooms.delete(cmd.room);
  }

  /** Tries to place `room` here; reports ACCEPTED, or REFUSED when `announceRefusal`. */
  #claim(room: string, partition: number, announceRefusal: boolean): boolean {
    const admission = admitRoom(this.#load(), this.#options.limits);
    if (admission.ok) {
      this.#claims.set(room, { partition, status: 'accepted' });
      this.#report(room, { type: 'SfuRoomStatus', workerId: this.#options.workerId, status: 'ACCEPTED', code: null });
      this.#log.info({ room, partition }, 'room accepted');
      return true;
    }
    this.#claims.set(room, { partition, status: 'refused' });
    if (announceRefusal) {
      this.#report(room, {
        type: 'SfuRoomStatus',
        workerId: this.#options.workerId,
        status: 'REFUSED',
        code: admission.code,
      });
      this.#log.warn({ room, reason: admission.reason }, 'room refused');
    }
    return false;
  }

  // ---- partition ownership ----------------------------------------------------------------

  #onAssignment(partitions: number[]): void {
    this.#joined = true;
    const next = new Set(partitions);
    const revoked = [...this.#assigned].filter((p) => !next.has(p));
    const added = partitions.filter((p) => !this.#assigned.has(p));
    this.#assigned = next;
    this.#log.info({ partitions, revoked, added }, 'media-command partitions assigned');
    if (revoked.length > 0) {
      const rooms = [...this.#claims].filter(([, c]) => revoked.includes(c.partition)).map(([room]) => room);
      void this.#release(rooms, 'partition reassigned');
    }
    if (added.length > 0) void this.#recover(added);
  }

  /** Claims the rooms of newly assigned partitions whose media was never closed. */
  async #recover(partitions: readonly number[]): Promise<void> {
    const started = Date.now();
    const live = new LiveRooms();
    const partitionOf = new Map<string, number>();
    let records = 0;
    try {
      await readPartitionsToEnd(
        this.#options.kafka,
        topicName('mediaCommands', this.#options.topicPrefix),
        new Map(partitions.map((p) => [p, 'earliest' as const])),
        (partition, message) => {
          if (!message.value) return;
          try {
            const cmd = this.#mediaCodec.decode(message.value);
            live.apply(cmd);
            partitionOf.set(cmd.room, partition);
            records++;
          } catch {
            // Unreadable records are dead-lettered when the group consumes them.
          }
        },
        { groupPrefix: this.#options.topicPrefix, label: 'sfu-recovery', timeoutMs: this.#options.recoveryTimeoutMs },
      );
    } catch (error) {
      this.#log.warn(
        { err: error, partitions },
        'media-command history not read; rooms are claimed on their next command',
      );
      return;
    }
    if (!this.lifecycle.is('starting', 'running')) return;
    const rooms = live.rooms().filter((room) => !this.#claims.has(room));
    for (const room of rooms) {
      const partition = partitionOf.get(room);
      // The partition may have moved on again while its history was read.
      if (partition === undefined || !this.#assigned.has(partition)) continue;
      this.#claim(room, partition, true);
    }
    this.#log.info({ partitions, records, rooms: rooms.length, ms: Date.now() - started }, 'partition history read');
  }

  /** Closes rooms' media and reports them RELEASED. */
  async #release(rooms: readonly string[], reason: string): Promise<void> {
    await Promise.all(
      rooms.map(async (room) => {
        const claim = this.#claims.get(room);
        this.#claims.delete(room);
        const media = this.#rooms.get(room);
        this.#rooms.delete(room);
        await media?.close(reason);
        if (claim?.status === 'accepted') {
          this.#report(room, {
            type: 'SfuRoomStatus',
            workerId: this.#options.workerId,
            status: 'RELEASED',
            code: null,
          });
          this.#log.info({ room, reason }, 'room released');
        }
      }),
    );
  }

  // ---- plumbing ---------------------------------------------------------------------------

  #acceptedRooms(): number {
    let n = 0;
    for (const c of this.#claims.values()) if (c.status === 'accepted') n++;
    return n;
  }

  #load(): Load {
    let peerConnections = 0;
    for (const room of this.#rooms.values()) peerConnections += room.census().peerConnections;
    return { rooms: this.#acceptedRooms(), peerConnections };
  }

  #roomContext() {
    return {
      logger: this.#log,
      peerConfig: this.#options.peerConfig,
      candidatePolicy: this.#options.candidatePolicy,
      report: (room: string, body: CommandBody) => this.#report(room, body),
      admitPeerConnection: () => admitPeerConnections(this.#load(), this.#options.limits),
      traffic: this.#traffic,
      negotiation: this.#options.negotiation,
      keyframeIntervalMs: this.#options.keyframeIntervalMs,
      now: () => Date.now(),
    };
  }

  #report(room: string, body: CommandBody): void {
    if (body.type === 'SfuError') this.#options.onError?.(body.code);
    if (body.type === 'SfuRoomStatus' && body.code !== null) this.#options.onError?.(body.code);
    this.#outbox?.report(room, body);
  }

  #tick(): void {
    const now = Date.now();
    this.#rates = { in: this.#traffic.in.sample(now), out: this.#traffic.out.sample(now) };
    for (const room of this.#rooms.values()) void room.tick(now);
  }
}
