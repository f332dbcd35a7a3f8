import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AvroCodec, checkCompatibility, SchemaSet } from '../src/index.js';
import type { EdgeHeartbeat } from '../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}/`, import.meta.url));

describe('schema evolution gate', () => {
  it('every published schema version is backward and forward compatible with all earlier ones', () => {
    expect(checkCompatibility(SchemaSet.load())).toEqual([]);
  });

  it('the generated TypeScript types are up to date with the .avsc files', () => {
    const script = fileURLToPath(new URL('../scripts/codegen.mjs', import.meta.url));
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('flags a version that breaks either direction', () => {
    const problems = checkCompatibility(SchemaSet.load(fixture('evolution-broken')));
    expect(problems.map((p) => p.direction).sort()).toEqual(['backward', 'forward']);
    expect(problems.find((p) => p.direction === 'backward')?.message).toMatch(/region/);
  });

  it('accepts an added field with a default and an added enum symbol (the enum has a default)', () => {
    expect(checkCompatibility(SchemaSet.load(fixture('evolution')))).toEqual([]);
  });

  it('reads a v1 record with a v2 reader, and a v2 record with a v1 reader', () => {
    const set = SchemaSet.load(fixture('evolution'));
    const v1 = new AvroCodec(set, 'signal.EdgeHeartbeat', { writerVersion: 1, readerVersion: 1 });
    const v2 = new AvroCodec(set, 'signal.EdgeHeartbeat', { writerVersion: 2, readerVersion: 2 });
    const old: EdgeHeartbeat = {
      edgeId: 'e1',
      replySlot: 3,
      at: 1_700_000_000_000,
      state: 'RUNNING',
      connections: 7,
      intervalMs: 2000,
    };

    const upgraded = v2.decode(v1.encode(old)) as EdgeHeartbeat & { version?: string };
    expect(upgraded).toMatchObject({ ...old, version: 'unknown' });

    const fromNew = { ...old, state: 'STARTING', version: '1.2.3' } as unknown as EdgeHeartbeat;
    const downgraded = v1.decode(v2.encode(fromNew));
    expect(downgraded.state).toBe('UNKNOWN');
    expect(downgraded).not.toHaveProperty('version');
  });
});
