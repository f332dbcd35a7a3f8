/**
 * Rate limits: the per-identity bucket is shared by every edge through Redis, so one identity on
 * two edge processes cannot get twice its budget; the per-connection bucket limits one socket;
 * a client that keeps hammering is closed with 4008.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomId } from '../support/ids.js';
import { TestClient, type Msg } from './support/client.js';
import { killAll, startEdge, type EdgeProcess } from './support/edge-process.js';
import { edgeFixture, type EdgeFixture } from './support/fixture.js';
import { bearer, token } from './support/tokens.js';

let fx: EdgeFixture;
let edges: EdgeProcess[] = [];

beforeAll(async () => {
  fx = await edgeFixture();
  // A generous per-connection limit, a tight per-identity one (1/s sustained, burst 6).
  const env = fx.env({
    RATE_IDENTITY_PER_SEC: '1',
    RATE_IDENTITY_BURST: '6',
    RATE_CONN_PER_SEC: '100',
    RATE_CONN_BURST: '100',
  });
  edges = await Promise.all([startEdge(env), startEdge(env)]);
});

afterAll(async () => {
  await killAll(edges);
  await fx?.dispose();
});

const answers = (client: TestClient, prefix: string): Msg[] =>
  client.received.filter((m) => (m.type === 'ack' || m.type === 'error') && String(m['id']).startsWith(prefix));

describe('rate limits', () => {
  test('one identity on two edges shares one budget (Redis): the excess gets rate_limited with retryAfterMs', async () => {
    const identity = randomId('user');
    const room = randomId('room');
    const [a, b] = await Promise.all(
      edges.map(async (e) => TestClient.connect(e.url(), { headers: bearer(await token({ sub: identity })) })),
    );
    a!.send({ type: 'join', id: 'a-join', room });
    b!.send({ type: 'join', id: 'b-join', room });
    await a!.answerTo('a-join');
    await b!.answerTo('b-join');
    // 2 joins + 2 × 4 data = 10 logged messages for a budget of 6 (+ at most a token of refill).
    for (let i = 0; i < 4; i++) {
      a!.send({ type: 'data', id: `a-${i}`, payload: 'x' });
      b!.send({ type: 'data', id: `b-${i}`, payload: 'x' });
    }
    await Promise.all([0, 1, 2, 3].flatMap((i) => [a!.answerTo(`a-${i}`), b!.answerTo(`b-${i}`)]));
    const all = [...answers(a!, 'a-'), ...answers(b!, 'b-')];
    const limited = all.filter((m) => m.type === 'error');
    const acked = all.filter((m) => m.type === 'ack');
    // Each edge alone would have accepted all 5 of its messages (6 per identity per edge).
    expect(acked.length).toBeGreaterThanOrEqual(6);
    expect(acked.length).toBeLessThanOrEqual(7);
    expect(limited.length).toBe(10 - acked.length);
    // Which edge's messages are refused depends on whose Redis calls land first (each edge asks
    // for a frame's token when it arrives): the budget is shared, not split.
    expect(limited.length).toBeGreaterThanOrEqual(3);
    for (const error of limited) {
      expect(error).toMatchObject({ code: 'rate_limited', retriable: true });
      expect(error['retryAfterMs']).toBeGreaterThan(0);
      expect(error['retryAfterMs']).toBeLessThanOrEqual(1000);
    }
    a!.close();
    b!.close();
  });

  test('a connection that keeps exceeding its limit is closed with 4008', async () => {
    await killAll(edges);
    const edge = await startEdge(fx.env({ RATE_CONN_PER_SEC: '1', RATE_CONN_BURST: '2', RATE_ABUSE_STRIKES: '3' }));
    edges = [edge];
    const client = await TestClient.connect(edge.url(), { headers: bearer(await token({ sub: randomId('user') })) });
    for (let i = 0; i < 8; i++) client.send({ type: 'ping', id: `p-${i}`, ts: i });
    expect((await client.closeWithin(5000)).code).toBe(4008);
    const errors = client.received.filter((m) => m.type === 'error');
    expect(errors.length).toBe(4);
    expect(errors[0]).toMatchObject({ id: 'p-2', code: 'rate_limited', retriable: true });
  });
});
