import { readFileSync } from 'node:fs';
import { configTableMarkdown } from '@sig/runtime';
import { describe, expect, test } from 'vitest';
import { edgeConfigSpec } from '../src/config.js';

/** Table rows as trimmed cells, so Prettier's alignment and emphasis style (`*x*` → `_x_`) do not matter. */
function cells(table: string): string[][] {
  return table
    .trim()
    .split('\n')
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((cell) =>
          cell
            .trim()
            .replace(/^-+$/, '---')
            .replace(/^\*([^*]+)\*$/, '_$1_'),
        ),
    );
}

describe('services/edge/README.md', () => {
  test('the configuration table is the one generated from the spec', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = /<!-- config:start -->\n<!--[^\n]*-->\n([\s\S]*?)<!-- config:end -->/.exec(readme)?.[1];
    expect(section, 'the config section markers are missing').toBeDefined();
    expect(cells(section!)).toEqual(cells(configTableMarkdown(edgeConfigSpec)));
  });
});
