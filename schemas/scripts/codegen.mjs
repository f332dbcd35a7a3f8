// Generates TypeScript types from the Avro schemas (the single source of truth).
//
//   node schemas/scripts/codegen.mjs          write schemas/src/generated/types.ts
//   node schemas/scripts/codegen.mjs --check  exit 1 if the committed file is stale
//
// Mapping: record → interface; enum → string-literal union (+ a const array of symbols);
// ["null", T] → T | null; a union of several records → a discriminated union tagged by
// `type` = the record's short name (the codec converts avsc's wrapped unions to this form);
// long/int/double/float → number; bytes → Buffer; array → T[]; map → Record<string, T>.
// Types come from the latest version of each schema: that is what readers resolve into.
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const avroDir = join(here, '..', 'avro');
const outFile = join(here, '..', 'src', 'generated', 'types.ts');

/** Latest version of every schema: { name, version, schema }. */
export function latestSchemas(dir = avroDir) {
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const versions = readdirSync(join(dir, name))
        .map((f) => /^v(\d+)\.avsc$/.exec(f))
        .filter(Boolean)
        .map((m) => Number(m[1]))
        .sort((a, b) => a - b);
      const version = versions.at(-1);
      return { name, version, schema: JSON.parse(readFileSync(join(dir, name, `v${version}.avsc`), 'utf8')) };
    });
}

const PRIMITIVE = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};
const pascal = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const short = (n) => n.split('.').at(-1);

export function generate(schemas) {
  const decls = new Map(); // short name → { text, canonical (for drift detection) }
  const lines = [];

  // Nested named types are compared by name only: one file may define them inline where
  // another refers to them, and each is checked on its own definition.
  const shallow = (t, top = true) => {
    if (Array.isArray(t)) return t.map((b) => shallow(b, false));
    if (t === null || typeof t !== 'object') return t;
    if (!top && (t.type === 'record' || t.type === 'enum' || t.type === 'fixed')) return t.name;
    const out = {};
    for (const [k, v] of Object.entries(t))
      out[k] = k === 'fields' ? v.map((fl) => ({ ...fl, type: shallow(fl.type, false) })) : shallow(v, false);
    return out;
  };
  const define = (name, text, definition) => {
    const key = JSON.stringify(shallow(definition));
    const prev = decls.get(name);
    if (prev && prev.key !== key) {
      throw new Error(`named type ${name} is defined differently in two schema files; keep shared types identical`);
    }
    if (!prev) decls.set(name, { key, text });
  };

  const doc = (d, indent = '') => (d ? `${indent}/** ${String(d).replace(/\*\//g, '* /')} */\n` : '');

  const typeOf = (t, ctx) => {
    if (typeof t === 'string') return PRIMITIVE[t] ?? short(t);
    if (Array.isArray(t)) return unionOf(t, ctx);
    switch (t.type) {
      case 'record':
        return recordOf(t);
      case 'enum':
        return enumOf(t);
      case 'array':
        return `readonly ${wrap(typeOf(t.items, ctx + 'Item'))}[]`;
      case 'map':
        return `Record<string, ${typeOf(t.values, ctx + 'Value')}>`;
      case 'fixed':
        return 'Buffer';
      default:
        return PRIMITIVE[t.type] ?? short(t.type);
    }
  };
  const wrap = (s) => (/[|&]/.test(s) ? `(${s})` : s);

  const unionOf = (branches, ctx) => {
    const nonNull = branches.filter((b) => b !== 'null');
    const hasNull = nonNull.length !== branches.length;
    const records = nonNull.filter(
      (b) => (typeof b === 'object' && b.type === 'record') || (typeof b === 'string' && !PRIMITIVE[b]),
    );
    if (nonNull.length === 1) return `${typeOf(nonNull[0], ctx)}${hasNull ? ' | null' : ''}`;
    if (hasNull || records.length !== nonNull.length) {
      throw new Error(
        `${ctx}: unions must be [null, T] or several records (got ${JSON.stringify(branches).slice(0, 80)})`,
      );
    }
    const names = nonNull.map((b) => (typeof b === 'string' ? short(b) : (recordOf(b), short(b.name))));
    const alias = ctx;
    const text =
      `/** Union of ${names.join(', ')}, tagged by \`type\`. */\n` +
      `export type ${alias} =\n` +
      names.map((n) => `  | Tagged<'${n}', ${n}>`).join('\n') +
      ';\n' +
      `export type ${alias}Type = ${alias}['type'];\n` +
      `export const ${alias}Types = [${names.map((n) => `'${n}'`).join(', ')}] as const;\n`;
    define(alias, text, names);
    return alias;
  };

  const enumOf = (t) => {
    const name = short(t.name);
    const text =
      doc(t.doc) +
      `export type ${name} = ${t.symbols.map((s) => `'${s}'`).join(' | ')};\n` +
      `export const ${name}Values = [${t.symbols.map((s) => `'${s}'`).join(', ')}] as const;\n`;
    define(name, text, t);
    return name;
  };

  const recordOf = (t) => {
    const name = short(t.name);
    if (decls.has(name) && decls.get(name).text === null) return name; // recursion guard
    for (const fl of t.fields) {
      if (fl.name === 'type') throw new Error(`${name}.type: the field name 'type' is reserved for union tags`);
    }
    const body = t.fields
      .map((fl) => `${doc(fl.doc, '  ')}  readonly ${fl.name}: ${typeOf(fl.type, name + pascal(fl.name))};\n`)
      .join('');
    define(name, doc(t.doc) + `export interface ${name} {\n${body}}\n`, t);
    return name;
  };

  for (const { schema } of schemas) typeOf(schema, short(schema.name));

  lines.push('// GENERATED by schemas/scripts/codegen.mjs from schemas/avro/*/v*.avsc. Do not edit.');
  lines.push('// Regenerate with `npm run codegen`; `npm test` fails when this file is stale.');
  lines.push('/* eslint-disable */');
  lines.push('');
  lines.push('/** A union branch: the record plus its short name as the `type` tag. */');
  lines.push('export type Tagged<N extends string, R> = { readonly type: N } & R;');
  lines.push('');
  for (const { text } of decls.values()) lines.push(text);
  lines.push('/** Record names with a top-level schema file, and their latest version. */');
  lines.push(
    `export const SCHEMA_VERSIONS = {\n${schemas.map((s) => `  '${s.schema.namespace}.${s.name}': ${s.version},`).join('\n')}\n} as const;`,
  );
  lines.push('');
  lines.push('/** The TypeScript type of each top-level record. */');
  lines.push(
    `export interface RecordTypes {\n${schemas.map((s) => `  '${s.schema.namespace}.${s.name}': ${s.name};`).join('\n')}\n}`,
  );
  lines.push('');
  return lines.join('\n');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const text = generate(latestSchemas());
  if (process.argv.includes('--check')) {
    const current = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
    if (current !== text) {
      console.error(`${outFile} is out of date: run \`npm run codegen\``);
      process.exit(1);
    }
    console.log('generated types are up to date');
  } else {
    writeFileSync(outFile, text);
    console.log(`wrote ${outFile}`);
  }
}
