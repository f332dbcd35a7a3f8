import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../../test/support/ids.js';
import { freePort, ServiceProcess } from '../../../test/support/service-process.js';
import { waitFor } from '../../../test/support/wait.js';
import { killAll, startEdge, type EdgeProcess } from '../../../test/edge/support/edge-process.js';
import { edgeFixture, type EdgeFixture } from '../../../test/edge/support/fixture.js';
import { token } from '../../../test/edge/support/tokens.js';
import { SignalClient, type BackoffPolicy, type ConnectionStatus, type ServerMessage } from '../src/index.js';

// The SDK in Node (global WebSocket, token in the access_token subprotocol as in browsers)
// against real processes: edges, projector, Kafka. Lost sockets are real: an edge is SIGKILLed.

/** Retry every 150 ms: keeps the test fast and its timing independent of jitter. */
const steady: BackoffPolicy = { nextRetryDelayMs: () => 150 };

interface Observed {
  readonly client: SignalClient;
  readonly states: ConnectionStatus[];
  readonly messages: ServerMessage[];
  readonly sessions: string[];
}

describe('SignalClient against edges and a projector', () => {
  let fx: EdgeFixture;
  let projector: ServiceProcess;
  const edges: EdgeProcess[] = [];
  const clients: SignalClient[] = [];
  let deadUrl: string;

  beforeAll(async () => {
    fx = await edgeFixture();
    [projector] = await Promise.all([
      ServiceProcess.start('projector', { ...fx.env(), EDGE_LIVENESS_GRACE: '10m', ROOM_DEPARTURE_TIMEOUT: '3s' }),
    ]);
    edges.push(
      ...(await Promise.all([startEdge(fx.env({ EDGE_ID: 'sdk-a' })), startEdge(fx.env({ EDGE_ID: 'sdk-b' }))])),
    );
    deadUrl = `ws://127.0.0.1:${await freePort()}/ws`;
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await killAll(edges);
    await projector?.kill();
    await fx?.dispose();
  });

  const observe = (identity: string, url: () => string): Observed => {
    const client = new SignalClient({ url, token: () => token({ sub: identity }), backoff: steady });
    clients.push(client);
    const o: Observed = { client, states: [], messages: [], sessions: [] };
    client.on('state', ({ state }) => o.states.push(state.status));
    client.on('session', (m) => o.sessions.push(m.sessionId));
    for (const type of [
      'joined',
      'resumed',
      'resume_failed',
      'participant_joined',
      'participant_left',
      'data',
      'notice',
    ] as const)
      client.on(type, (m) => o.messages.push(m));
    return o;
  };
  const payloads = (o: Observed): string[] => o.messages.flatMap((m) => (m.type === 'data' ? [m.payload] : []));
  const seqs = (o: Observed): number[] => o.messages.flatMap((m) => ('seq' in m && m.seq !== undefined ? [m.seq] : []));

  it('joins, sees the other participant, exchanges data; every message once, in seq order', async () => {
    const room = randomId('sdk');
    const alice = observe('alice', () => edges[0]!.url());
    const bob = observe('bob', () => edges[1]!.url());
    const joined = await alice.client.join(room, { metadata: '{"role":"host"}' });
    expect(joined.participants).toEqual([]);
    expect(alice.client.state).toEqual({ status: 'joined', room, sessionId: joined.sessionId });
    await bob.client.join(room);
    await waitFor(() => alice.client.participants.size === 1, { message: 'alice sees bob' });
    expect([...bob.client.participants.values()][0]).toMatchObject({ identity: 'alice', metadata: '{"role":"host"}' });

    await alice.client.sendData('ping', { topic: 'chat' });
    await bob.client.sendData('pong');
    await waitFor(() => payloads(bob).includes('ping') && payloads(alice).includes('pong'), {
      message: 'data both ways',
    });
    // The edge refuses an invalid message: the request fails with the server's typed error.
    const refused = await alice.client.request({ type: 'signal', to: 'bob', kind: 'offer' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'SignalClientError', code: 'invalid_message', retriable: false });
    for (const o of [alice, bob]) expect(seqs(o)).toEqual([...new Set(seqs(o))].sort((x, y) => x - y));

    await bob.client.leave();
    expect(bob.client.state).toEqual({ status: 'closed', reason: 'client' });
    await waitFor(() => alice.messages.some((m) => m.type === 'participant_left'), { message: 'alice sees bob leave' });
    expect(alice.client.participants.size).toBe(0);
    alice.client.close();
    alice.client.close(); // idempotent
    expect(() => alice.client.send({ type: 'ping', ts: 1 })).toThrow(
      expect.objectContaining({ code: 'client_closed' }),
    );
  });

  it('a refused join rejects with the server code and closes the client', async () => {
    const client = new SignalClient({
      url: edges[1]!.url(),
      token: () => token({ sub: 'mallory', video: { room: 'elsewhere', roomJoin: true } }),
    });
    clients.push(client);
    const error = await client.join(randomId('sdk')).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SignalClientError', code: 'forbidden', retriable: false });
    expect(client.state).toMatchObject({ status: 'closed', reason: 'server' });
  });

  it('resumes on another edge after its edge is killed, with every missed event exactly once', async () => {
    const room = randomId('sdk');
    let aliceUrl = edges[0]!.url();
    const alice = observe('alice2', () => aliceUrl);
    const bob = observe('bob2', () => edges[1]!.url());
    const { sessionId } = await alice.client.join(room);
    await bob.client.join(room);
    await bob.client.sendData('before');
    await waitFor(() => payloads(alice).includes('before'), { message: 'alice got the first message' });

    // Alice's edge dies; until she can reach another, bob talks to the room.
    aliceUrl = deadUrl;
    const edgeA = edges[0]!;
    await edgeA.stop('SIGKILL');
    await waitFor(() => alice.client.state.status === 'reconnecting', { message: 'alice reconnecting' });
    await waitFor(() => alice.states.filter((s) => s === 'reconnecting').length >= 2, {
      message: 'alice retried against the dead address at least once',
    });
    for (const text of ['m1', 'm2', 'm3']) await bob.client.sendData(text);
    aliceUrl = edges[1]!.url();
    await waitFor(() => alice.messages.some((m) => m.type === 'resumed'), { message: 'alice resumed' });

    expect(alice.client.state).toMatchObject({ status: 'joined', sessionId });
    expect(alice.sessions, 'no new session').toEqual([sessionId]);
    expect(payloads(alice)).toEqual(['before', 'm1', 'm2', 'm3']);
    expect(seqs(alice)).toEqual([...new Set(seqs(alice))].sort((x, y) => x - y));
    const resumed = alice.messages.find((m) => m.type === 'resumed');
    expect(resumed).toMatchObject({ sessionId, replayed: expect.any(Number) as number });
    expect((resumed as { replayed: number }).replayed).toBeGreaterThanOrEqual(3);
    edges[0] = await startEdge(fx.env({ EDGE_ID: 'sdk-a2' }));
  });

  it('moves to another edge when its edge drains (reconnect_elsewhere), keeping the session', async () => {
    const room = randomId('sdk');
    let aliceUrl = edges[0]!.url();
    const alice = observe('alice4', () => aliceUrl);
    const { sessionId } = await alice.client.join(room);
    aliceUrl = edges[1]!.url();
    const draining = edges[0]!.stop('SIGTERM');
    await waitFor(() => alice.messages.some((m) => m.type === 'resumed'), {
      timeoutMs: 15_000,
      message: 'alice resumed on the other edge',
    });
    expect(alice.messages.find((m) => m.type === 'notice')).toMatchObject({ kind: 'reconnect_elsewhere' });
    expect(alice.client.state).toMatchObject({ status: 'joined', sessionId });
    expect(alice.sessions).toEqual([sessionId]);
    await draining;
  });

  it('joins afresh when the resume fails (away past the departure timeout)', async () => {
    const room = randomId('sdk');
    let aliceUrl = edges[1]!.url();
    const alice = observe('alice3', () => aliceUrl);
    const bob = observe('bob3', () => edges[1]!.url());
    const first = await alice.client.join(room);
    await bob.client.join(room);
    await waitFor(() => bob.client.participants.size === 1, { message: 'bob sees alice' });

    aliceUrl = deadUrl;
    alice.client.dropConnection();
    // The room gives up on alice after ROOM_DEPARTURE_TIMEOUT (3 s): her session is over. The
    // bound is generous: under a loaded CI a projector partition may be rebuilding meanwhile.
    await waitFor(() => bob.messages.some((m) => m.type === 'participant_left'), {
      timeoutMs: 40_000,
      message: 'bob sees alice leave after the departure timeout',
    });
    aliceUrl = edges[1]!.url();
    await waitFor(() => alice.sessions.length === 2 && alice.client.state.status === 'joined', {
      timeoutMs: 15_000,
      message: 'alice joined again with a new session',
    });
    const failed = alice.messages.find((m) => m.type === 'resume_failed');
    expect(failed).toMatchObject({ sessionId: first.sessionId });
    expect(alice.sessions[1]).not.toBe(first.sessionId);
    expect(alice.client.lastSeq).toBeGreaterThan(first.seq);
    await waitFor(() => bob.client.participants.size === 1, { message: 'bob sees alice again' });
  }, 90_000);
});
