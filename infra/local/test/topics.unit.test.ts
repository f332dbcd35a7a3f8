import { TOPICS } from '@sig/schemas';
import { describe, expect, test } from 'vitest';
import { catalogue, validateTopic } from '../src/topics.js';

describe('validateTopic', () => {
  const spec = TOPICS.commands;

  test('accepts a topic laid out as the catalogue says', () => {
    expect(validateTopic(spec, 'signal.commands', { partitions: spec.partitions, replicationFactor: 1 })).toEqual({
      name: 'signal.commands',
      status: 'ok',
    });
  });

  test('reports a partition count that breaks partition alignment', () => {
    const report = validateTopic(spec, 'signal.commands', { partitions: 3, replicationFactor: 1 });
    expect(report.status).toBe('mismatch');
    expect(report.detail).toBe(`has 3 partitions, catalogue says ${spec.partitions}`);
  });

  test('reports a replication factor mismatch too', () => {
    const report = validateTopic(spec, 'signal.commands', { partitions: spec.partitions, replicationFactor: 3 });
    expect(report).toMatchObject({ status: 'mismatch', detail: 'has replication factor 3, catalogue says 1' });
  });
});

describe('catalogue', () => {
  test('prefixes every topic name and covers the whole catalogue', () => {
    const entries = catalogue('test-ab.');
    expect(entries).toHaveLength(Object.keys(TOPICS).length);
    for (const { name, spec } of entries) expect(name).toBe(`test-ab.${spec.name}`);
  });
});
