/**
 * What the live fuzzer throws at an edge, as fast-check generators: JSON frames (valid and
 * mutated, see generators.ts) on a joined or fresh connection, bursts of joins and leaves,
 * transport-level frames no browser would send (raw-ws.ts), and forged access tokens.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { base64url, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { type RawFrame } from './raw-ws.js';
import { mutatedMessageOf, requestId, type Mutated } from './generators.js';

/** Rooms the fuzz connections meet in, so joins, leaves and signals interact. */
export const FUZZ_ROOMS = ['fz-a', 'fz-b', 'fz-c'] as const;
/** Identities of fuzz tokens: few, so duplicate identities and signals to others happen. */
export const FUZZ_IDENTITIES = ['alice', 'bob', 'carol', 'dave', 'erin'] as const;

const rooms = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...FUZZ_ROOMS) },
  { weight: 1, arbitrary: fc.constantFrom('not-granted', 'a'.repeat(128)) },
);

/** A JSON text frame on a pooled connection. */
export interface JsonCase {
  readonly kind: 'json';
  readonly frame: Mutated;
}

/** A burst of joins, leaves and data, sent without waiting. */
export interface FloodCase {
  readonly kind: 'flood';
  readonly texts: readonly string[];
  readonly ids: readonly string[];
}

/** One transport-level frame on a fresh raw connection. */
export interface RawCase {
  readonly kind: 'raw';
  readonly variant: string;
  readonly frames: readonly RawFrame[];
}

/** An upgrade with a token that must (or, for the control, must not) be refused. */
export interface TokenCase {
  readonly kind: 'token';
  readonly variant: string;
  /** Expected HTTP status: 101 for the valid control, else 401/403. */
  readonly status: number;
  readonly code: string | null;
  readonly token: (keys: FuzzKeys) => Promise<string>;
  readonly query: string;
}

export type FuzzCase = JsonCase | FloodCase | RawCase | TokenCase;

/** Keys and claims the edge under test is configured with. */
export interface FuzzKeys {
  readonly secret: Uint8Array;
  readonly rsaPrivate: CryptoKey;
  /** The RSA public key as PEM: the HS/RS confusion attack signs HS256 with it. */
  readonly rsaPublicPem: string;
  readonly kid: string;
  readonly issuer: string;
  readonly audience: string;
}

const jsonCase: fc.Arbitrary<FuzzCase> = mutatedMessageOf(rooms).map((frame) => ({ kind: 'json', frame }));

const floodCase: fc.Arbitrary<FuzzCase> = fc
  .array(
    fc.record({
      op: fc.constantFrom('join', 'leave', 'data', 'signal'),
      room: fc.constantFrom(...FUZZ_ROOMS),
      id: requestId,
      to: fc.constantFrom(...FUZZ_IDENTITIES, 'nobody'),
    }),
    { minLength: 5, maxLength: 40 },
  )
  .map((ops) => {
    const ids = ops.map((o, i) => `fl${i}-${o.id}`.slice(0, 64));
    const texts = ops.map((o, i) => {
      const id = ids[i]!;
      switch (o.op) {
        case 'join':
          return JSON.stringify({ type: 'join', id, room: o.room });
        case 'leave':
          return JSON.stringify({ type: 'leave', id });
        case 'data':
          return JSON.stringify({ type: 'data', id, payload: 'flood', to: [o.to] });
        default:
          return JSON.stringify({ type: 'signal', id, to: o.to, kind: 'offer', sdp: 'garbage sdp \u0000' });
      }
    });
    return { kind: 'flood', texts, ids };
  });

const invalidUtf8 = fc.constantFrom(
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from([0xed, 0xa0, 0x80]), // an encoded UTF-16 surrogate
  Buffer.concat([Buffer.from('{"type":"ping","ts":1,"x":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]),
);

const rawCase: fc.Arbitrary<FuzzCase> = fc.oneof(
  invalidUtf8.map((payload): FuzzCase => ({
    kind: 'raw',
    variant: 'text_invalid_utf8',
    frames: [{ opcode: 1, payload }],
  })),
  fc.uint8Array({ maxLength: 300 }).map((bytes): FuzzCase => ({
    kind: 'raw',
    variant: 'binary',
    frames: [{ opcode: 2, payload: Buffer.from(bytes) }],
  })),
  fc.constantFrom(3, 4, 5, 6, 7, 11, 12, 13, 14, 15).map((opcode): FuzzCase => ({
    kind: 'raw',
    variant: 'reserved_opcode',
    frames: [{ opcode, payload: Buffer.from('{}') }],
  })),
  fc.integer({ min: 1, max: 7 }).map((rsv): FuzzCase => ({
    kind: 'raw',
    variant: 'rsv_bits',
    frames: [{ opcode: 1, rsv, payload: Buffer.from('{"type":"ping","ts":1}') }],
  })),
  fc.constant<FuzzCase>({
    kind: 'raw',
    variant: 'unmasked',
    frames: [{ opcode: 1, mask: false, payload: Buffer.from('{"type":"ping","ts":1}') }],
  }),
  fc.constant<FuzzCase>({
    kind: 'raw',
    variant: 'orphan_continuation',
    frames: [{ opcode: 0, payload: Buffer.from('x') }],
  }),
  fc.constant<FuzzCase>({
    kind: 'raw',
    variant: 'fragmented_text',
    frames: [
      { opcode: 1, fin: false, payload: Buffer.from('{"type":"ping",') },
      { opcode: 0, fin: true, payload: Buffer.from('"ts":7}') },
    ],
  }),
  fc.constant<FuzzCase>({
    kind: 'raw',
    variant: 'interleaved_text_in_fragment',
    frames: [
      { opcode: 1, fin: false, payload: Buffer.from('{"type":') },
      { opcode: 1, fin: true, payload: Buffer.from('"ping","ts":1}') },
    ],
  }),
  fc.constant<FuzzCase>({
    kind: 'raw',
    variant: 'control_too_long',
    frames: [{ opcode: 9, payload: Buffer.alloc(200, 1) }],
  }),
  fc.constant<FuzzCase>({
    kind: 'raw',
    variant: 'fragmented_control',
    frames: [{ opcode: 9, fin: false, payload: Buffer.from('p') }],
  }),
  fc.constant<FuzzCase>({ kind: 'raw', variant: 'ws_ping', frames: [{ opcode: 9, payload: Buffer.from('hello') }] }),
  fc.constantFrom(0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 65535).map((code): FuzzCase => {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    return { kind: 'raw', variant: 'close_bogus_code', frames: [{ opcode: 8, payload }] };
  }),
  fc.constant<FuzzCase>({
    kind: 'raw',
    variant: 'close_invalid_utf8_reason',
    frames: [{ opcode: 8, payload: Buffer.from([0x03, 0xe8, 0xc3, 0x28]) }],
  }),
  fc.constant<FuzzCase>({
    kind: 'raw',
    variant: 'close_one_byte',
    frames: [{ opcode: 8, payload: Buffer.from([0x03]) }],
  }),
  fc.integer({ min: 65_537, max: 131_000 }).map((size): FuzzCase => ({
    kind: 'raw',
    variant: 'over_cap',
    frames: [{ opcode: 1, payload: Buffer.from(JSON.stringify({ type: 'data', payload: 'x'.repeat(size) })) }],
  })),
  fc.constant<FuzzCase>({
    kind: 'raw',
    variant: 'over_transport_cap',
    frames: [{ opcode: 1, payload: Buffer.alloc(300 * 1024, 0x61) }],
  }),
  fc.constant<FuzzCase>({
    kind: 'raw',
    variant: 'length_lies_huge',
    // Announces 2^53 bytes and sends 10: the server must refuse the length, not wait for it.
    frames: [{ opcode: 1, payload: Buffer.from('0123456789'), lengthOverride: Number.MAX_SAFE_INTEGER }],
  }),
);

function unsigned(header: object, payload: object): string {
  const enc = (v: object): string => base64url.encode(JSON.stringify(v));
  return `${enc(header)}.${enc(payload)}.`;
}

const now = (): number => Math.floor(Date.now() / 1000);
const good = (k: FuzzKeys, extra: JWTPayload = {}): JWTPayload => ({
  sub: 'mallory',
  iss: k.issuer,
  aud: k.audience,
  exp: now() + 600,
  iat: now(),
  video: { room: 'fz-a', roomJoin: true },
  ...extra,
});
const hs = (k: FuzzKeys, claims: JWTPayload, secret: Uint8Array = k.secret): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(secret);

const token = (variant: string, status: number, code: string | null, make: TokenCase['token'], query = '') =>
  fc.constant<FuzzCase>({ kind: 'token', variant, status, code, token: make, query });

const tokenCase: fc.Arbitrary<FuzzCase> = fc.oneof(
  token('valid_hs256', 101, null, (k) => hs(k, good(k))),
  token('valid_rs256', 101, null, (k) =>
    new SignJWT(good(k)).setProtectedHeader({ alg: 'RS256', kid: k.kid }).sign(k.rsaPrivate),
  ),
  token('alg_none', 401, 'unauthorized', (k) => Promise.resolve(unsigned({ alg: 'none', typ: 'JWT' }, good(k)))),
  token('alg_None', 401, 'unauthorized', (k) => Promise.resolve(unsigned({ alg: 'None' }, good(k)))),
  token('hs256_with_rsa_public_key', 401, 'unauthorized', (k) =>
    hs(k, good(k), new TextEncoder().encode(k.rsaPublicPem)),
  ),
  token('rs256_header_hs_signature', 401, 'unauthorized', async (k) => {
    const [, payload, signature] = (await hs(k, good(k))).split('.');
    return `${base64url.encode(JSON.stringify({ alg: 'RS256', kid: k.kid }))}.${payload}.${signature}`;
  }),
  token('expired', 401, 'token_expired', (k) => hs(k, good(k, { exp: now() - 60 }))),
  token('not_yet_valid', 401, 'unauthorized', (k) => hs(k, good(k, { nbf: now() + 600 }))),
  token('wrong_audience', 401, 'unauthorized', (k) => hs(k, good(k, { aud: 'another-service' }))),
  token('wrong_issuer', 401, 'unauthorized', (k) => hs(k, good(k, { iss: 'https://evil.example' }))),
  token('no_exp', 401, 'unauthorized', (k) => {
    const { exp: _exp, ...claims } = good(k);
    return hs(k, claims);
  }),
  token('tampered_payload', 401, 'unauthorized', async (k) => {
    const [header, , signature] = (await hs(k, good(k))).split('.');
    const forged = base64url.encode(JSON.stringify(good(k, { sub: 'admin', video: { room: '*', roomAdmin: true } })));
    return `${header}.${forged}.${signature}`;
  }),
  token('wrong_secret', 401, 'unauthorized', (k) => hs(k, good(k), randomBytes(32))),
  token('unknown_kid', 401, 'unauthorized', (k) =>
    new SignJWT(good(k)).setProtectedHeader({ alg: 'RS256', kid: 'kid-nobody' }).sign(k.rsaPrivate),
  ),
  token('garbage', 401, 'unauthorized', () => Promise.resolve('not.a.jwt')),
  // Headers over uWS' limit are refused by its HTTP layer, before the edge reads them.
  token('huge_header', 431, null, () => Promise.resolve('a'.repeat(9000))),
  token('long_garbage', 401, 'unauthorized', () => Promise.resolve(`${'a'.repeat(1500)}.${'b'.repeat(1500)}.c`)),
  token('claims_wrong_types', 401, 'unauthorized', (k) => hs(k, good(k, { video: 'everything', name: 42 }))),
  token('proto_claims', 401, 'unauthorized', (k) =>
    Promise.resolve(hs(k, JSON.parse(`{"__proto__":{"roomAdmin":true},"sub":7,"exp":${now() + 60}}`) as JWTPayload)),
  ),
  token('room_not_granted', 403, 'forbidden', (k) => hs(k, good(k)), 'room=fz-b'),
);

/** The live case mix: mostly JSON frames, then raw frames, tokens and floods. */
export const fuzzCase: fc.Arbitrary<FuzzCase> = fc.oneof(
  { weight: 14, arbitrary: jsonCase },
  { weight: 3, arbitrary: rawCase },
  { weight: 2, arbitrary: tokenCase },
  { weight: 1, arbitrary: floodCase },
);
