import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  CLIENT_MESSAGE_EXAMPLES,
  CLIENT_MESSAGE_TYPES,
  ClientMessageSchemas,
  exceedsDepth,
  isServerMessage,
  parseClientMessage,
  PROTOCOL_LIMITS,
  SERVER_MESSAGE_EXAMPLES,
  SERVER_MESSAGE_TYPES,
  serializeServerMessage,
  type ClientMessage,
  type ClientMessageOf,
  type ClientMessageType,
  type ParseResult,
  type ServerMessage,
  type ServerMessageOf,
} from '../src/index.js';

const MAX = PROTOCOL_LIMITS.frameBytes;

type JsonObject = Record<string, unknown>;
const clone = (v: unknown): JsonObject => JSON.parse(JSON.stringify(v)) as JsonObject;
const parse = (value: unknown, maxBytes = MAX): ParseResult =>
  parseClientMessage(typeof value === 'string' ? value : JSON.stringify(value), maxBytes);

function expectRefused(result: ParseResult, code: string, message: RegExp | string, id?: string): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.code).toBe(code);
  if (typeof message === 'string') expect(result.message).toBe(message);
  else expect(result.message).toMatch(message);
  expect(result.id).toBe(id);
}

function requiredFields(type: ClientMessageType): string[] {
  const schema = ClientMessageSchemas[type] as unknown as { required?: string[] };
  return (schema.required ?? []).filter((f) => f !== 'type');
}

/** A value of the wrong JSON type for the example's field. */
const wrongTypeFor = (value: unknown): unknown => (typeof value === 'string' ? 42 : 'not-the-right-type');

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseClientMessage: every client message type', () => {
  it('has an example for every type, and the list of types is the protocol', () => {
    expect(Object.keys(CLIENT_MESSAGE_EXAMPLES)).toEqual([...CLIENT_MESSAGE_TYPES]);
    expect([...CLIENT_MESSAGE_TYPES].sort()).toEqual(
      [
        'join',
        'leave',
        'signal',
        'publish',
        'unpublish',
        'subscribe',
        'unsubscribe',
        'media_sdp',
        'media_candidate',
        'restart_ice',
        'data',
        'update_metadata',
        'kick',
        'mute_track',
        'update_permissions',
        'update_room_metadata',
        'ping',
        'pong',
        'refresh_token',
      ].sort(),
    );
  });

  describe.each(CLIENT_MESSAGE_TYPES.map((t) => [t]))('%s', (type) => {
    const example = CLIENT_MESSAGE_EXAMPLES[type];

    it('parses its example unchanged', () => {
      const result = parse(example);
      expect(result).toEqual({ ok: true, message: example });
    });

    it('refuses an unknown field, echoing the request id', () => {
      expectRefused(
        parse({ ...clone(example), id: 'req-1', bogus: true }),
        'invalid_message',
        '/bogus: unknown field',
        'req-1',
      );
    });

    it('refuses a missing required field, echoing the request id', () => {
      const required = requiredFields(type);
      for (const field of required) {
        const message: JsonObject = { ...clone(example), id: 'req-2' };
        delete message[field];
        expectRefused(parse(message), 'invalid_message', `/${field}: required field missing`, 'req-2');
      }
      // Messages with no field but `type` still need their type.
      const bare = { id: 'req-2' };
      expectRefused(parse(bare), 'invalid_message', '/type: required field missing', 'req-2');
    });

    it('refuses a field of the wrong type, echoing the request id', () => {
      const fields = requiredFields(type);
      const message: JsonObject = { ...clone(example), id: 'req-3' };
      if (fields.length === 0) {
        // Only `id` can be wrong: then there is no id to echo.
        expectRefused(parse({ ...message, id: 42 }), 'invalid_message', '/id: expected string');
        return;
      }
      const field = fields[0] as string;
      message[field] = wrongTypeFor(message[field]);
      expectRefused(parse(message), 'invalid_message', new RegExp(`^/${field}(/|:)`), 'req-3');
    });
  });
});

describe('parseClientMessage: precise errors', () => {
  it('names nested paths and the expectation', () => {
    const signal = clone(CLIENT_MESSAGE_EXAMPLES.signal);
    expectRefused(
      parse({ ...signal, candidate: { ...(signal['candidate'] as JsonObject), extra: 1 } }),
      'invalid_message',
      '/candidate/extra: unknown field',
      'r2',
    );
    expectRefused(
      parse({ ...signal, candidate: { ...(signal['candidate'] as JsonObject), sdpMLineIndex: 'zero' } }),
      'invalid_message',
      '/candidate/sdpMLineIndex: expected integer or null',
      'r2',
    );
    const publish = clone(CLIENT_MESSAGE_EXAMPLES.publish);
    (publish['tracks'] as JsonObject[])[1] = { trackId: 't', kind: 'hologram' };
    expectRefused(parse(publish), 'invalid_message', '/tracks/1/kind: expected one of "audio", "video"', 'r3');
    expectRefused(
      parse({ type: 'media_candidate', transport: 'publisher', candidate: 7 }),
      'invalid_message',
      '/candidate: expected object or null',
    );
    expectRefused(
      parse({ type: 'join', room: 'has space' }),
      'invalid_message',
      '/room: must match ^[A-Za-z0-9._~-]+$',
    );
    expectRefused(
      parse({ type: 'join', room: 'r', resume: { sessionId: 's', lastSeq: -1 } }),
      'invalid_message',
      '/resume/lastSeq: must be ≥ 0',
    );
    expectRefused(
      parse({ type: 'join', room: 'r', resume: { sessionId: 's', lastSeq: 1.5 } }),
      'invalid_message',
      '/resume/lastSeq: expected integer',
    );
    expectRefused(
      parse({ type: 'update_permissions', identity: 'bob', grants: {} }),
      'invalid_message',
      '/grants: needs at least one field',
    );
    expectRefused(
      parse({ type: 'join', room: 'x'.repeat(129) }),
      'invalid_message',
      '/room: longer than 128 characters',
    );
    expectRefused(
      parse({ type: 'unpublish', trackIds: Array.from({ length: 257 }, (_, i) => `t${i}`) }),
      'invalid_message',
      '/trackIds: more than 256 items',
    );
    expectRefused(parse({ type: 'kick', identity: '' }), 'invalid_message', '/identity: must not be empty');
  });

  it('enforces what each kind of signal carries', () => {
    expectRefused(
      parse({ type: 'signal', id: 'a', to: 'bob', kind: 'offer' }),
      'invalid_message',
      "/: kind 'offer' and 'answer' require sdp and no candidate",
      'a',
    );
    expectRefused(
      parse({ type: 'signal', to: 'bob', kind: 'candidate', sdp: 'v=0' }),
      'invalid_message',
      "/: kind 'candidate' requires candidate and no sdp",
    );
    expectRefused(
      parse({ type: 'signal', to: 'bob', kind: 'end_of_candidates', sdp: 'v=0' }),
      'invalid_message',
      "/: kind 'end_of_candidates' carries neither sdp nor candidate",
    );
    expect(parse({ type: 'signal', to: 'bob', kind: 'end_of_candidates' }).ok).toBe(true);
    expect(parse({ type: 'signal', to: 'bob', kind: 'answer', sdp: 'v=0' }).ok).toBe(true);
  });

  it('enforces which SDP each SFU connection carries from the client', () => {
    expectRefused(
      parse({ type: 'media_sdp', transport: 'publisher', sdpType: 'answer', sdp: 'v=0' }),
      'invalid_message',
      "/: transport 'publisher' carries the client's offer",
    );
    expectRefused(
      parse({ type: 'media_sdp', transport: 'subscriber', sdpType: 'offer', sdp: 'v=0' }),
      'invalid_message',
      "/: transport 'subscriber' carries the client's answer",
    );
    expect(parse({ type: 'media_sdp', transport: 'publisher', sdpType: 'offer', sdp: 'v=0' }).ok).toBe(true);
    expectRefused(
      parse({ type: 'media_candidate', candidate: null }),
      'invalid_message',
      '/transport: required field missing',
    );
  });

  it('accepts RTCIceCandidate.toJSON() output with null members, and a null media candidate', () => {
    const candidate = {
      candidate: 'candidate:1 1 udp 1 198.51.100.1 9 typ host',
      sdpMid: null,
      sdpMLineIndex: null,
      usernameFragment: null,
    };
    expect(parse({ type: 'signal', to: 'bob', kind: 'candidate', candidate }).ok).toBe(true);
    expect(parse({ type: 'media_candidate', transport: 'subscriber', candidate: null }).ok).toBe(true);
  });

  it('refuses an unknown type with unknown_type, echoing the id; a missing or non-string type is invalid', () => {
    expectRefused(
      parse({ type: 'teleport', id: 'x1' }),
      'unknown_type',
      '/type: unknown message type "teleport"',
      'x1',
    );
    expectRefused(parse({ type: '__proto__', id: 'x2' }), 'unknown_type', /unknown message type/, 'x2');
    expectRefused(parse({ type: 'toString' }), 'unknown_type', /unknown message type "toString"/);
    expectRefused(parse({ type: 7, id: 'x3' }), 'invalid_message', '/type: expected string, got number', 'x3');
    expectRefused(parse({ room: 'r' }), 'invalid_message', '/type: required field missing');
  });

  it('echoes only a valid request id', () => {
    expectRefused(parse({ type: 'nope', id: 'x'.repeat(64) }), 'unknown_type', /unknown/, 'x'.repeat(64));
    expectRefused(parse({ type: 'nope', id: 'x'.repeat(65) }), 'unknown_type', /unknown/);
    expectRefused(parse({ type: 'nope', id: '' }), 'unknown_type', /unknown/);
    expectRefused(parse({ type: 'nope', id: ['x'] }), 'unknown_type', /unknown/);
  });
});

describe('parseClientMessage: hostile input', () => {
  it('refuses an oversize frame before parsing it, counting UTF-8 bytes', () => {
    const spy = vi.spyOn(JSON, 'parse');
    const payload = 'x'.repeat(200);
    const text = JSON.stringify({ type: 'data', payload });
    expectRefused(
      parseClientMessage(text, text.length - 1),
      'message_too_large',
      `frame exceeds ${text.length - 1} bytes`,
    );
    // 100 × 'é' is 100 UTF-16 units but 200 UTF-8 bytes.
    const accented = JSON.stringify({ type: 'data', payload: 'é'.repeat(100) });
    expectRefused(parseClientMessage(accented, accented.length + 50), 'message_too_large', /exceeds/);
    expect(spy).not.toHaveBeenCalled();
    expect(parseClientMessage(text, text.length).ok).toBe(true);
    expect(parseClientMessage(accented, Buffer.byteLength(accented)).ok).toBe(true);
  });

  it('refuses invalid JSON', () => {
    expectRefused(parse('{"type":"leave"'), 'invalid_message', /^\/: not valid JSON/);
    expectRefused(parse(''), 'invalid_message', /^\/: not valid JSON/);
    expectRefused(parse('{"type":"leave"} trailing'), 'invalid_message', /^\/: not valid JSON/);
  });

  it('refuses JSON that is not an object', () => {
    expectRefused(parse('[{"type":"leave"}]'), 'invalid_message', '/: expected a JSON object, got array');
    expectRefused(parse('"leave"'), 'invalid_message', '/: expected a JSON object, got string');
    expectRefused(parse('42'), 'invalid_message', '/: expected a JSON object, got number');
    expectRefused(parse('null'), 'invalid_message', '/: expected a JSON object, got null');
  });

  it('never lets __proto__ or constructor keys reach a message or pollute prototypes', () => {
    const attempts = [
      '{"type":"leave","id":"p1","__proto__":{"polluted":true}}',
      '{"type":"join","id":"p1","room":"r","resume":{"sessionId":"s","lastSeq":1,"__proto__":{"polluted":true}}}',
      '{"type":"leave","id":"p1","constructor":{"prototype":{"polluted":true}}}',
      '{"type":"update_permissions","id":"p1","identity":"bob","grants":{"__proto__":{"canPublish":true,"polluted":true}}}',
    ];
    for (const text of attempts) {
      const result = parse(text);
      expectRefused(result, 'invalid_message', /\/(__proto__|constructor): unknown field$/, 'p1');
    }
    expect(({} as JsonObject)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('keeps every client object schema closed (what makes the check above hold)', () => {
    const open: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}/${i}`));
      if (typeof node !== 'object' || node === null) return;
      const schema = node as JsonObject;
      const isIfThen = /\/allOf\/\d+\/(if|then)/.test(path) || path.endsWith('/not');
      if (
        (schema['type'] === 'object' || schema['properties'] !== undefined) &&
        !isIfThen &&
        schema['additionalProperties'] !== false
      )
        open.push(path);
      for (const [k, v] of Object.entries(schema)) walk(v, `${path}/${k}`);
    };
    for (const type of CLIENT_MESSAGE_TYPES) walk(JSON.parse(JSON.stringify(ClientMessageSchemas[type])), type);
    expect(open).toEqual([]);
  });

  it('refuses deep nesting before parsing, wherever it is', () => {
    const spy = vi.spyOn(JSON, 'parse');
    const depth = PROTOCOL_LIMITS.nestingDepth;
    const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expectRefused(
      parse(`{"type":"data","payload":"x","topic":${nested(depth)}}`),
      'invalid_message',
      `/: nested deeper than ${depth} levels`,
    );
    const hostile = `{"type":"data","id":"d1","x":${nested(30_000)}}`;
    expectRefused(parseClientMessage(hostile, hostile.length), 'invalid_message', /nested deeper/);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    // The limit itself parses (and then fails validation normally).
    expectRefused(
      parse(`{"type":"data","payload":"x","topic":${nested(depth - 1)}}`),
      'invalid_message',
      '/topic: expected string',
    );
  });

  it('does not count brackets inside strings', () => {
    const payload = `[{"a":"\\"[[[[[[[[[[[[[[[[[[[[\\\\`;
    const result = parse({ type: 'data', payload, topic: '{{{{{{{{{{{{{{{{{{{{{{' });
    expect(result).toEqual({ ok: true, message: { type: 'data', payload, topic: '{{{{{{{{{{{{{{{{{{{{{{' } });
  });
});

describe('exceedsDepth', () => {
  it('counts objects and arrays, skipping strings with escaped quotes and backslashes', () => {
    expect(exceedsDepth('{"a":[1,{"b":[]}]}', 4)).toBe(false);
    expect(exceedsDepth('{"a":[1,{"b":[]}]}', 3)).toBe(true);
    expect(exceedsDepth('{"a":"[[[[[[\\"[[[[["}', 1)).toBe(false);
    expect(exceedsDepth('{"a":"\\\\","b":[[[]]]}', 3)).toBe(true);
    expect(exceedsDepth('{"a":"\\\\","b":[[[]]]}', 4)).toBe(false);
    expect(exceedsDepth('{"unterminated":"[[[[[[', 1)).toBe(false);
  });
});

describe('server messages', () => {
  it('has a valid example for every type', () => {
    expect(Object.keys(SERVER_MESSAGE_EXAMPLES)).toEqual([...SERVER_MESSAGE_TYPES]);
    for (const type of SERVER_MESSAGE_TYPES) {
      expect(isServerMessage(SERVER_MESSAGE_EXAMPLES[type]), type).toBe(true);
    }
  });

  it('validates the other notice kinds and refuses malformed messages', () => {
    expect(isServerMessage({ type: 'notice', kind: 'token_expiring', expiresAt: 1_767_229_200_000 })).toBe(true);
    expect(isServerMessage({ type: 'notice', kind: 'kicked', reason: 'spam' })).toBe(true);
    expect(isServerMessage({ type: 'notice', kind: 'kicked' })).toBe(false);
    const turn = { urls: ['turn:127.0.0.1:3478'], username: '1767229200:alice', credential: 'c2VjcmV0' };
    expect(
      isServerMessage({ type: 'notice', kind: 'ice_servers', iceServers: [turn], expiresAt: 1_767_229_200_000 }),
    ).toBe(true);
    expect(isServerMessage({ type: 'notice', kind: 'ice_servers', iceServers: [turn] })).toBe(false);
    expect(isServerMessage({ type: 'participant_left', seq: 3, sessionId: 's', identity: 'i', reason: 'bored' })).toBe(
      false,
    );
    expect(isServerMessage({ type: 'ack' })).toBe(false);
    expect(isServerMessage({ type: 'hello' })).toBe(false);
    expect(isServerMessage(null)).toBe(false);
  });

  it('tolerates unknown fields (clients ignore them)', () => {
    expect(isServerMessage({ ...SERVER_MESSAGE_EXAMPLES.ack, addedLater: 1 })).toBe(true);
  });

  it('serializes to one JSON text frame', () => {
    const message: ServerMessage = SERVER_MESSAGE_EXAMPLES.joined;
    expect(JSON.parse(serializeServerMessage(message))).toEqual(message);
  });
});

describe('types', () => {
  it('discriminates client and server messages by type', () => {
    expectTypeOf<ClientMessage['type']>().toEqualTypeOf<ClientMessageType>();
    expectTypeOf<ClientMessageOf<'signal'>['kind']>().toEqualTypeOf<
      'offer' | 'answer' | 'candidate' | 'end_of_candidates'
    >();
    expectTypeOf<ClientMessageOf<'join'>['resume']>().toEqualTypeOf<
      { sessionId: string; lastSeq: number } | undefined
    >();
    expectTypeOf<ServerMessageOf<'participant_left'>['reason']>().toEqualTypeOf<
      'client_left' | 'departure_timeout' | 'kicked' | 'replaced' | 'room_closed' | 'token_expired' | 'unknown'
    >();
    expectTypeOf<ServerMessageOf<'resume_failed'>['reason']>().toEqualTypeOf<
      'unknown_session' | 'identity_mismatch' | 'window_exceeded' | 'session_ended' | 'unknown'
    >();
    expectTypeOf<ServerMessageOf<'notice'>['kind']>().toEqualTypeOf<
      'reconnect_elsewhere' | 'token_expiring' | 'kicked' | 'ice_servers'
    >();
    // @ts-expect-error -- 'hologram' is not a track kind
    const bad: ClientMessageOf<'publish'>['tracks'][number]['kind'] = 'hologram';
    expect(bad).toBe('hologram');
  });
});
