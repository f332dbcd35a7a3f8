import type { Producer, ProducerRecord } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '@sig/runtime';
import { AvroCodec, SchemaSet, type CommandBody } from '@sig/schemas';
import { Outbox } from '../src/adapters/outbox.js';

const codec = new AvroCodec(SchemaSet.load(), 'signal.Command');
const logger = createLogger({ service: 'sfu', instance: 'test', level: 'silent' });
const candidate = (n: number): CommandBody => ({
  type: 'SfuCandidate',
  sessionId: 'PA_1',
  transport: 'PUBLISHER',
  candidate: {
    candidate: `candidate:${n} 1 udp 1 127.0.0.1 ${40000 + n} typ host`,
    sdpMid: '0',
    sdpMLineIndex: 0,
    usernameFragment: null,
  },
});

/** A producer whose sends resolve when the test says so. */
function fakeProducer(behaviour: (record: ProducerRecord, call: number) => Promise<void>) {
  const records: ProducerRecord[] = [];
  const send = vi.fn(async (record: ProducerRecord) => {
    records.push(record);
    await behaviour(record, records.length);
    return [];
  });
  return { producer: { send } as unknown as Producer, records };
}

const decoded = (records: readonly ProducerRecord[]) =>
  records
    .flatMap((r) => r.messages.map((m) => codec.decode(m.value as Buffer)))
    .map((c) => (c.body.type === 'SfuCandidate' ? c.body.candidate!.candidate.split(' ')[0] : c.body.type));

describe('Outbox: ordered, batched reports of the worker', () => {
  it('writes Command records with SfuSource, keyed by room, in report order; reports made during a send go out together next', async () => {
    let release: () => void = () => undefined;
    const firstSendDone = new Promise<void>((r) => (release = r));
    const { producer, records } = fakeProducer((_r, call) => (call === 1 ? firstSendDone : Promise.resolve()));
    const outbox = new Outbox({ producer, codec, topic: 'signal.commands', workerId: 'sfu-1', logger });
    outbox.report('room-1', {
      type: 'SfuSdp',
      sessionId: 'PA_1',
      transport: 'PUBLISHER',
      sdpType: 'ANSWER',
      sdp: 'v=0',
    });
    outbox.report('room-1', candidate(1));
    outbox.report('room-2', candidate(2));
    release();
    await outbox.flush();
    expect(records).toHaveLength(2);
    expect(records[0]!.messages).toHaveLength(1);
    expect(records[1]!.messages.map((m) => m.key)).toEqual(['room-1', 'room-2']);
    expect(decoded(records)).toEqual(['SfuSdp', 'candidate:1', 'candidate:2']);
    const first = codec.decode(records[0]!.messages[0]!.value as Buffer);
    expect(first.source).toEqual({ type: 'SfuSource', workerId: 'sfu-1' });
    expect(first.room).toBe('room-1');
  });

  it('retries a batch the broker refuses with a retriable error before anything reported after it', async () => {
    const transient = Object.assign(new Error('leader moved'), { name: 'KafkaJSConnectionError', retriable: true });
    const { producer, records } = fakeProducer((_r, call) =>
      call === 1 ? Promise.reject(transient) : Promise.resolve(),
    );
    const lost = vi.fn();
    const outbox = new Outbox({ producer, codec, topic: 't', workerId: 'w', logger, onLost: lost });
    outbox.report('r', candidate(1));
    await Promise.resolve();
    outbox.report('r', candidate(2));
    await outbox.flush();
    expect(lost).not.toHaveBeenCalled();
    // The failed batch again, then the later report.
    expect(decoded(records)).toEqual(['candidate:1', 'candidate:1', 'candidate:2']);
  });

  it('gives up a batch on a non-retriable error, says so, and goes on with the next', async () => {
    const fatal = new Error('not a kafka error');
    const { producer, records } = fakeProducer((_r, call) => (call === 1 ? Promise.reject(fatal) : Promise.resolve()));
    const lost = vi.fn();
    const outbox = new Outbox({ producer, codec, topic: 't', workerId: 'w', logger, onLost: lost });
    outbox.report('r', candidate(1));
    await Promise.resolve();
    outbox.report('r', candidate(2));
    await outbox.flush();
    expect(lost).toHaveBeenCalledWith('SfuCandidate', fatal);
    expect(decoded(records)).toEqual(['candidate:1', 'candidate:2']);
  });

  it('refuses reports once closed, and when full', async () => {
    const { producer } = fakeProducer(() => new Promise(() => undefined));
    const lost = vi.fn();
    const outbox = new Outbox({ producer, codec, topic: 't', workerId: 'w', logger, onLost: lost, maxPending: 1 });
    outbox.report('r', candidate(1)); // in flight forever
    outbox.report('r', candidate(2)); // queued
    outbox.report('r', candidate(3)); // over the limit
    expect(lost).toHaveBeenCalledTimes(1);
    outbox.close();
    outbox.report('r', candidate(4));
    expect(lost).toHaveBeenCalledTimes(2);
    expect(outbox.pending).toBe(1);
  });
});
