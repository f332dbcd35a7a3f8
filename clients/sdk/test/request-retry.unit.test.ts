import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerMessageOf } from '@sig/schemas';
import {
  ExponentialBackoff,
  isRetriableRequestFailure,
  NO_REQUEST_RETRY,
  RetryRequests,
  SignalClient,
  SignalClientError,
  type RequestRetryPolicy,
  type WebSocketConstructor,
} from '../src/index.js';
import { participant } from './fixtures.js';

const edgeError = (code: string, retriable: boolean, extra: { retryAfterMs?: number; seq?: number } = {}) =>
  new SignalClientError(code as SignalClientError['code'], code, retriable, extra);
const ctx = (error: SignalClientError, attempt = 1, type = 'data') => ({ type, attempt, elapsedMs: 0, error });
const noJitter = new RetryRequests({ backoff: new ExponentialBackoff({ jitter: 0 }) });

describe('RetryRequests', () => {
  it('retries what may not have been logged: retriable edge refusals, no ack in time, a lost socket', () => {
    for (const code of ['kafka_unavailable', 'overloaded', 'draining', 'rate_limited', 'timeout', 'connection_lost'])
      expect(isRetriableRequestFailure('data', edgeError(code, true)), code).toBe(true);
  });

  it("never retries a final answer: a room's decision (with seq), a non-retriable refusal, a closed client", () => {
    expect(isRetriableRequestFailure('publish', edgeError('sfu_unavailable', true, { seq: 9 }))).toBe(false);
    expect(isRetriableRequestFailure('data', edgeError('invalid_message', false))).toBe(false);
    expect(isRetriableRequestFailure('data', SignalClientError.closed())).toBe(false);
  });

  it('never retries the requests the server cannot deduplicate (answered by the media worker)', () => {
    for (const type of ['media_sdp', 'media_candidate', 'restart_ice'])
      expect(isRetriableRequestFailure(type, edgeError('kafka_unavailable', true)), type).toBe(false);
  });

  it('follows the reconnect schedule, never sooner than retryAfterMs, and stops after maxAttempts', () => {
    const lost = SignalClientError.connectionLost('x');
    expect([1, 2, 3, 4].map((a) => noJitter.nextRequestDelayMs(ctx(lost, a)))).toEqual([300, 1200, 2700, 4800]);
    expect(noJitter.nextRequestDelayMs(ctx(lost, 5))).toBeNull();
    expect(noJitter.nextRequestDelayMs(ctx(edgeError('rate_limited', true, { retryAfterMs: 5000 })))).toBe(5000);
    expect(new RetryRequests({ maxAttempts: 1 }).nextRequestDelayMs(ctx(lost))).toBeNull();
    expect(() => new RetryRequests({ maxAttempts: 0 })).toThrow(RangeError);
    expect(NO_REQUEST_RETRY.nextRequestDelayMs(ctx(lost))).toBeNull();
  });
});

// ---- the client's retries, over a scripted in-memory socket (no server involved) -------------

const joined: ServerMessageOf<'joined'> = {
  type: 'joined',
  seq: 5,
  room: 'r',
  sessionId: 's-me',
  self: participant('s-me', 'me'),
  participants: [],
  roomMetadata: '',
  iceServers: [],
  heartbeat: { intervalMs: 5000, timeoutMs: 60_000 },
  resumeWindow: { events: 1024, ms: 20000 },
};

type Sent = Record<string, unknown> & { type: string; id?: string };

/** A socket that answers `join` with `joined` and every other request with `answer(frame, n)`. */
function scriptedSocket(answer: (frame: Sent, n: number) => object): { WebSocket: WebSocketConstructor; sent: Sent[] } {
  const sent: Sent[] = [];
  class ScriptedSocket {
    readonly CONNECTING = 0;
    readonly OPEN = 1;
    readyState = 0;
    onopen: (() => void) | null = null;
    onmessage: ((e: { data: string }) => void) | null = null;
    onclose: ((e: { code: number; reason: string }) => void) | null = null;
    onerror: (() => void) | null = null;
    constructor() {
      queueMicrotask(() => {
        this.readyState = 1;
        this.onopen?.();
      });
    }
    send(text: string): void {
      const frame = JSON.parse(text) as Sent;
      sent.push(frame);
      const reply = frame.type === 'join' ? joined : answer(frame, sent.filter((f) => f.type !== 'join').length);
      queueMicrotask(() => this.onmessage?.({ data: JSON.stringify(reply) }));
    }
    close(): void {
      this.readyState = 3;
    }
  }
  return { WebSocket: ScriptedSocket as unknown as WebSocketConstructor, sent };
}

describe('SignalClient request retries', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const client = (WebSocket: WebSocketConstructor, requestRetry: RequestRetryPolicy = noJitter) =>
    new SignalClient({ url: 'ws://edge/ws', token: 't', WebSocket, requestRetry });

  it('sends a refused request again with the same id until acked', async () => {
    const { WebSocket, sent } = scriptedSocket((f, n) =>
      n < 3
        ? { type: 'error', id: f.id, code: 'kafka_unavailable', message: 'down', retriable: true }
        : { type: 'ack', id: f.id },
    );
    const c = client(WebSocket);
    await c.join('r');
    let done = false;
    const request = c.sendData('hello').then(() => (done = true));
    await vi.advanceTimersByTimeAsync(299);
    expect(sent.filter((f) => f.type === 'data')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1 + 1200);
    await request;
    expect(done).toBe(true);
    const ids = sent.filter((f) => f.type === 'data').map((f) => f.id);
    expect(ids).toEqual(['r1', 'r1', 'r1']);
    c.close();
  });

  it('waits retryAfterMs, and rejects with the last error once the attempts are spent', async () => {
    const { WebSocket, sent } = scriptedSocket((f) => ({
      type: 'error',
      id: f.id,
      code: 'rate_limited',
      message: 'slow down',
      retriable: true,
      retryAfterMs: 5000,
    }));
    const c = client(WebSocket, new RetryRequests({ maxAttempts: 3, backoff: new ExponentialBackoff({ jitter: 0 }) }));
    await c.join('r');
    const outcome = c.sendData('hello').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(4999);
    expect(sent.filter((f) => f.type === 'data')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1 + 5000);
    expect(await outcome).toMatchObject({ code: 'rate_limited', retryAfterMs: 5000 });
    expect(sent.filter((f) => f.type === 'data')).toHaveLength(3);
    c.close();
  });

  it('does not retry when told not to, nor after close()', async () => {
    const refuse = (f: Sent) => ({ type: 'error', id: f.id, code: 'overloaded', message: 'busy', retriable: true });
    const off = scriptedSocket(refuse);
    const c = client(off.WebSocket, NO_REQUEST_RETRY);
    await c.join('r');
    await expect(c.sendData('x')).rejects.toMatchObject({ code: 'overloaded' });
    expect(off.sent.filter((f) => f.type === 'data')).toHaveLength(1);
    c.close();

    const on = scriptedSocket(refuse);
    const d = client(on.WebSocket);
    await d.join('r');
    const outcome = d.sendData('x').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    d.close();
    expect(await outcome).toMatchObject({ code: 'client_closed' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(on.sent.filter((f) => f.type === 'data')).toHaveLength(1);
  });
});
