/**
 * Hostile-input handling on a live edge: oversize frames close with 1009 (with the code on the
 * wire), invalid frames get error frames with stable codes and the request id while the
 * connection stays, persistent garbage closes with 1008, grants are checked before logging.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestClient } from './support/client.js';
import { killAll, startEdge, type EdgeProcess } from './support/edge-process.js';
import { edgeFixture, type EdgeFixture } from './support/fixture.js';
import { bearer, token } from './support/tokens.js';

let fx: EdgeFixture;
let edge: EdgeProcess;
const MAX = 4096;

beforeAll(async () => {
  fx = await edgeFixture();
  edge = await startEdge(fx.env({ MAX_MESSAGE_BYTES: String(MAX), INVALID_FRAME_LIMIT: '3' }));
});

afterAll(async () => {
  await killAll([edge]);
  await fx?.dispose();
});

async function connect(video?: Record<string, unknown>): Promise<TestClient> {
  return TestClient.connect(edge.url(), {
    headers: bearer(await token({ sub: `user-${Math.random()}`, ...(video ? { video } : {}) })),
  });
}

describe('edge frame validation', () => {
  test('a frame over MAX_MESSAGE_BYTES → error message_too_large, then close 1009', async () => {
    const client = await connect();
    client.send(JSON.stringify({ type: 'data', payload: 'x'.repeat(MAX) }));
    expect(await client.take((m) => m.type === 'error', 'the size error')).toMatchObject({
      code: 'message_too_large',
      retriable: false,
    });
    expect((await client.closeWithin(5000)).code).toBe(1009);
  });

  test('malformed JSON and an unknown type → error frames with codes, the request id echoed, connection kept', async () => {
    const client = await connect();
    client.send('{"type": "join", "id": "broken"');
    expect(await client.take((m) => m.type === 'error', 'the JSON error')).toMatchObject({
      code: 'invalid_message',
      retriable: false,
    });
    client.send({ type: 'teleport', id: 'req-1' });
    expect(await client.answerTo('req-1')).toMatchObject({
      type: 'error',
      id: 'req-1',
      code: 'unknown_type',
      retriable: false,
    });
    client.send({ type: 'join', id: 'req-2', room: 'bad room!' });
    const invalid = await client.answerTo('req-2');
    expect(invalid).toMatchObject({ code: 'invalid_message' });
    expect(String(invalid['message'])).toContain('/room');
    // Still connected and served.
    client.send({ type: 'ping', id: 'req-3', ts: 42 });
    expect(await client.take((m) => m.type === 'pong', 'pong')).toEqual({ type: 'pong', ts: 42 });
    expect(await client.answerTo('req-3')).toEqual({ type: 'ack', id: 'req-3' });
    expect(client.isOpen).toBe(true);
    client.close();
  });

  test('garbage past INVALID_FRAME_LIMIT → close 1008', async () => {
    const client = await connect();
    for (let i = 0; i < 4; i++) client.send(`garbage ${i}`);
    const close = await client.closeWithin(5000);
    expect(close.code).toBe(1008);
    expect(client.received.filter((m) => m.type === 'error')).toHaveLength(4);
  });

  test('binary frames are not part of the protocol → invalid_message, connection kept', async () => {
    const client = await connect();
    client.send(new Uint8Array([1, 2, 3]));
    expect(await client.take((m) => m.type === 'error', 'the binary error')).toMatchObject({ code: 'invalid_message' });
    expect(client.isOpen).toBe(true);
    client.close();
  });

  test('room messages before join → not_in_room; missing grants → not_allowed / forbidden; a second join → already_joined', async () => {
    const client = await connect({ room: 'r1', roomJoin: true, canPublish: false });
    client.send({ type: 'data', id: 'd', payload: 'hi' });
    expect(await client.answerTo('d')).toMatchObject({ code: 'not_in_room' });
    client.send({ type: 'join', id: 'j0', room: 'r2' });
    expect(await client.answerTo('j0')).toMatchObject({ code: 'forbidden' });
    client.send({ type: 'join', id: 'j1', room: 'r1' });
    expect(await client.answerTo('j1')).toEqual({ type: 'ack', id: 'j1' });
    client.send({ type: 'publish', id: 'p', sdp: 'v=0', tracks: [{ trackId: 'mic', kind: 'audio' }] });
    expect(await client.answerTo('p')).toMatchObject({ code: 'not_allowed', retriable: false });
    client.send({ type: 'kick', id: 'k', identity: 'bob' });
    expect(await client.answerTo('k')).toMatchObject({ code: 'not_allowed' });
    client.send({ type: 'join', id: 'j2', room: 'r1' });
    expect(await client.answerTo('j2')).toMatchObject({ code: 'already_joined' });
    client.close();
  });
});
