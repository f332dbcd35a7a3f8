import { describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '@sig/schemas';
import {
  ERROR_CODES,
  ERROR_CODE_LIST,
  SignalError,
  isErrorCode,
  isRetriable,
  isValidCloseCode,
  type ErrorCode,
} from '../src/errors.js';

/** Every factory, called with plausible arguments. */
const FACTORIES: Record<string, () => SignalError> = {
  badRequest: () => SignalError.badRequest('x'),
  invalidMessage: () => SignalError.invalidMessage('x'),
  messageTooLarge: () => SignalError.messageTooLarge(70_000, 65_536),
  unknownType: () => SignalError.unknownType('x'),
  unauthorized: () => SignalError.unauthorized('bad signature'),
  tokenExpired: () => SignalError.tokenExpired(1),
  forbidden: () => SignalError.forbidden('x'),
  originNotAllowed: () => SignalError.originNotAllowed('https://evil.example'),
  notAllowed: () => SignalError.notAllowed('canPublish'),
  rateLimited: () => SignalError.rateLimited(250),
  abuse: () => SignalError.abuse('x'),
  roomFull: () => SignalError.roomFull('r', 2),
  roomNotFound: () => SignalError.roomNotFound('r'),
  notInRoom: () => SignalError.notInRoom('r'),
  participantNotFound: () => SignalError.participantNotFound('p'),
  alreadyJoined: () => SignalError.alreadyJoined('r'),
  duplicateIdentity: () => SignalError.duplicateIdentity('p'),
  kicked: () => SignalError.kicked(),
  resumeFailed: () => SignalError.resumeFailed('gap older than the resume window'),
  kafkaUnavailable: () => SignalError.kafkaUnavailable(),
  overloaded: () => SignalError.overloaded(1000),
  slowConsumer: () => SignalError.slowConsumer(1 << 20),
  heartbeatTimeout: () => SignalError.heartbeatTimeout(15_000),
  draining: () => SignalError.draining(),
  timeout: () => SignalError.timeout('produce', 5000),
  internal: () => SignalError.internal(new Error('x')),
  sfuUnavailable: () => SignalError.sfuUnavailable('r'),
  sfuCapacity: () => SignalError.sfuCapacity(),
  invalidSdp: () => SignalError.invalidSdp('x'),
  invalidCandidate: () => SignalError.invalidCandidate('x'),
};

describe('ERROR_CODES catalogue', () => {
  it('has exactly one complete entry per code', () => {
    expect(Object.keys(ERROR_CODES).sort()).toEqual([...ERROR_CODE_LIST].sort());
    expect(new Set(ERROR_CODE_LIST).size).toBe(ERROR_CODE_LIST.length);
    for (const code of ERROR_CODE_LIST) {
      const info = ERROR_CODES[code];
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(typeof info.retriable).toBe('boolean');
      expect(info.description.length).toBeGreaterThan(10);
      if (info.httpStatus !== undefined) expect(info.httpStatus).toBeGreaterThanOrEqual(400);
      if (info.httpStatus !== undefined) expect(info.httpStatus).toBeLessThan(600);
      if (info.closeCode !== undefined) expect(isValidCloseCode(info.closeCode)).toBe(true);
    }
  });

  it('includes the codes the services and the SDK rely on', () => {
    const required: ErrorCode[] = [
      'bad_request',
      'invalid_message',
      'message_too_large',
      'unknown_type',
      'unauthorized',
      'token_expired',
      'forbidden',
      'origin_not_allowed',
      'rate_limited',
      'room_full',
      'room_not_found',
      'not_in_room',
      'participant_not_found',
      'already_joined',
      'duplicate_identity',
      'resume_failed',
      'kafka_unavailable',
      'overloaded',
      'slow_consumer',
      'draining',
      'internal',
      'sfu_unavailable',
      'sfu_capacity',
      'invalid_sdp',
      'invalid_candidate',
      'not_allowed',
      'timeout',
    ];
    for (const code of required) expect(isErrorCode(code)).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('nope')).toBe(false);
  });

  it('marks transient failures retriable and client mistakes not', () => {
    for (const code of [
      'rate_limited',
      'kafka_unavailable',
      'overloaded',
      'draining',
      'timeout',
      'slow_consumer',
    ] as const) {
      expect(ERROR_CODES[code].retriable).toBe(true);
    }
    for (const code of ['bad_request', 'unauthorized', 'forbidden', 'resume_failed', 'token_expired'] as const) {
      expect(ERROR_CODES[code].retriable).toBe(false);
    }
  });
});

describe('close codes', () => {
  it('every close code of the protocol may be sent by a server', () => {
    for (const info of Object.values(CLOSE_CODES)) expect(isValidCloseCode(info.code), info.name).toBe(true);
    expect(isValidCloseCode(1006)).toBe(false);
    expect(isValidCloseCode(1005)).toBe(false);
    expect(isValidCloseCode(5000)).toBe(false);
  });

  it('every close code an error uses is a valid one', () => {
    for (const code of ERROR_CODE_LIST) {
      const close = ERROR_CODES[code].closeCode;
      if (close !== undefined) expect(isValidCloseCode(close), code).toBe(true);
    }
  });
});

describe('SignalError', () => {
  it('every factory yields a catalogued code', () => {
    const codes = new Set(Object.values(FACTORIES).map((make) => make().code));
    expect([...codes].sort()).toEqual([...ERROR_CODE_LIST].sort());
  });

  it('rateLimited carries a retry delay and is retriable', () => {
    const error = SignalError.rateLimited(249.2, 'identity');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SignalError');
    expect(error.code).toBe('rate_limited');
    expect(error.retriable).toBe(true);
    expect(error.retryAfterMs).toBe(250);
    expect(error.toWire()).toEqual({
      code: 'rate_limited',
      message: ERROR_CODES.rate_limited.description,
      retriable: true,
      retryAfterMs: 250,
      details: { scope: 'identity' },
    });
  });

  it('keeps the cause out of the wire shape', () => {
    const cause = new Error('broker kafka-3:9092 refused connection');
    const error = SignalError.kafkaUnavailable(cause);
    expect(error.cause).toBe(cause);
    expect(JSON.stringify(error.toWire())).not.toContain('kafka-3');
  });

  it('can override retriable, and from() wraps foreign errors as internal', () => {
    expect(SignalError.kafkaUnavailable(undefined, false).retriable).toBe(false);
    const foreign = new TypeError('x is undefined');
    const wrapped = SignalError.from(foreign);
    expect(wrapped.code).toBe('internal');
    expect(wrapped.cause).toBe(foreign);
    const own = SignalError.draining();
    expect(SignalError.from(own)).toBe(own);
  });

  it('bounds untrusted input echoed in messages', () => {
    expect(SignalError.unknownType('x'.repeat(10_000)).message.length).toBeLessThan(120);
  });

  it('isRetriable understands SignalError and kafkajs-style errors', () => {
    expect(isRetriable(SignalError.overloaded())).toBe(true);
    expect(isRetriable(SignalError.forbidden('x'))).toBe(false);
    expect(isRetriable(Object.assign(new Error('x'), { retriable: true }))).toBe(true);
    expect(isRetriable(new Error('x'))).toBe(false);
  });
});
