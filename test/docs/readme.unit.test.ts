import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTableMarkdown, type ConfigSpec } from '@sig/runtime';
import { edgeConfigSpec } from '../../services/edge/src/config.js';
import { projectorConfigSpec } from '../../services/projector/src/config.js';
import { sfuConfigSpec } from '../../services/sfu/src/config.js';
import { analyticsConfigSpec } from '../../services/analytics/src/config.js';

/** Table rows as trimmed cells, so Prettier's column alignment does not matter. */
const cells = (table: string) =>
  table
    .trim()
    .split('\n')
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((c) =>
          c
            .trim()
            .replace(/^-+$/, '---')
            .replace(/^\*([^*]+)\*$/, '_$1_'),
        ),
    );

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const SERVICES: Record<string, ConfigSpec> = {
  edge: edgeConfigSpec,
  projector: projectorConfigSpec,
  sfu: sfuConfigSpec,
  analytics: analyticsConfigSpec,
};

describe('README configuration tables', () => {
  it.each(Object.entries(SERVICES))(
    'lists every %s variable with its default (npm run docs regenerates it)',
    (service, spec) => {
      const section = new RegExp(`<!-- config:${service}:start -->\\n([\\s\\S]*?)<!-- config:${service}:end -->`).exec(
        readme,
      )?.[1];
      expect(section, `README.md has no config:${service} section`).toBeDefined();
      expect(cells(section!)).toEqual(cells(configTableMarkdown(spec)));
    },
  );
});
