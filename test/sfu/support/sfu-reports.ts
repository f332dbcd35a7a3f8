/**
 * What the SFU workers wrote on the log (commands with source SfuSource, which the projector
 * reads), recorded in log order per room so tests can check the workers' own view: room
 * statuses, track and connection states.
 */
import { randomUUID } from 'node:crypto';
import kafkajs, { type Consumer } from 'kafkajs';
import { AvroCodec, SchemaSet, topicName, type Command } from '@sig/schemas';

const commandCodec = new AvroCodec(SchemaSet.load(), 'signal.Command');

export class SfuReports {
  /** Commands the SFU workers wrote, in log order per room. */
  readonly sfuReports: Command[] = [];
  #consumer: Consumer | null = null;

  constructor(
    private readonly brokers: readonly string[],
    private readonly prefix: string,
  ) {}

  async start(): Promise<void> {
    const kafka = new kafkajs.Kafka({
      brokers: [...this.brokers],
      clientId: 'sfu-test',
      logLevel: kafkajs.logLevel.NOTHING,
    });
    this.#consumer = kafka.consumer({ groupId: `${this.prefix}sfu-reports-view-${randomUUID()}`, maxWaitTimeInMs: 50 });
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topic: topicName('commands', this.prefix), fromBeginning: true });
    await this.#consumer.run({
      eachMessage: async ({ message }) => {
        const command = commandCodec.decode(message.value!);
        if (command.source.type === 'SfuSource') this.sfuReports.push(command);
        await Promise.resolve();
      },
    });
  }

  async stop(): Promise<void> {
    await this.#consumer?.disconnect();
  }
}
