import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  AvroCodec,
  SchemaDecodeError,
  SchemaRegistryClient,
  SchemaRegistryError,
  SchemaSet,
  valueSubject,
  type RoomEvent,
} from '../src/index.js';

const plain = SchemaSet.load();
const eventV1 = plain.latest('signal.RoomEvent');
const confluent = plain.withConfluentIds(new Map([[eventV1.fingerprint, 4242]]));

const event: RoomEvent = {
  room: 'room-a',
  seq: 7,
  at: 1_700_000_000_000,
  causation: { commandId: 'c-1', requestId: 'r1', sessionId: null },
  audience: { type: 'AudienceRoom', exclude: [] },
  body: { type: 'RoomClosed', reason: 'EMPTY_TIMEOUT' },
};

describe('Confluent wire format', () => {
  it('writes magic byte 0 and the big-endian registry id, then the plain Avro body', () => {
    const bytes = new AvroCodec(confluent, 'signal.RoomEvent').encode(event);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(4242);
    // An independent reader with only the schema decodes the body after the 5-byte header.
    const independent = avro.Type.forSchema(eventV1.schema, { wrapUnions: 'auto' });
    const decoded = independent.fromBuffer(bytes.subarray(5)) as { room: string; seq: number };
    expect(decoded.room).toBe('room-a');
    expect(decoded.seq).toBe(7);
  });

  it('decodes both framings with the same codec, told apart by the first byte', () => {
    const reader = new AvroCodec(confluent, 'signal.RoomEvent');
    const single = new AvroCodec(plain, 'signal.RoomEvent').encode(event);
    expect(single[0]).toBe(0xc3);
    expect(reader.decode(single)).toEqual(event);
    expect(reader.decode(reader.encode(event))).toEqual(event);
  });

  it('reports an id it does not know, and a record of another type, as decode errors', () => {
    const reader = new AvroCodec(confluent, 'signal.RoomEvent');
    const unknown = Buffer.from(reader.encode(event));
    unknown.writeUInt32BE(99, 1);
    expect(() => reader.decode(unknown)).toThrow(SchemaDecodeError);
    expect(() => reader.decode(unknown)).toThrow(/unknown Confluent schema id 99/);
    // A plain-set reader has no registry ids at all: the record is dead-lettered, not misread.
    expect(() => new AvroCodec(plain, 'signal.RoomEvent').decode(reader.encode(event))).toThrow(/schema id 4242/);
    const cmdV1 = plain.latest('signal.Command');
    const mixed = plain.withConfluentIds(new Map([[cmdV1.fingerprint, 5]]));
    const asCommand = Buffer.concat([Buffer.from([0, 0, 0, 0, 5]), Buffer.alloc(4)]);
    expect(() => new AvroCodec(mixed, 'signal.RoomEvent').decode(asCommand)).toThrow(/is a signal.Command/);
  });

  it('names value subjects by TopicNameStrategy and classifies registry errors by retriability', () => {
    expect(valueSubject('p.signal.room-events')).toBe('p.signal.room-events-value');
    expect(new SchemaRegistryError('unavailable', 'x').retriable).toBe(true);
    expect(new SchemaRegistryError('incompatible', 'x', 409).retriable).toBe(false);
  });
});

describe('SchemaRegistryClient policy (transport injected: retries, cache, error mapping)', () => {
  const reply = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('retries unavailability a bounded number of times, then caches the id', async () => {
    const calls: string[] = [];
    const answers = [reply(503, { error_code: 50302 }), reply(200, { id: 7 })];
    const client = new SchemaRegistryClient('http://registry.invalid:8081', {
      retryDelayMs: () => 0,
      fetch: (url, init) => {
        calls.push(`${init?.method} ${url instanceof URL ? url.href : JSON.stringify(url)}`);
        return Promise.resolve(answers.shift() ?? reply(500, {}));
      },
    });
    expect(await client.register('t-value', { type: 'string' })).toBe(7);
    expect(await client.register('t-value', { type: 'string' })).toBe(7);
    expect(calls).toEqual([
      'POST http://registry.invalid:8081/subjects/t-value/versions',
      'POST http://registry.invalid:8081/subjects/t-value/versions',
    ]);
  });

  it('gives up after its attempts, and never retries a refusal', async () => {
    let n = 0;
    const down = new SchemaRegistryClient('http://registry.invalid', {
      attempts: 3,
      retryDelayMs: () => 0,
      fetch: () => {
        n++;
        return Promise.reject(new Error('ECONNREFUSED'));
      },
    });
    await expect(down.schemaById(1)).rejects.toMatchObject({ code: 'unavailable', retriable: true });
    expect(n).toBe(3);
    n = 0;
    const strict = new SchemaRegistryClient('http://registry.invalid', {
      retryDelayMs: () => 0,
      fetch: () => {
        n++;
        return Promise.resolve(reply(409, { error_code: 409, message: 'incompatible' }));
      },
    });
    await expect(strict.register('t-value', { type: 'int' })).rejects.toMatchObject({
      code: 'incompatible',
      status: 409,
    });
    expect(n).toBe(1);
  });
});
