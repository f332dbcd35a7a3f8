import { createRequire } from 'node:module';
import type * as KafkaJs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { SignalError } from '../src/errors.js';
import {
  HEADER,
  headerValue,
  isFencedError,
  kafkaLogLevel,
  mapKafkaError,
  pinoLogCreator,
  recordHeaders,
} from '../src/kafka.js';
import { createLogger } from '../src/logger.js';

// The real kafkajs error classes, loaded the way kafka.ts loads them.
const kafkajs = createRequire(import.meta.url)('kafkajs') as typeof KafkaJs;

function protocolError(type: string, retriable: boolean): Error {
  return new kafkajs.KafkaJSProtocolError(Object.assign(new Error(type), { type, retriable, code: 0 }));
}

describe('mapKafkaError', () => {
  it('maps a broker outage to a retriable kafka_unavailable', () => {
    const outage = new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:19092');
    const mapped = mapKafkaError(outage);
    expect(mapped).toBeInstanceOf(SignalError);
    expect(mapped.code).toBe('kafka_unavailable');
    expect(mapped.retriable).toBe(true);
    expect(mapped.cause).toBe(outage);
    // Broker addresses stay in the cause, off the wire.
    expect(JSON.stringify(mapped.toWire())).not.toContain('19092');
  });

  it('treats exhausted retries of a transient error as retriable', () => {
    const exhausted = new kafkajs.KafkaJSNumberOfRetriesExceeded(
      new kafkajs.KafkaJSRequestTimeoutError('Request timed out'),
      {
        retryCount: 6,
        retryTime: 2000,
      },
    );
    expect(exhausted.retriable).toBe(false);
    expect(mapKafkaError(exhausted).retriable).toBe(true);
  });

  it('never retries a fenced producer', () => {
    const fenced = protocolError('INVALID_PRODUCER_EPOCH', false);
    const mapped = mapKafkaError(fenced);
    expect(mapped.code).toBe('kafka_unavailable');
    expect(mapped.retriable).toBe(false);
    expect(isFencedError(fenced)).toBe(true);
    expect(isFencedError(mapped)).toBe(true);
    expect(isFencedError(new kafkajs.KafkaJSConnectionError('x'))).toBe(false);
  });

  it('maps oversize records to message_too_large', () => {
    expect(mapKafkaError(protocolError('MESSAGE_TOO_LARGE', false)).code).toBe('message_too_large');
  });

  it('keeps SignalErrors and maps foreign errors to internal', () => {
    const own = SignalError.timeout('produce', 1);
    expect(mapKafkaError(own)).toBe(own);
    expect(mapKafkaError(new TypeError('bug')).code).toBe('internal');
  });
});

describe('record headers', () => {
  it('sets content type and message id, and reads Buffer values back', () => {
    const headers = recordHeaders({ messageId: 'm-1', extra: { origin: 'edge-1' }, trace: false });
    expect(headers).toEqual({ origin: 'edge-1', [HEADER.contentType]: 'avro/binary', [HEADER.messageId]: 'm-1' });
    const consumed = { [HEADER.messageId]: Buffer.from('m-1'), multi: [Buffer.from('a'), 'b'] };
    expect(headerValue(consumed, HEADER.messageId)).toBe('m-1');
    expect(headerValue(consumed, 'multi')).toBe('a');
    expect(headerValue(consumed, 'missing')).toBeUndefined();
    expect(headerValue(undefined, 'x')).toBeUndefined();
  });
});

/** A kafkajs log function writing through the bridge into pino lines kept in memory. */
function captureKafkaLog() {
  const lines: string[] = [];
  const logger = createLogger({
    service: 's',
    instance: 'i',
    level: 'debug',
    destination: { write: (s: string) => void lines.push(s) },
  });
  return { lines, log: pinoLogCreator(logger)(kafkajs.logLevel.DEBUG) };
}

describe('kafkajs log bridge', () => {
  it('writes kafkajs entries to pino at the matching level, without kafkajs timestamps', () => {
    const { lines, log } = captureKafkaLog();
    log({
      namespace: 'Producer',
      level: kafkajs.logLevel.WARN,
      label: 'WARN',
      log: { timestamp: 't', message: 'careful', broker: 'b:9092' },
    });
    log({
      namespace: 'Consumer',
      level: kafkajs.logLevel.ERROR,
      label: 'ERROR',
      log: { timestamp: 't', message: 'crashed' },
    });
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries[0]).toMatchObject({ level: 40, ns: 'Producer', broker: 'b:9092', msg: 'careful' });
    expect(entries[0]?.['timestamp']).toBeUndefined();
    expect(entries[1]).toMatchObject({ level: 50, ns: 'Consumer', msg: 'crashed' });
  });

  it('logs the routine CONCURRENT_TRANSACTIONS retry after a commit at debug, other send errors at error', () => {
    const { lines, log } = captureKafkaLog();
    const routine =
      'Failed to send messages: The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing';
    log({
      namespace: 'Producer',
      level: kafkajs.logLevel.ERROR,
      label: 'ERROR',
      log: { timestamp: 't', message: routine, retryCount: 0, retryTime: 3 },
    });
    log({
      namespace: 'Producer',
      level: kafkajs.logLevel.ERROR,
      label: 'ERROR',
      log: {
        timestamp: 't',
        message: 'Failed to send messages: This server is not the leader for that topic-partition',
      },
    });
    log({
      namespace: 'Connection',
      level: kafkajs.logLevel.ERROR,
      label: 'ERROR',
      log: {
        timestamp: 't',
        message: 'Response AddPartitionsToTxn(key: 24, version: 1)',
        error:
          'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
      },
    });
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries[0]).toMatchObject({ level: 20, retryTime: 3 });
    expect(entries[1]).toMatchObject({ level: 50 });
    expect(entries[2]).toMatchObject({ level: 20, ns: 'Connection' });
  });

  it('matches kafkajs verbosity to the pino level', () => {
    expect(kafkaLogLevel('debug')).toBe(kafkajs.logLevel.DEBUG);
    expect(kafkaLogLevel('info')).toBe(kafkajs.logLevel.INFO);
    expect(kafkaLogLevel('warn')).toBe(kafkajs.logLevel.WARN);
    expect(kafkaLogLevel('error')).toBe(kafkajs.logLevel.ERROR);
    expect(kafkaLogLevel('silent')).toBe(kafkajs.logLevel.NOTHING);
  });
});
