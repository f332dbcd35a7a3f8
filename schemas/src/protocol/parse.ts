/**
 * The wire boundary: untrusted text in, a typed client message (or a precise refusal) out; typed
 * server messages out as text. The edge runs `parseClientMessage` on every frame, so it is built
 * to be cheap on valid input and bounded on hostile input.
 */
import { Compile } from 'typebox/compile';
import type { TLocalizedValidationError } from 'typebox/error';
import type { TSchema } from 'typebox';
import { ClientMessageSchemas, type ClientMessage, type ClientMessageType } from './client.js';
import { PROTOCOL_LIMITS, RequestId } from './common.js';
import { ServerMessageSchemas, type ServerMessage, type ServerMessageType } from './server.js';

/** Error codes `parseClientMessage` can answer with (a subset of `ErrorCode`). */
export type ParseErrorCode = 'invalid_message' | 'unknown_type' | 'message_too_large';

/** Outcome of parsing one client frame. */
export type ParseResult =
  | { readonly ok: true; readonly message: ClientMessage }
  | {
      readonly ok: false;
      readonly code: ParseErrorCode;
      /** Human-readable: the JSON path (a JSON Pointer, `/` = the message) and what was expected. */
      readonly message: string;
      /** The client's request id, when one could be read, so the error can echo it. */
      readonly id?: string;
    };

/** A compiled validator (TypeBox's, without a definitions context). */
type CompiledSchema = ReturnType<typeof Compile<TSchema>>;

const validators = new Map<string, CompiledSchema>();

function validatorFor(key: string, schema: TSchema): CompiledSchema {
  let validator = validators.get(key);
  if (validator === undefined) {
    validator = Compile(schema);
    validators.set(key, validator);
  }
  return validator;
}

const requestIdValidator = (): CompiledSchema => validatorFor('id', RequestId);

/**
 * Parses and validates one client text frame.
 *
 * Hostile-input bounds: the size is checked before anything else (UTF-8 bytes), the nesting depth
 * before `JSON.parse` (a linear scan that skips string contents), and only JSON objects are
 * accepted. Every client schema is closed (`additionalProperties: false` at every level), so a
 * message that passes validation has no key outside its schema — `__proto__` or `constructor`
 * included — and can be handled without copying.
 */
export function parseClientMessage(text: string, maxBytes: number): ParseResult {
  if (text.length > maxBytes || (text.length * 3 > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes)) {
    return { ok: false, code: 'message_too_large', message: `frame exceeds ${maxBytes} bytes` };
  }
  if (exceedsDepth(text, PROTOCOL_LIMITS.nestingDepth)) {
    return {
      ok: false,
      code: 'invalid_message',
      message: `/: nested deeper than ${PROTOCOL_LIMITS.nestingDepth} levels`,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      code: 'invalid_message',
      message: `/: not valid JSON (${truncate(String((error as Error).message), 160)})`,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'invalid_message', message: `/: expected a JSON object, got ${jsonType(value)}` };
  }
  const record = value as Record<string, unknown>;
  const rawId = Object.hasOwn(record, 'id') ? record['id'] : undefined;
  const id = typeof rawId === 'string' && requestIdValidator().Check(rawId) ? rawId : undefined;
  const refuse = (code: ParseErrorCode, message: string): ParseResult =>
    id === undefined ? { ok: false, code, message } : { ok: false, code, message, id };

  const type = Object.hasOwn(record, 'type') ? record['type'] : undefined;
  if (type === undefined) return refuse('invalid_message', '/type: required field missing');
  if (typeof type !== 'string') return refuse('invalid_message', `/type: expected string, got ${jsonType(type)}`);
  if (!Object.hasOwn(ClientMessageSchemas, type)) {
    return refuse('unknown_type', `/type: unknown message type ${JSON.stringify(truncate(type, 64))}`);
  }
  const schema = ClientMessageSchemas[type as ClientMessageType];
  const validator = validatorFor(`client:${type}`, schema);
  if (!validator.Check(value)) return refuse('invalid_message', describeErrors(schema, validator.Errors(value)));
  return { ok: true, message: value as ClientMessage };
}

/** Serializes a server message to its text frame. */
export function serializeServerMessage(message: ServerMessage): string {
  return JSON.stringify(message);
}

/** Whether a value is a valid server message (for clients, SDKs and tests; the edge trusts its own output). */
export function isServerMessage(value: unknown): value is ServerMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(ServerMessageSchemas, type)) return false;
  return validatorFor(`server:${type}`, ServerMessageSchemas[type as ServerMessageType]).Check(value);
}

/**
 * True when `text` opens more than `max` nested objects/arrays. Brackets inside strings do not
 * count; the scan jumps over string contents with `indexOf`. Input that is not valid JSON may be
 * misjudged, which is harmless: `JSON.parse` rejects it next.
 */
export function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Find the closing quote: one preceded by an even number of backslashes.
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j === -1) return false;
        let backslashes = 0;
        while (text.charCodeAt(j - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

/** One precise line from the validator's errors: the first real failure, with its path. */
function describeErrors(schema: TSchema, errors: readonly TLocalizedValidationError[]): string {
  // `anyOf` summarizes its branches and `boolean` duplicates `additionalProperties`: skip both.
  const relevant = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'boolean');
  const first = relevant[0] ?? errors[0];
  if (first === undefined) return '/: invalid message';
  const path = first.instancePath === '' ? '' : first.instancePath;
  switch (first.keyword) {
    case 'required': {
      const missing = (first.params as { requiredProperties?: readonly string[] }).requiredProperties ?? [];
      return `${path}/${missing.join(', ')}: required field missing`;
    }
    case 'additionalProperties': {
      const extra = (first.params as { additionalProperties?: readonly string[] }).additionalProperties ?? [];
      return `${path}/${pointerToken(extra[0] ?? '')}: unknown field`;
    }
    case 'type':
    case 'const': {
      // A nullable or union member fails once per branch: list every alternative at that path.
      const alternatives = relevant
        .filter((e) => e.instancePath === first.instancePath && (e.keyword === 'type' || e.keyword === 'const'))
        .map((e) => expectation(e));
      return `${path || '/'}: expected ${[...new Set(alternatives)].join(' or ')}`;
    }
    case 'enum': {
      const allowed = (first.params as { allowedValues?: readonly unknown[] }).allowedValues ?? [];
      return `${path || '/'}: expected one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    case 'if': {
      const rule = schemaAt(schema, first.schemaPath) as { description?: unknown } | undefined;
      return `${path || '/'}: ${typeof rule?.description === 'string' ? rule.description : first.message}`;
    }
    case 'maxLength':
      return `${path || '/'}: longer than ${limitOf(first)} characters`;
    case 'minLength':
      return `${path || '/'}: ${limitOf(first) === '1' ? 'must not be empty' : `shorter than ${limitOf(first)} characters`}`;
    case 'maxItems':
      return `${path || '/'}: more than ${limitOf(first)} items`;
    case 'minItems':
      return `${path || '/'}: fewer than ${limitOf(first)} items`;
    case 'minProperties':
      return `${path || '/'}: needs at least one field`;
    case 'pattern':
      return `${path || '/'}: must match ${(first.params as { pattern?: string }).pattern ?? 'the pattern'}`;
    case 'minimum':
      return `${path || '/'}: must be ≥ ${limitOf(first)}`;
    case 'maximum':
      return `${path || '/'}: must be ≤ ${limitOf(first)}`;
    default:
      return `${path || '/'}: ${first.message}`;
  }
}

function expectation(error: TLocalizedValidationError): string {
  if (error.keyword === 'const') return JSON.stringify((error.params as { allowedValue?: unknown }).allowedValue);
  const type = (error.params as { type?: unknown }).type;
  return Array.isArray(type) ? type.join(' or ') : String(type);
}

function limitOf(error: TLocalizedValidationError): string {
  return String((error.params as { limit?: unknown }).limit);
}

/** Resolves a `#/a/b` schema path inside a schema. */
function schemaAt(schema: unknown, schemaPath: string): unknown {
  let node = schema;
  for (const token of schemaPath.replace(/^#\/?/, '').split('/')) {
    if (token === '') continue;
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function pointerToken(name: string): string {
  return truncate(name, 64).replace(/~/g, '~0').replace(/\//g, '~1');
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}
