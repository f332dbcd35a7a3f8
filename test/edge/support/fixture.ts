/** Per-file setup shared by the edge integration tests: random topic prefix, catalogue topics, edge env. */
import { randomTopicPrefix } from '../../support/ids.js';
import { testInfra } from '../../support/infra.js';
import { createTopics, deleteTopics } from '../../support/kafka.js';

export interface EdgeFixture {
  readonly prefix: string;
  readonly brokers: string[];
  readonly redisUrl: string;
  /** Environment of an edge on this file's topics, with `extra` on top. */
  env(extra?: Record<string, string>): Record<string, string>;
  dispose(): Promise<void>;
}

/** Creates the catalogue topics under a fresh prefix (call in beforeAll). */
export async function edgeFixture(brokers: string[] = testInfra().kafkaBrokers): Promise<EdgeFixture> {
  const prefix = randomTopicPrefix();
  const { redisUrl } = testInfra();
  await createTopics(prefix, brokers);
  return {
    prefix,
    brokers,
    redisUrl,
    env: (extra = {}) => ({ KAFKA_BROKERS: brokers.join(','), REDIS_URL: redisUrl, TOPIC_PREFIX: prefix, ...extra }),
    dispose: () => deleteTopics(prefix, brokers),
  };
}
