/** Idempotent create-or-validate of every topic in the catalogue (schemas/src/topics.ts). */
import { TOPICS, topicConfigs, topicName, type TopicSpec } from '@sig/schemas';
import kafkajs, { type Admin, type ITopicConfig } from 'kafkajs';
import { pollUntil } from './poll.js';

const { Kafka, logLevel } = kafkajs;

/**
 * Creates topics and waits until the broker serves every partition with a leader; false when
 * they all existed already. kafkajs' own `waitForLeaders` is not enough on KRaft: the controller
 * answers CreateTopics before the broker's metadata cache knows the topic, and kafkajs gives up
 * on the resulting UNKNOWN_TOPIC_OR_PARTITION (seen under load in this repo's test runs).
 */
export async function createTopicsAndWait(admin: Admin, topics: ITopicConfig[], timeoutMs = 30_000): Promise<boolean> {
  const created = await admin.createTopics({ topics, waitForLeaders: false });
  const names = topics.map((t) => t.topic);
  await pollUntil(
    `topics ${names.join(', ')} to be served`,
    async () => {
      const { topics: served } = await admin.fetchTopicMetadata({ topics: names });
      return topics.every(({ topic, numPartitions }) => {
        const partitions = served.find((t) => t.name === topic)?.partitions ?? [];
        const complete = numPartitions === undefined || numPartitions < 1 || partitions.length === numPartitions;
        return partitions.length > 0 && complete && partitions.every((p) => p.leader >= 0);
      });
    },
    { timeoutMs, intervalMs: 100 },
  );
  return created;
}

/** What a broker says about an existing topic. */
export interface ExistingTopic {
  readonly partitions: number;
  readonly replicationFactor: number;
}

/** Outcome for one catalogue topic. `mismatch` is an error: the topic exists with another layout. */
export interface TopicReport {
  readonly name: string;
  readonly status: 'created' | 'ok' | 'mismatch';
  readonly detail?: string;
}

/**
 * Compares an existing topic with its catalogue entry. Partition count matters most: room-keyed
 * topics must share one count for the projector's partition alignment (docs/architecture.md).
 */
export function validateTopic(spec: TopicSpec, name: string, existing: ExistingTopic): TopicReport {
  const problems: string[] = [];
  if (existing.partitions !== spec.partitions) {
    problems.push(`has ${existing.partitions} partitions, catalogue says ${spec.partitions}`);
  }
  if (existing.replicationFactor !== spec.replicationFactor) {
    problems.push(`has replication factor ${existing.replicationFactor}, catalogue says ${spec.replicationFactor}`);
  }
  return problems.length === 0 ? { name, status: 'ok' } : { name, status: 'mismatch', detail: problems.join('; ') };
}

/** Catalogue entries with their (prefixed) Kafka names. */
export function catalogue(prefix = ''): { spec: TopicSpec; name: string }[] {
  return Object.values(TOPICS).map((spec) => ({ spec, name: topicName(spec.id, prefix) }));
}

export interface EnsureTopicsOptions {
  readonly brokers: readonly string[];
  /** Prepended to every topic name; tests use a random one to stay isolated. */
  readonly prefix?: string;
}

/** Creates missing catalogue topics and validates existing ones; never alters an existing topic. */
export async function ensureTopics(opts: EnsureTopicsOptions): Promise<TopicReport[]> {
  // Silent: kafkajs logs retried protocol errors at ERROR; failures still reach the caller as exceptions.
  const admin = new Kafka({ clientId: 'sig-topics', brokers: [...opts.brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const wanted = catalogue(opts.prefix);
    const present = new Set(await admin.listTopics());
    const missing = wanted.filter(({ name }) => !present.has(name));
    if (missing.length > 0) {
      // Returns false instead of failing when a concurrent caller created them first.
      await createTopicsAndWait(
        admin,
        missing.map(({ spec, name }) => ({
          topic: name,
          numPartitions: spec.partitions,
          replicationFactor: spec.replicationFactor,
          configEntries: Object.entries(topicConfigs(spec)).map(([configName, value]) => ({ name: configName, value })),
        })),
      );
    }
    const created = new Set(missing.map(({ name }) => name));
    const { topics } = await admin.fetchTopicMetadata({ topics: wanted.map(({ name }) => name) });
    const byName = new Map(topics.map((topic) => [topic.name, topic]));
    return wanted.map(({ spec, name }): TopicReport => {
      const meta = byName.get(name);
      if (!meta) return { name, status: 'mismatch', detail: 'missing after create' };
      const report = validateTopic(spec, name, {
        partitions: meta.partitions.length,
        replicationFactor: meta.partitions[0]?.replicas.length ?? 0,
      });
      return report.status === 'ok' && created.has(name) ? { name, status: 'created' } : report;
    });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes every catalogue topic with this prefix (test clean-up); a non-empty prefix is required. */
export async function deleteTopics(opts: EnsureTopicsOptions & { readonly prefix: string }): Promise<void> {
  if (opts.prefix === '') throw new Error('refusing to delete the unprefixed (shared) catalogue topics');
  // Silent: kafkajs logs retried protocol errors at ERROR; failures still reach the caller as exceptions.
  const admin = new Kafka({ clientId: 'sig-topics', brokers: [...opts.brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const topics = catalogue(opts.prefix)
      .map(({ name }) => name)
      .filter((name) => present.has(name));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}
