/**
 * A minimal YAML writer for JSON data (the generated AsyncAPI document). Strings that could be
 * misread are written double-quoted with JSON escapes, which YAML accepts verbatim.
 */

const RESERVED = /^(?:true|false|null|yes|no|on|off|y|n|~)$/i;
const PLAIN_VALUE = /^[A-Za-z_/][A-Za-z0-9 _.,;()/+'`=-]*$/;
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_.$-]*$/;

function scalar(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`YAML: non-finite number ${value}`);
    return String(value);
  }
  if (typeof value === 'string') {
    return PLAIN_VALUE.test(value) && !RESERVED.test(value) && !value.endsWith(' ') ? value : JSON.stringify(value);
  }
  throw new Error(`YAML: unsupported value of type ${typeof value}`);
}

function key(k: string): string {
  return PLAIN_KEY.test(k) && !RESERVED.test(k) ? k : JSON.stringify(k);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function lines(value: unknown, indent: string, out: string[]): void {
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      if (isPlainObject(v) && Object.keys(v).length > 0) {
        out.push(`${indent}${key(k)}:`);
        lines(v, `${indent}  `, out);
      } else if (Array.isArray(v) && v.length > 0) {
        out.push(`${indent}${key(k)}:`);
        lines(v, `${indent}  `, out);
      } else {
        out.push(`${indent}${key(k)}: ${inline(v)}`);
      }
    }
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      if ((isPlainObject(item) && Object.keys(item).length > 0) || (Array.isArray(item) && item.length > 0)) {
        const nested: string[] = [];
        lines(item, `${indent}  `, nested);
        const [head = '', ...rest] = nested;
        out.push(`${indent}- ${head.slice(indent.length + 2)}`, ...rest);
      } else {
        out.push(`${indent}- ${inline(item)}`);
      }
    }
    return;
  }
  out.push(`${indent}${scalar(value)}`);
}

function inline(v: unknown): string {
  if (isPlainObject(v)) return '{}';
  if (Array.isArray(v)) return '[]';
  return scalar(v);
}

/** YAML text of a JSON value (objects, arrays, strings, finite numbers, booleans, null). */
export function toYaml(value: unknown): string {
  const out: string[] = [];
  lines(value, '', out);
  return `${out.join('\n')}\n`;
}
