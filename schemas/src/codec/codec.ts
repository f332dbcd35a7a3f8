import type avro from 'avsc';
import type { RecordTypes } from '../generated/types.js';
import { SchemaDecodeError, SchemaEncodeError } from './errors.js';
import { fingerprintToBytes } from './fingerprint.js';
import type { SchemaSet, SchemaVersion } from './schema-set.js';
import { fromAvroConverter, toAvroConverter } from './union-tags.js';

/** Full names of the top-level records. */
export type RecordName = keyof RecordTypes;

/** Marker of Avro single-object encoding (spec: "Single-object encoding"). */
export const SINGLE_OBJECT_MARKER = Buffer.from([0xc3, 0x01]);
const HEADER_LENGTH = 10;
/** Confluent Schema Registry wire format: magic byte 0, then the 4-byte big-endian schema id. */
export const CONFLUENT_MAGIC = 0x00;
const CONFLUENT_HEADER_LENGTH = 5;

/** The Confluent framing header of a registry schema id. */
export function confluentHeader(id: number): Buffer {
  const header = Buffer.alloc(CONFLUENT_HEADER_LENGTH);
  header.writeUInt32BE(id, 1);
  return header;
}
type Resolver = ReturnType<avro.Type['createResolver']>;

/**
 * Encodes one record type and decodes it from any published version, resolving the writer
 * schema into the reader's version. Writes Avro single-object encoding, or the Confluent wire
 * format when the schema set carries registry ids (`SchemaSet.withConfluentIds`); reads both,
 * told apart by the first byte (C3 vs 00).
 */
export class AvroCodec<N extends RecordName> {
  private readonly reader: SchemaVersion;
  private readonly writer: SchemaVersion;
  private readonly header: Buffer;
  private readonly toAvro: (v: unknown) => unknown;
  private readonly fromAvro: (v: unknown) => unknown;
  private readonly resolvers = new Map<bigint, Resolver | 'self'>();

  constructor(
    private readonly set: SchemaSet,
    readonly name: N,
    options: { readerVersion?: number; writerVersion?: number } = {},
  ) {
    const pick = (v?: number) => (v === undefined ? set.latest(name) : set.versions(name).find((x) => x.version === v));
    const reader = pick(options.readerVersion);
    const writer = pick(options.writerVersion);
    if (!reader || !writer) throw new Error(`${name}: no such schema version`);
    this.reader = reader;
    this.writer = writer;
    const registryId = set.confluentId(writer.fingerprint);
    this.header =
      registryId === undefined
        ? Buffer.concat([SINGLE_OBJECT_MARKER, fingerprintToBytes(writer.fingerprint)])
        : confluentHeader(registryId);
    this.toAvro = toAvroConverter(writer.type);
    this.fromAvro = fromAvroConverter(reader.type);
  }

  /** The schema version this codec writes. */
  get writerSchema(): SchemaVersion {
    return this.writer;
  }

  /** The schema version this codec reads into. */
  get readerSchema(): SchemaVersion {
    return this.reader;
  }

  /** Single-object encoding (C3 01, 8-byte LE CRC-64-AVRO fingerprint) or Confluent framing, then the Avro body. */
  encode(value: RecordTypes[N]): Buffer {
    return Buffer.concat([this.header, this.encodeBody(value)]);
  }

  /** The Avro binary body alone, in the writer schema (for other framings, e.g. Confluent). */
  encodeBody(value: RecordTypes[N]): Buffer {
    const wrapped = this.toAvro(value);
    const paths: string[] = [];
    if (!this.writer.type.isValid(wrapped, { errorHook: (path) => paths.push(path.join('.')) })) {
      throw new SchemaEncodeError(this.name, paths);
    }
    return this.writer.type.toBuffer(wrapped);
  }

  /** Decodes a single-object or Confluent-framed record of any published version of this schema. */
  decode(bytes: Uint8Array): RecordTypes[N] {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf.length >= CONFLUENT_HEADER_LENGTH && buf[0] === CONFLUENT_MAGIC) return this.decodeConfluent(buf);
    if (buf.length < HEADER_LENGTH || buf[0] !== 0xc3 || buf[1] !== 0x01) {
      throw new SchemaDecodeError(
        'NOT_SINGLE_OBJECT',
        `neither Avro single-object encoded nor Confluent-framed (${buf.length} bytes)`,
      );
    }
    const fp = buf.readBigUInt64LE(2);
    const writer = this.set.byFingerprint(fp);
    const hex = fp.toString(16).padStart(16, '0');
    if (!writer) throw new SchemaDecodeError('UNKNOWN_FINGERPRINT', `unknown writer schema fingerprint ${hex}`, hex);
    if (writer.name !== this.name) {
      throw new SchemaDecodeError('INCOMPATIBLE', `record is a ${writer.name}, expected ${this.name}`, hex);
    }
    return this.decodeBody(buf.subarray(HEADER_LENGTH), writer);
  }

  private decodeConfluent(buf: Buffer): RecordTypes[N] {
    const id = buf.readUInt32BE(1);
    const writer = this.set.byConfluentId(id);
    // Ids are only known for versions this process registered (or looked up) at start.
    if (!writer) throw new SchemaDecodeError('UNKNOWN_FINGERPRINT', `unknown Confluent schema id ${id}`);
    if (writer.name !== this.name) {
      throw new SchemaDecodeError(
        'INCOMPATIBLE',
        `record is a ${writer.name}, expected ${this.name}`,
        writer.fingerprintHex,
      );
    }
    return this.decodeBody(buf.subarray(CONFLUENT_HEADER_LENGTH), writer);
  }

  /** Decodes an Avro binary body written with the given writer schema version. */
  decodeBody(body: Buffer, writer: SchemaVersion = this.writer): RecordTypes[N] {
    const resolver = this.resolverFor(writer);
    let value: unknown;
    try {
      value = resolver === 'self' ? this.reader.type.fromBuffer(body) : this.reader.type.fromBuffer(body, resolver);
    } catch (err) {
      throw new SchemaDecodeError(
        'CORRUPT',
        `corrupt ${this.name} body: ${(err as Error).message}`,
        writer.fingerprintHex,
      );
    }
    return this.fromAvro(value) as RecordTypes[N];
  }

  private resolverFor(writer: SchemaVersion): Resolver | 'self' {
    let r = this.resolvers.get(writer.fingerprint);
    if (!r) {
      try {
        r = writer.fingerprint === this.reader.fingerprint ? 'self' : this.reader.type.createResolver(writer.type);
      } catch (err) {
        throw new SchemaDecodeError(
          'INCOMPATIBLE',
          `${this.name} v${writer.version} cannot be read as v${this.reader.version}: ${(err as Error).message}`,
          writer.fingerprintHex,
        );
      }
      this.resolvers.set(writer.fingerprint, r);
    }
    return r;
  }
}
