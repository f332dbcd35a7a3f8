import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { schemaFingerprint } from './fingerprint.js';

/** Where the published .avsc files live (same relative path from src/ and dist/). */
export const AVRO_DIR = fileURLToPath(new URL('../../avro/', import.meta.url));

/** One published version of a top-level schema. */
export interface SchemaVersion {
  /** Full name, e.g. `signal.RoomEvent`. */
  readonly name: string;
  readonly version: number;
  readonly schema: avro.Schema;
  readonly type: avro.Type;
  readonly fingerprint: bigint;
  readonly fingerprintHex: string;
}

/** avsc options shared by every parse: multi-record unions wrapped, [null, T] unwrapped. */
export const AVSC_OPTIONS = { wrapUnions: 'auto' } as const;

/**
 * Schema ids a Confluent-compatible registry assigned to published versions (by fingerprint).
 * When a set carries them, codecs write the Confluent wire format (magic 0, 4-byte id).
 */
export type ConfluentIds = ReadonlyMap<bigint, number>;

/** Every published version of every schema, addressable by name or by fingerprint. */
export class SchemaSet {
  private readonly byName = new Map<string, SchemaVersion[]>();
  private readonly byFp = new Map<bigint, SchemaVersion>();
  private readonly byRegistryId = new Map<number, SchemaVersion>();

  constructor(
    private readonly all: readonly SchemaVersion[],
    private readonly registryIds: ConfluentIds = new Map(),
  ) {
    for (const [fp, id] of registryIds) {
      const v = all.find((x) => x.fingerprint === fp);
      if (v) this.byRegistryId.set(id, v);
    }
    for (const v of all) {
      const list = this.byName.get(v.name) ?? [];
      list.push(v);
      list.sort((a, b) => a.version - b.version);
      this.byName.set(v.name, list);
      // Two versions with the same canonical form share a fingerprint: either reads the other.
      if (!this.byFp.has(v.fingerprint)) this.byFp.set(v.fingerprint, v);
    }
  }

  /** Loads `<dir>/<Name>/v<N>.avsc` for every schema. */
  static load(dir: string = AVRO_DIR): SchemaSet {
    const versions: SchemaVersion[] = [];
    for (const entry of readdirSync(dir).sort()) {
      for (const file of readdirSync(join(dir, entry))) {
        const m = /^v(\d+)\.avsc$/.exec(file);
        if (!m) continue;
        const schema = JSON.parse(readFileSync(join(dir, entry, file), 'utf8')) as avro.Schema;
        versions.push(SchemaSet.version(schema, Number(m[1])));
      }
    }
    return new SchemaSet(versions);
  }

  /** Builds one version entry from a parsed schema. */
  static version(schema: avro.Schema, version: number): SchemaVersion {
    // A fresh options object per parse: avsc stores its type registry in the options it is given.
    const type = avro.Type.forSchema(schema, { ...AVSC_OPTIONS });
    const fingerprint = schemaFingerprint(type);
    return {
      name: type.name ?? String(version),
      version,
      schema,
      type,
      fingerprint,
      fingerprintHex: fingerprint.toString(16).padStart(16, '0'),
    };
  }

  /** All record names with published schemas. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Published versions of a schema, oldest first. */
  versions(name: string): readonly SchemaVersion[] {
    const list = this.byName.get(name);
    if (!list) throw new Error(`no published schema named ${name}`);
    return list;
  }

  /** The latest published version: what readers resolve into and writers write by default. */
  latest(name: string): SchemaVersion {
    return this.versions(name).at(-1)!;
  }

  /** The schema version that has this fingerprint, if it was ever published. */
  byFingerprint(fp: bigint): SchemaVersion | undefined {
    return this.byFp.get(fp);
  }

  /** The same versions, writing the Confluent wire format with these registry ids. */
  withConfluentIds(ids: ConfluentIds): SchemaSet {
    return new SchemaSet(this.all, ids);
  }

  /** Whether codecs of this set write the Confluent wire format (registry ids are known). */
  get writesConfluent(): boolean {
    return this.registryIds.size > 0;
  }

  /** The registry id of a version, if registered. */
  confluentId(fp: bigint): number | undefined {
    return this.registryIds.get(fp);
  }

  /** The version a registry id stands for, if it is one of ours. */
  byConfluentId(id: number): SchemaVersion | undefined {
    return this.byRegistryId.get(id);
  }
}
