import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SchemaSet, TOPICS, topicTableMarkdown } from '../src/index.js';

describe('topic catalogue', () => {
  it('docs/topics.md shows the catalogue as it is', () => {
    const doc = readFileSync(new URL('../../docs/topics.md', import.meta.url), 'utf8');
    const between = /<!-- topics:start -->\n([\s\S]*?)\n<!-- topics:end -->/.exec(doc)?.[1];
    expect(
      between,
      'run: node -e "import(\'./schemas/dist/topics.js\').then(m=>console.log(m.topicTableMarkdown()))" and paste',
    ).toBe(topicTableMarkdown());
  });

  it('every topic value has a published schema, and room-keyed topics share one partition count', () => {
    const schemas = SchemaSet.load();
    for (const t of Object.values(TOPICS)) expect(() => schemas.latest(t.valueSchema)).not.toThrow();
    const roomKeyed = Object.values(TOPICS).filter((t) => t.key === 'room' && t.id !== 'analytics');
    expect(new Set(roomKeyed.map((t) => t.partitions)).size).toBe(1);
  });
});
