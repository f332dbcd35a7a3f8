import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { PACKAGE_ROOT } from '../src/paths.js';
import { kafkaClusterId, parseProperties, renderServerProperties } from '../src/server-properties.js';

const template = readFileSync(join(PACKAGE_ROOT, 'kafka', 'server.properties'), 'utf8');
const vars = { HOST: '127.0.0.1', PORT: 19092, CONTROLLER_PORT: 19093, LOG_DIRS: '/tmp/x/data' };

describe('renderServerProperties', () => {
  test('renders a single-node KRaft broker on loopback from the shipped template', () => {
    const props = parseProperties(renderServerProperties(template, vars));
    expect(props.get('process.roles')).toBe('broker,controller');
    expect(props.get('listeners')).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19092');
    expect(props.get('controller.quorum.voters')).toBe('1@127.0.0.1:19093');
    expect(props.get('log.dirs')).toBe('/tmp/x/data');
    // One broker: internal topics with the default replication factor 3 could never be created.
    expect(props.get('offsets.topic.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.min.isr')).toBe('1');
    expect(props.get('auto.create.topics.enable')).toBe('false');
  });

  test('leaves no placeholder behind', () => {
    expect(renderServerProperties(template, vars)).not.toMatch(/\$\{/);
  });

  test('rejects an unknown placeholder', () => {
    expect(() => renderServerProperties('a=${NOPE}\nb=${HOST}${PORT}${CONTROLLER_PORT}${LOG_DIRS}', vars)).toThrow(
      /unknown placeholder \$\{NOPE\}/,
    );
  });

  test('rejects a template that forgets a value', () => {
    expect(() => renderServerProperties('listeners=PLAINTEXT://${HOST}:${PORT}', vars)).toThrow(
      /never used: CONTROLLER_PORT, LOG_DIRS/,
    );
  });

  test('rejects a value that would inject another property', () => {
    expect(() =>
      renderServerProperties(template, { ...vars, LOG_DIRS: '/tmp/x\nauto.create.topics.enable=true' }),
    ).toThrow(/LOG_DIRS must be a single line/);
  });
});

describe('kafkaClusterId', () => {
  test('is 22 base64url characters, never starting with a dash', () => {
    let calls = 0;
    // First draw encodes to a leading '-', which StorageTool would read as a flag.
    const bytes = (n: number) => Buffer.alloc(n, calls++ === 0 ? 0xfb : 0x41);
    const id = kafkaClusterId(bytes);
    expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(calls).toBe(2);
  });
});
