/**
 * fast-check generators of client frames, shared by the parser's property tests and the live edge
 * fuzzer: valid messages (the protocol's examples with random ids and rooms) and mutations of
 * them, each tagged with the parse outcome it must get (`any` when the mutation may or may not
 * stay valid).
 */
import fc from 'fast-check';
import {
  CLIENT_MESSAGE_EXAMPLES,
  ClientMessageSchemas,
  PROTOCOL_LIMITS,
  type ClientMessage,
  type ClientMessageType,
  type ParseErrorCode,
} from '@sig/schemas';

export const CLIENT_TYPES = Object.keys(CLIENT_MESSAGE_EXAMPLES) as ClientMessageType[];

/** Nesting depth of a JSON value: scalars 0, `[]` and `{}` 1. */
export function jsonDepth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
  return 1 + children.reduce<number>((max, child) => Math.max(max, jsonDepth(child)), 0);
}

const ID_CHARS = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.:é漢😀'.split(''));
const ROOM_CHARS = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~-'.split(''));
/** A valid request id (1–64 characters). */
export const requestId = fc.string({ unit: ID_CHARS, minLength: 1, maxLength: 64 });
/** A valid room id. */
export const roomId = fc.string({ unit: ROOM_CHARS, minLength: 1, maxLength: 128 });

/** A valid client message: an example of a random type, with a random id (or none) and room. */
export function validMessageOf(rooms: fc.Arbitrary<string>): fc.Arbitrary<ClientMessage> {
  return fc
    .record({ type: fc.constantFrom(...CLIENT_TYPES), id: fc.option(requestId, { nil: undefined }), room: rooms })
    .map(({ type, id, room }) => {
      const { id: _exampleId, ...example } = CLIENT_MESSAGE_EXAMPLES[type];
      const message: Record<string, unknown> = { ...example };
      if (type === 'join') message['room'] = room;
      if (id !== undefined) message['id'] = id;
      return message as ClientMessage;
    });
}

export const validMessage = validMessageOf(roomId);

/** A frame text, the code it must be refused with (or `accepted`/`any`), and its request id. */
export interface Mutated {
  readonly text: string;
  readonly expect: ParseErrorCode | 'accepted' | 'any';
  readonly id: string | undefined;
  readonly kind: string;
}

const fieldsOf = (m: ClientMessage): string[] => Object.keys(m).filter((k) => k !== 'type' && k !== 'id');
const requiredOf = (type: ClientMessageType): readonly string[] =>
  (ClientMessageSchemas[type] as { required?: readonly string[] }).required ?? [];
const withId = (id: string) => fc.constant(id);

/** Values no field of any client message accepts (arrays of arrays, closed objects with a stray key). */
const NEVER_VALID = ['[[]]', '{"$":1}'] as const;

function nest(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** Mutations of valid messages (joins to `rooms`), each with its expected outcome. */
export const mutatedMessageOf = (rooms: fc.Arbitrary<string>): fc.Arbitrary<Mutated> =>
  fc
    .record({
      message: validMessageOf(rooms),
      id: requestId,
      pick: fc.nat(),
      junk: fc.string({ maxLength: 12 }),
      depth: fc.integer({ min: PROTOCOL_LIMITS.nestingDepth + 1, max: 400 }),
      op: fc.constantFrom(
        'unknown_field',
        'proto_key',
        'constructor_key',
        'nested_proto',
        'drop_field',
        'wrong_type',
        'unknown_type',
        'type_not_string',
        'no_type',
        'bad_id',
        'huge_string',
        'too_many_items',
        'huge_array',
        'deep',
        'truncate',
        'flip',
        'not_object',
        'lone_surrogate',
        'valid',
      ),
    })
    .chain(({ message, pick, junk, depth, op }) =>
      fc.record({ idValue: message.id === undefined ? requestId : withId(message.id) }).map(({ idValue }) => {
        const m = { ...message, id: idValue };
        const json = JSON.stringify(m);
        const fields = fieldsOf(m);
        const field = fields.length === 0 ? undefined : fields[pick % fields.length];
        const splice = (key: string, raw: string): string => `{${JSON.stringify(key)}:${raw},${json.slice(1)}`;
        // `null`: the frame carries no readable id (an explicit undefined would pick the default).
        const mutate = (kind: string, text: string, expected: Mutated['expect'], id: string | null = m.id) => ({
          kind,
          text,
          expect: expected,
          id: id ?? undefined,
        });
        switch (op) {
          case 'unknown_field':
            return mutate(op, splice(`zz${junk}`, '1'), 'invalid_message');
          case 'proto_key':
            return mutate(op, splice('__proto__', '{"polluted":true}'), 'invalid_message');
          case 'constructor_key':
            return mutate(op, splice('constructor', '{"prototype":{"polluted":true}}'), 'invalid_message');
          case 'nested_proto': {
            // Inside the first object-valued field, or at the top when there is none.
            const objectField = fields.find((f) => typeof (m as Record<string, unknown>)[f] === 'object');
            if (objectField === undefined) return mutate(op, splice('__proto__', '{}'), 'invalid_message');
            const inner = JSON.stringify((m as Record<string, unknown>)[objectField]);
            const poisoned = Array.isArray((m as Record<string, unknown>)[objectField])
              ? '[{"__proto__":{"polluted":true}}]'
              : `{"__proto__":{"polluted":true},${inner.slice(1)}`;
            return mutate(
              op,
              json.replace(`"${objectField}":${inner}`, `"${objectField}":${poisoned}`),
              'invalid_message',
            );
          }
          case 'drop_field': {
            if (field === undefined) return mutate(op, json, 'accepted');
            const { [field]: _dropped, ...rest } = m as Record<string, unknown>;
            return mutate(op, JSON.stringify(rest), requiredOf(m.type).includes(field) ? 'invalid_message' : 'any');
          }
          case 'wrong_type': {
            if (field === undefined) return mutate(op, splice('ts', NEVER_VALID[pick % 2]!), 'invalid_message');
            const rest = { ...(m as Record<string, unknown>), [field]: '__MARK__' };
            return mutate(op, JSON.stringify(rest).replace('"__MARK__"', NEVER_VALID[pick % 2]!), 'invalid_message');
          }
          case 'unknown_type': {
            const type = CLIENT_TYPES.includes(junk as ClientMessageType) ? `${junk}_x` : junk;
            return mutate(op, JSON.stringify({ ...m, type }), 'unknown_type');
          }
          case 'type_not_string':
            return mutate(op, JSON.stringify({ ...m, type: pick % 2 === 0 ? 42 : ['join'] }), 'invalid_message');
          case 'no_type': {
            const { type: _type, ...rest } = m;
            return mutate(op, JSON.stringify(rest), 'invalid_message');
          }
          case 'bad_id':
            return mutate(
              op,
              JSON.stringify({ ...m, id: pick % 2 === 0 ? '' : 'i'.repeat(65 + (pick % 100)) }),
              'invalid_message',
              null,
            );
          case 'huge_string':
            return mutate(
              op,
              JSON.stringify({ type: 'data', id: m.id, payload: 'x'.repeat(PROTOCOL_LIMITS.frameBytes) }),
              'message_too_large',
            );
          case 'too_many_items':
            return mutate(
              op,
              JSON.stringify({ type: 'subscribe', id: m.id, trackIds: Array.from({ length: 257 }, (_, i) => `t${i}`) }),
              'invalid_message',
            );
          case 'huge_array':
            return mutate(
              op,
              JSON.stringify({ type: 'subscribe', id: m.id, trackIds: Array.from({ length: 20_000 }, () => 'abcd') }),
              'message_too_large',
            );
          case 'deep':
            // Refused before JSON.parse, so no id can be read (documented in docs/protocol.md).
            return mutate(op, splice('deep', nest(depth)), 'invalid_message', null);
          case 'truncate':
            // A proper prefix of a JSON object is never valid JSON.
            return mutate(op, json.slice(0, pick % json.length), 'invalid_message', null);
          case 'flip': {
            const at = pick % json.length;
            return mutate(op, json.slice(0, at) + (junk === '' ? '\u0000' : junk) + json.slice(at + 1), 'any', null);
          }
          case 'not_object': {
            const values = ['[]', '[{"type":"ping","ts":1}]', '42', '"ping"', 'null', 'true', '{}'];
            const text = values[pick % values.length]!;
            return mutate(op, text, 'invalid_message', null);
          }
          case 'lone_surrogate':
            return mutate(
              op,
              JSON.stringify({ type: 'data', id: m.id, payload: 'a' }).replace('"a"', '"\\ud800"'),
              'any',
            );
          case 'valid':
            return mutate(op, json, 'accepted');
        }
      }),
    );

export const mutatedMessage = mutatedMessageOf(roomId);
