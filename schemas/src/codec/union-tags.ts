import avro from 'avsc';

// avsc represents a union of several records as a wrapped object `{ 'signal.Join': {...} }`.
// Our generated types use the tagged form `{ type: 'Join', ... }` instead, which TypeScript
// narrows with a switch. These converters are built once per schema from its type tree and
// touch only the paths that contain such unions; elsewhere values pass through untouched.

type Convert = (value: unknown) => unknown;

const shortName = (name: string): string => name.slice(name.lastIndexOf('.') + 1);

interface Cache {
  from: Map<avro.Type, Convert | null>;
  to: Map<avro.Type, Convert | null>;
}

/** Converter from avsc's decoded value to the tagged form (mutates the fresh decoded value). */
export function fromAvroConverter(type: avro.Type): Convert {
  return build(type, 'from', { from: new Map(), to: new Map() }) ?? ((v) => v);
}

/** Converter from the tagged form to avsc's wrapped form (copies; never mutates its input). */
export function toAvroConverter(type: avro.Type): Convert {
  return build(type, 'to', { from: new Map(), to: new Map() }) ?? ((v) => v);
}

function build(type: avro.Type, dir: 'from' | 'to', cache: Cache): Convert | null {
  const memo = cache[dir];
  if (memo.has(type)) {
    // Recursive types: resolve lazily through the memo once it is filled.
    return (v) => (memo.get(type) ?? ((x: unknown) => x))(v);
  }
  memo.set(type, null);
  const conv = create(type, dir, cache);
  memo.set(type, conv);
  return conv;
}

function create(type: avro.Type, dir: 'from' | 'to', cache: Cache): Convert | null {
  if (type instanceof avro.types.RecordType) {
    const fields = type.fields
      .map((f) => ({ name: f.name, conv: build(f.type, dir, cache) }))
      .filter((f): f is { name: string; conv: Convert } => f.conv !== null);
    if (fields.length === 0) return null;
    if (dir === 'from') {
      return (v) => {
        const rec = v as Record<string, unknown>;
        for (const f of fields) rec[f.name] = f.conv(rec[f.name]);
        return rec;
      };
    }
    return (v) => {
      const rec = { ...(v as Record<string, unknown>) };
      for (const f of fields) rec[f.name] = f.conv(rec[f.name]);
      return rec;
    };
  }
  if (type instanceof avro.types.WrappedUnionType) {
    const branches = new Map<string, { full: string; conv: Convert | null }>();
    for (const t of type.types) {
      const full = t.branchName ?? t.typeName;
      branches.set(dir === 'from' ? full : shortName(full), { full, conv: build(t, dir, cache) });
    }
    if (dir === 'from') {
      return (v) => {
        if (v === null) return null;
        const key = Object.keys(v as object)[0]!;
        const b = branches.get(key);
        const inner = (v as Record<string, unknown>)[key] as Record<string, unknown>;
        const out = (b?.conv ? b.conv(inner) : inner) as Record<string, unknown>;
        out['type'] = shortName(key);
        return out;
      };
    }
    return (v) => {
      if (v === null) return null;
      const tag = (v as { type?: unknown }).type;
      const b = typeof tag === 'string' ? branches.get(tag) : undefined;
      if (!b) return { __invalid_union_tag__: tag };
      return { [b.full]: b.conv ? b.conv(v) : v };
    };
  }
  if (type instanceof avro.types.UnwrappedUnionType) {
    const convs = type.types.map((t) => build(t, dir, cache)).filter((c): c is Convert => c !== null);
    if (convs.length === 0) return null;
    // Only [null, T] unions are unwrapped in our schemas (codegen enforces it).
    const conv = convs[0]!;
    return (v) => (v === null || v === undefined ? v : conv(v));
  }
  if (type instanceof avro.types.ArrayType) {
    const conv = build(type.itemsType, dir, cache);
    if (!conv) return null;
    return (v) => (v as unknown[]).map(conv);
  }
  if (type instanceof avro.types.MapType) {
    const conv = build(type.valuesType as avro.Type, dir, cache);
    if (!conv) return null;
    return (v) => Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, conv(x)]));
  }
  return null;
}
