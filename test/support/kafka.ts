import { createTopicsAndWait, deleteTopics as deleteCatalogueTopics, ensureTopics } from '@sig/infra-local';
import kafkajs from 'kafkajs';
import { testInfra } from './infra.js';

const { Kafka, logLevel } = kafkajs;

/** Creates every catalogue topic under `prefix` (see randomTopicPrefix); fails on any mismatch. */
export async function createTopics(
  prefix: string,
  brokers: readonly string[] = testInfra().kafkaBrokers,
): Promise<void> {
  const reports = await ensureTopics({ brokers, prefix });
  const bad = reports.filter((r) => r.status === 'mismatch');
  if (bad.length > 0) {
    throw new Error(`topics under ${prefix} differ: ${bad.map((r) => `${r.name}: ${r.detail}`).join('; ')}`);
  }
}

/** Deletes the catalogue topics under `prefix`, so test runs do not pile partitions onto the broker. */
export async function deleteTopics(
  prefix: string,
  brokers: readonly string[] = testInfra().kafkaBrokers,
): Promise<void> {
  await deleteCatalogueTopics({ brokers, prefix });
}

/**
 * Creates one ad-hoc topic (not from the catalogue) and waits until the broker serves it;
 * returns a function that deletes it.
 */
export async function createTopic(
  topic: string,
  opts: { partitions?: number; brokers?: readonly string[] } = {},
): Promise<() => Promise<void>> {
  const brokers = [...(opts.brokers ?? testInfra().kafkaBrokers)];
  const admin = new Kafka({ clientId: 'test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await createTopicsAndWait(admin, [{ topic, numPartitions: opts.partitions ?? 1 }]);
  } finally {
    await admin.disconnect();
  }
  return async () => {
    const cleanup = new Kafka({ clientId: 'test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
    await cleanup.connect();
    try {
      await cleanup.deleteTopics({ topics: [topic] });
    } finally {
      await cleanup.disconnect();
    }
  };
}
