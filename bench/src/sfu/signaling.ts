/**
 * Copied from test/sfu/support/signaling.ts (test code is not part of any package build).
 *
 * The edge's side of the log, for media benchmarks: commands produced exactly as an edge logs them
 * (ClientSource with a reply slot, keyed by room) and deliveries read from the edges' reply
 * slots with read_committed, each room event handed to the client holding the connection.
 */
import { randomUUID } from 'node:crypto';
import kafkajs, { type Consumer, type Kafka, type Producer } from 'kafkajs';
import {
  AvroCodec,
  SchemaSet,
  topicName,
  type Command,
  type CommandBody,
  type Delivery,
  type Grants,
  type RoomEvent,
} from '@sig/schemas';

const schemas = SchemaSet.load();
export const commandCodec = new AvroCodec(schemas, 'signal.Command');
const deliveryCodec = new AvroCodec(schemas, 'signal.Delivery');
const eventCodec = new AvroCodec(schemas, 'signal.RoomEvent');

export const ALL_GRANTS: Grants = {
  roomJoin: true,
  roomAdmin: false,
  canPublish: true,
  canSubscribe: true,
  canPublishData: true,
  hidden: false,
};

/** Where a simulated client's room events go. */
export type EventSink = (event: RoomEvent) => void;

/** One client connection as the edge would log it. */
export interface ClientAddress {
  readonly identity: string;
  readonly connectionId: string;
  readonly slot: number;
}

/** Produces client commands and routes deliveries to per-connection sinks. */
export class Signaling {
  readonly #sinks = new Map<string, EventSink>();
  #producer: Producer | null = null;
  #consumer: Consumer | null = null;
  #reports: Consumer | null = null;
  /** Commands the SFU workers wrote (SfuSource), in log order per room. */
  readonly sfuReports: Command[] = [];
  #sending: Promise<void> = Promise.resolve();
  #kafka: Kafka;

  constructor(
    brokers: readonly string[],
    readonly prefix: string,
  ) {
    this.#kafka = new kafkajs.Kafka({
      brokers: [...brokers],
      clientId: 'sfu-bench',
      logLevel: kafkajs.logLevel.NOTHING,
    });
  }

  async start(): Promise<void> {
    this.#producer = this.#kafka.producer({
      idempotent: true,
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    });
    await this.#producer.connect();
    this.#consumer = this.#kafka.consumer({
      groupId: `${this.prefix}edges-view-${randomUUID()}`,
      maxWaitTimeInMs: 50,
      readUncommitted: false,
    });
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topic: topicName('deliveries', this.prefix), fromBeginning: true });
    await this.#consumer.run({
      eachMessage: async ({ message }) => {
        const d: Delivery = deliveryCodec.decode(message.value!);
        for (const id of d.connectionIds) {
          const sink = this.#sinks.get(id);
          if (sink) for (const bytes of d.events) sink(eventCodec.decode(bytes));
        }
        await Promise.resolve();
      },
    });
  }

  /** Also records every command an SFU worker writes (what the projector reads from the workers). */
  async watchSfuReports(): Promise<void> {
    this.#reports = this.#kafka.consumer({
      groupId: `${this.prefix}sfu-reports-view-${randomUUID()}`,
      maxWaitTimeInMs: 50,
    });
    await this.#reports.connect();
    await this.#reports.subscribe({ topic: topicName('commands', this.prefix), fromBeginning: true });
    await this.#reports.run({
      eachMessage: async ({ message }) => {
        const command = commandCodec.decode(message.value!);
        if (command.source.type === 'SfuSource') this.sfuReports.push(command);
        await Promise.resolve();
      },
    });
  }

  async stop(): Promise<void> {
    await this.#sending.catch(() => undefined);
    await this.#reports?.disconnect();
    await this.#consumer?.disconnect();
    await this.#producer?.disconnect();
  }

  /** Routes the connection's deliveries to `sink`. */
  attach(address: ClientAddress, sink: EventSink): void {
    this.#sinks.set(address.connectionId, sink);
  }

  detach(address: ClientAddress): void {
    this.#sinks.delete(address.connectionId);
  }

  /** Logs a command from the connection; commands are written one at a time, in call order. */
  send(room: string, address: ClientAddress, body: CommandBody): Promise<void> {
    const command: Command = {
      commandId: randomUUID(),
      room,
      receivedAt: Date.now(),
      source: {
        type: 'ClientSource',
        edgeId: `edge-${address.slot}`,
        replySlot: address.slot,
        connectionId: address.connectionId,
        identity: address.identity,
        name: address.identity,
        grants: ALL_GRANTS,
        requestId: randomUUID(),
        tokenExpiresAt: Date.now() + 3_600_000,
      },
      body,
    };
    const next = this.#sending.then(async () => {
      await this.#producer!.send({
        topic: topicName('commands', this.prefix),
        acks: -1,
        messages: [{ key: room, value: commandCodec.encode(command) }],
      });
    });
    this.#sending = next.catch(() => undefined);
    return next;
  }
}
