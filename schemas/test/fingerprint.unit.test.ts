import type avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  crc64Avro,
  fingerprintToBytes,
  fingerprintToSigned,
  parsingCanonicalForm,
  schemaFingerprint,
} from '../src/index.js';

// Test vectors published by the Apache Avro project (share/test/data/schema-tests.txt):
// Parsing Canonical Form and its CRC-64-AVRO fingerprint as a signed 64-bit integer.
const SPEC_VECTORS: ReadonlyArray<readonly [string, bigint]> = [
  ['"null"', 7195948357588979594n],
  ['"boolean"', -6970731678124411036n],
  ['"int"', 8247732601305521295n],
  ['"long"', -3434872931120570953n],
  ['"float"', 5583340709985441680n],
  ['"double"', -8181574048448539266n],
  ['"bytes"', 5746618253357095269n],
  ['"string"', -8142146995180207161n],
  ['[]', -1241056759729112623n],
  ['["int"]', -5232228896498058493n],
  ['["int","boolean"]', 5392556393470105090n],
  ['{"name":"foo","type":"record","fields":[]}', -4824392279771201922n],
  ['{"name":"foo","type":"fixed","size":15}', 1756455273707447556n],
  ['{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}', 7843277075252814651n],
  [
    '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    -1759257747318642341n,
  ],
];

describe('CRC-64-AVRO', () => {
  it.each(SPEC_VECTORS)('fingerprints %s as in the Avro specification', (canonical, expected) => {
    expect(fingerprintToSigned(crc64Avro(canonical))).toBe(expected);
  });

  it('writes the fingerprint little-endian (null → 8a 8f 25 cc e7 24 dd 63)', () => {
    expect(fingerprintToBytes(crc64Avro('"null"')).toString('hex')).toBe('8a8f25cce724dd63');
  });

  it('fingerprints the canonical form, not the schema text', () => {
    const verbose: avro.Schema = {
      type: 'record',
      name: 'foo',
      doc: 'docs and defaults are not part of the canonical form',
      fields: [{ name: 'f1', type: { type: 'boolean' }, default: false, doc: 'x' }],
    };
    expect(parsingCanonicalForm(verbose)).toBe(
      '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}',
    );
    expect(fingerprintToSigned(schemaFingerprint(verbose))).toBe(7843277075252814651n);
  });

  it('uses full names in the canonical form', () => {
    expect(parsingCanonicalForm({ type: 'enum', name: 'E', namespace: 'a.b', symbols: ['X'] })).toBe(
      '{"name":"a.b.E","type":"enum","symbols":["X"]}',
    );
  });
});
