import type { SchemaSet, SchemaVersion } from './schema-set.js';

/** One failed compatibility direction between two published versions. */
export interface CompatibilityProblem {
  readonly name: string;
  readonly reader: number;
  readonly writer: number;
  readonly direction: 'backward' | 'forward';
  readonly message: string;
}

/**
 * Checks that every version of every schema is both backward compatible (the newer version
 * reads everything written with an older one) and forward compatible (older readers read what
 * the newer version writes) with every earlier version, per Avro's schema-resolution rules.
 */
export function checkCompatibility(set: SchemaSet): CompatibilityProblem[] {
  const problems: CompatibilityProblem[] = [];
  for (const name of set.names()) {
    const versions = set.versions(name);
    for (let i = 1; i < versions.length; i++) {
      const newer = versions[i]!;
      for (const older of versions.slice(0, i)) {
        const back = tryResolve(newer, older);
        if (back)
          problems.push({ name, reader: newer.version, writer: older.version, direction: 'backward', message: back });
        const fwd = tryResolve(older, newer);
        if (fwd)
          problems.push({ name, reader: older.version, writer: newer.version, direction: 'forward', message: fwd });
      }
    }
  }
  return problems;
}

function tryResolve(reader: SchemaVersion, writer: SchemaVersion): string | null {
  try {
    reader.type.createResolver(writer.type);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
