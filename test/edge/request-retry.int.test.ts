/**
 * Client retries are decided once (issue #10): a request sent again with the same id, in the same
 * session, reaches its recipients once, with one seq, whether the retry goes out on the same socket
 * or after resuming on another one; the SDK retries a request lost with its socket by itself.
 * Real edge, projector and Kafka; a raw WebSocket client sends the duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignalClient, type ServerMessage } from '../../clients/sdk/src/index.js';
import { randomId } from '../support/ids.js';
import { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { TestClient, type Msg } from './support/client.js';
import { killAll, startEdge, type EdgeProcess } from './support/edge-process.js';
import { edgeFixture, type EdgeFixture } from './support/fixture.js';
import { bearer, token } from './support/tokens.js';

describe('idempotent client requests', () => {
  let fx: EdgeFixture;
  let projector: ServiceProcess;
  let edge: EdgeProcess;
  const sockets: TestClient[] = [];
  const sdks: SignalClient[] = [];

  beforeAll(async () => {
    fx = await edgeFixture();
    [projector, edge] = await Promise.all([
      ServiceProcess.start('projector', { ...fx.env(), EDGE_LIVENESS_GRACE: '10m' }),
      startEdge(fx.env({ EDGE_ID: 'idem-a' })),
    ]);
  });

  afterAll(async () => {
    for (const c of sdks) c.close();
    for (const s of sockets) s.close();
    await killAll([edge]);
    await projector?.kill();
    await fx?.dispose();
  });

  const connect = async (identity: string): Promise<TestClient> => {
    const c = await TestClient.connect(edge.url(), { headers: bearer(await token({ sub: identity })) });
    sockets.push(c);
    return c;
  };
  const joinRoom = async (identity: string, room: string): Promise<{ c: TestClient; joined: Msg }> => {
    const c = await connect(identity);
    c.send({ type: 'join', id: 'j1', room });
    return { c, joined: await c.take((m) => m.type === 'joined', `${identity} joined`, 20_000) };
  };
  const dataTo = (c: TestClient, payload: string): Msg[] =>
    c.received.filter((m) => m.type === 'data' && m['payload'] === payload);
  /** Waits for `payload`, sent after the duplicates on the same connection: by then every duplicate was decided. */
  const awaitMarker = (c: TestClient, payload: string) =>
    waitFor(() => dataTo(c, payload).length > 0, { timeoutMs: 20_000, message: `the marker "${payload}" to arrive` });
  const duplicateDecisions = async (): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${projector.adminPort}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('signal_projector_commands_total{') && l.includes('outcome="duplicate"'));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  it('the same request id sent twice on one socket: both acked, delivered once with one seq', async () => {
    const room = randomId('idem');
    const { c: alice } = await joinRoom('alice', room);
    const { c: bob } = await joinRoom('bob', room);
    await alice.take((m) => m.type === 'participant_joined', 'alice sees bob');
    const before = await duplicateDecisions();

    const message = { type: 'data', id: 'd1', payload: 'once' };
    alice.send(message);
    alice.send(message);
    expect((await alice.answerTo('d1')).type).toBe('ack');
    expect((await alice.answerTo('d1')).type).toBe('ack');
    alice.send({ type: 'data', id: 'd2', payload: 'marker-1' });
    await awaitMarker(bob, 'marker-1');

    const once = dataTo(bob, 'once');
    expect(once).toHaveLength(1);
    expect(once[0]).toMatchObject({ from: 'alice', payload: 'once', seq: expect.any(Number) as number });
    const seqs = bob.received.flatMap((m) => (typeof m['seq'] === 'number' ? [m['seq']] : []));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(await duplicateDecisions()).toBe(before + 1);
  });

  it('a retry sent after resuming on a new socket is recognised too; a new id is a new message', async () => {
    const room = randomId('idem');
    const { c: alice, joined } = await joinRoom('alice', room);
    const { c: bob } = await joinRoom('bob', room);
    await alice.take((m) => m.type === 'participant_joined', 'alice sees bob');

    alice.send({ type: 'data', id: 'd1', payload: 'across' });
    expect((await alice.answerTo('d1')).type).toBe('ack');
    await waitFor(() => dataTo(bob, 'across').length === 1, { timeoutMs: 20_000, message: 'bob gets "across"' });
    // The socket dies before the client saw the ack (as far as it knows): it resumes and retries.
    const lastSeq = Math.max(...alice.received.flatMap((m) => (typeof m['seq'] === 'number' ? [m['seq']] : [])));
    alice.close(4000);
    await alice.closed;
    const again = await connect('alice');
    again.send({ type: 'join', id: 'j2', room, resume: { sessionId: joined['sessionId'], lastSeq } });
    await again.take((m) => m.type === 'resumed', 'alice resumed', 20_000);
    again.send({ type: 'data', id: 'd1', payload: 'across' });
    expect((await again.answerTo('d1')).type).toBe('ack');
    // Same payload under a new id: the application meant it twice, so it arrives twice.
    again.send({ type: 'data', id: 'd2', payload: 'across' });
    again.send({ type: 'data', id: 'd3', payload: 'marker-2' });
    await awaitMarker(bob, 'marker-2');
    expect(dataTo(bob, 'across')).toHaveLength(2);
  });

  it('the SDK retries a request whose ack was lost with its socket, with its id, once resumed: delivered once', async () => {
    const room = randomId('idem');
    const { c: bob } = await joinRoom('bob', room);
    let alice: SignalClient | null = null;
    // The edge logs the data message and acks it, but the socket dies before the SDK sees the ack.
    alice = new SignalClient({
      url: () => edge.url(),
      token: () => token({ sub: 'alice' }),
      backoff: { nextRetryDelayMs: () => 100 },
      // The SDK numbers its requests r1, r2…: r1 is the first sendData.
      WebSocket: losingFirstAck('r1', () => alice?.dropConnection()),
    });
    sdks.push(alice);
    const resumes: ServerMessage[] = [];
    alice.on('resumed', (m) => resumes.push(m));
    await alice.join(room);
    const before = await duplicateDecisions();

    await alice.sendData('sdk-once');
    expect(resumes.map((m) => m.type)).toEqual(['resumed']);
    await alice.sendData('marker-3');
    await awaitMarker(bob, 'marker-3');
    expect(dataTo(bob, 'sdk-once')).toHaveLength(1);
    expect(await duplicateDecisions()).toBe(before + 1);
  });
});

/** Node's WebSocket, except that the first `ack` of request `id` is lost: `drop` is called instead. */
function losingFirstAck(id: string, drop: () => void): typeof WebSocket {
  let lost = false;
  type Handler = typeof WebSocket.prototype.onmessage;
  return class extends WebSocket {
    override get onmessage(): Handler {
      return super.onmessage;
    }
    override set onmessage(handler: Handler) {
      super.onmessage =
        handler &&
        function (this: WebSocket, event: MessageEvent) {
          const m = typeof event.data === 'string' ? (JSON.parse(event.data) as Msg) : null;
          if (!lost && m?.type === 'ack' && m['id'] === id) {
            lost = true;
            queueMicrotask(drop);
            return;
          }
          handler.call(this, event);
        };
    }
  };
}
