import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  AvroCodec,
  type SchemaDecodeError,
  SchemaEncodeError,
  SchemaSet,
  decodeOrDeadLetter,
  fingerprintToBytes,
  type Command,
  type RecordName,
  type RoomEvent,
} from '../src/index.js';
import { fromAvroConverter } from '../src/codec/union-tags.js';

const set = SchemaSet.load();

const join: Command = {
  commandId: 'c-1',
  room: 'room-a',
  receivedAt: 1_700_000_000_000,
  source: {
    type: 'ClientSource',
    edgeId: 'edge-1',
    replySlot: 5,
    connectionId: 'conn-1',
    identity: 'alice',
    name: 'Alice',
    grants: {
      roomJoin: true,
      roomAdmin: false,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
      hidden: false,
    },
    requestId: 'r1',
    tokenExpiresAt: 1_700_000_600_000,
  },
  body: { type: 'Join', metadata: '{"role":"host"}', resume: { sessionId: 's-1', lastSeq: 41 } },
};

describe('AvroCodec', () => {
  it('writes Avro single-object encoding: C3 01, LE fingerprint, body', () => {
    const codec = new AvroCodec(set, 'signal.Command');
    const bytes = codec.encode(join);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xc3, 0x01]));
    expect(bytes.subarray(2, 10)).toEqual(fingerprintToBytes(codec.writerSchema.fingerprint));
    // Any Avro library holding the schema file decodes the body: check with plain avsc.
    const plain = avro.Type.forSchema(codec.writerSchema.schema, { wrapUnions: 'auto' });
    expect(plain.fromBuffer(bytes.subarray(10))).toMatchObject({
      room: 'room-a',
      body: { 'signal.Join': { metadata: '{"role":"host"}' } },
    });
  });

  it('round-trips tagged unions', () => {
    const codec = new AvroCodec(set, 'signal.Command');
    expect(codec.decode(codec.encode(join))).toEqual(join);
  });

  it.each(set.names() as RecordName[])(
    'round-trips random valid %s records (every union branch over many draws)',
    (name) => {
      const codec = new AvroCodec(set, name);
      const type = codec.writerSchema.type;
      const toTagged = fromAvroConverter(type);
      for (let i = 0; i < 300; i++) {
        const value = toTagged(type.random()) as never;
        expect(codec.decode(codec.encode(value))).toEqual(value);
      }
    },
  );

  it('rejects a value that does not match the schema with the invalid path', () => {
    const codec = new AvroCodec(set, 'signal.Command');
    const bad = { ...join, room: 42 } as unknown as Command;
    expect(() => codec.encode(bad)).toThrow(SchemaEncodeError);
    expect(() => codec.encode(bad)).toThrow(/room/);
    const badTag = { ...join, body: { type: 'Nope' } } as unknown as Command;
    expect(() => codec.encode(badTag)).toThrow(/body/);
  });

  it('classifies unreadable bytes', () => {
    const codec = new AvroCodec(set, 'signal.RoomEvent');
    const reason = (b: Buffer) => {
      try {
        codec.decode(b);
        return 'decoded';
      } catch (err) {
        return (err as SchemaDecodeError).reason;
      }
    };
    expect(reason(Buffer.from('{"json":true}'))).toBe('NOT_SINGLE_OBJECT');
    expect(reason(Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 7), Buffer.from([1, 2])]))).toBe(
      'UNKNOWN_FINGERPRINT',
    );
    const command = new AvroCodec(set, 'signal.Command').encode(join);
    expect(reason(command)).toBe('INCOMPATIBLE');
    const event: RoomEvent = {
      room: 'r',
      seq: 1,
      at: 1,
      causation: null,
      audience: { type: 'AudienceNone' },
      body: { type: 'RoomClosed', reason: 'EMPTY_TIMEOUT' },
    };
    const truncated = codec.encode(event).subarray(0, 12);
    expect(reason(truncated)).toBe('CORRUPT');
  });

  it('turns an unreadable record into a dead letter carrying the original bytes', () => {
    const codec = new AvroCodec(set, 'signal.RoomEvent');
    const value = Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 9), Buffer.from('x')]);
    const out = decodeOrDeadLetter(
      codec,
      { topic: 't', partition: 2, offset: '17', key: Buffer.from('k'), value },
      'test',
      5,
    );
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.deadLetter).toMatchObject({
      topic: 't',
      partition: 2,
      offset: 17,
      reason: 'UNKNOWN_FINGERPRINT',
      consumer: 'test',
      at: 5,
    });
    expect(out.deadLetter.value.equals(value)).toBe(true);
    // The dead letter itself is a valid record of its own schema.
    const dl = new AvroCodec(set, 'signal.DeadLetter');
    expect(dl.decode(dl.encode(out.deadLetter)).reason).toBe('UNKNOWN_FINGERPRINT');
  });
});
