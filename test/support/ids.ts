import { randomBytes } from 'node:crypto';

/** A short random suffix, unique enough for names that parallel test runs must not share. */
export function randomSuffix(): string {
  return randomBytes(6).toString('hex');
}

/** A random id such as `test-room-3f9a0c1b2d4e` (kafkajs style `test-topic-${random}`). */
export function randomId(kind = 'id'): string {
  return `test-${kind}-${randomSuffix()}`;
}

/** A random topic prefix such as `test-3f9a0c1b2d4e.`: catalogue topics become `test-….signal.commands`. */
export function randomTopicPrefix(): string {
  return `test-${randomSuffix()}.`;
}
