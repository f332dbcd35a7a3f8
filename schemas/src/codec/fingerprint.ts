import avro from 'avsc';

// CRC-64-AVRO (Rabin) as specified in the Avro spec ("Schema Fingerprints"). avsc only offers
// MD5/SHA via `type.fingerprint()`, which is not what single-object encoding requires.
const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

const TABLE: readonly bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK);
    table.push(fp & MASK);
  }
  return table;
})();

/** CRC-64-AVRO of the bytes, as an unsigned 64-bit integer. */
export function crc64Avro(data: Uint8Array | string): bigint {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fp = EMPTY;
  for (const b of bytes) fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(b)) & 0xffn)]!;
  return fp;
}

/** The 8-byte little-endian form of a fingerprint, as written after the `C3 01` marker. */
export function fingerprintToBytes(fp: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(fp);
  return out;
}

/** The fingerprint as a signed 64-bit integer (how Java and the spec's test vectors print it). */
export function fingerprintToSigned(fp: bigint): bigint {
  return BigInt.asIntN(64, fp);
}

/** Avro Parsing Canonical Form of a schema (full names, no docs/defaults/attributes, no spaces). */
export function parsingCanonicalForm(schema: avro.Schema | avro.Type): string {
  const type = schema instanceof avro.Type ? schema : avro.Type.forSchema(schema);
  return JSON.stringify(type.schema());
}

/** CRC-64-AVRO fingerprint of a schema's Parsing Canonical Form. */
export function schemaFingerprint(schema: avro.Schema | avro.Type): bigint {
  return crc64Avro(parsingCanonicalForm(schema));
}
