/**
 * Property-based tests of the wire parser (`parseClientMessage`): whatever the text, it answers
 * with a client message or one of its three stable codes and never throws; what it accepts
 * round-trips; unknown fields, `__proto__`/`constructor` keys, wrong types, oversize and
 * over-deep frames are refused with the documented code, and the request id is echoed.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { exceedsDepth, parseClientMessage, PROTOCOL_LIMITS, type ParseResult } from '@sig/schemas';
import { jsonDepth, mutatedMessage, validMessage } from './generators.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_121);
const MAX = PROTOCOL_LIMITS.frameBytes;
const CODES = new Set(['invalid_message', 'unknown_type', 'message_too_large']);

function wellFormed(result: ParseResult): void {
  if (result.ok) return;
  expect(CODES.has(result.code), result.code).toBe(true);
  expect(typeof result.message).toBe('string');
  // Messages reach unauthenticated peers and logs: bounded whatever the input.
  expect(result.message.length).toBeLessThan(600);
}

describe('parseClientMessage properties (fast-check)', () => {
  test('any string: a message or a stable code, never a throw', () => {
    const anyText = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
      mutatedMessage.map((m) => m.text),
    );
    fc.assert(
      fc.property(anyText, (text) => wellFormed(parseClientMessage(text, MAX))),
      { numRuns: 1500, seed: SEED },
    );
  }, 30_000);

  test('valid messages are accepted and round-trip unchanged', () => {
    fc.assert(
      fc.property(validMessage, (message) => {
        const text = JSON.stringify(message);
        const first = parseClientMessage(text, MAX);
        expect(first, text).toMatchObject({ ok: true });
        if (!first.ok) return;
        expect(first.message).toEqual(message);
        expect(parseClientMessage(JSON.stringify(first.message), MAX)).toEqual(first);
      }),
      { numRuns: 500, seed: SEED },
    );
  }, 30_000);

  test('mutations of valid messages: refused with the expected code, request id echoed, no prototype pollution', () => {
    fc.assert(
      fc.property(mutatedMessage, ({ text, expect: expected, id }) => {
        const result = parseClientMessage(text, MAX);
        wellFormed(result);
        if (expected !== 'any') {
          expect(result.ok ? 'accepted' : result.code, text.slice(0, 300)).toBe(expected);
          if (!result.ok && id !== undefined && result.code !== 'message_too_large') expect(result.id).toBe(id);
        }
        if (result.ok) {
          // Anything accepted has only own keys of its schema: no prototype was reached.
          expect(Object.getPrototypeOf(result.message)).toBe(Object.prototype);
        }
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      }),
      { numRuns: 3000, seed: SEED },
    );
  }, 30_000);

  test('size: over the cap in UTF-8 bytes → message_too_large, at or under it → never', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 0, maxLength: 40 }), fc.nat({ max: 64 }), (s, pad) => {
        const cap = 1024;
        const text = `{"type":"data","payload":"${s.repeat(30)}${'x'.repeat(pad)}"}`;
        const result = parseClientMessage(text, cap);
        const tooLarge = Buffer.byteLength(text, 'utf8') > cap;
        expect(!result.ok && result.code === 'message_too_large').toBe(tooLarge);
      }),
      { numRuns: 1000, seed: SEED },
    );
  }, 30_000);

  test('exceedsDepth agrees with the real nesting depth of any JSON text', () => {
    fc.assert(
      fc.property(fc.json({ depthSize: 'large', maxDepth: 14 }), fc.integer({ min: 0, max: 12 }), (text, max) => {
        expect(exceedsDepth(text, max)).toBe(jsonDepth(JSON.parse(text) as unknown) > max);
      }),
      { numRuns: 2000, seed: SEED },
    );
  }, 30_000);
});
