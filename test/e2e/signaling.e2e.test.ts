import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../support/ids.js';
import { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { TestClient, type Msg } from '../edge/support/client.js';
import { killAll, startEdge, type EdgeProcess } from '../edge/support/edge-process.js';
import { edgeFixture, type EdgeFixture } from '../edge/support/fixture.js';
import { bearer, token } from '../edge/support/tokens.js';

// The whole signaling path with real processes: WebSocket → edge → Kafka → projector → Kafka →
// edge → WebSocket. What a client app observes is what is asserted.

const seqOf = (m: Msg) => m['seq'] as number;
const dataPayloads = (c: TestClient) => c.received.filter((m) => m.type === 'data').map((m) => m['payload'] as string);

describe('signaling through edges and projector', () => {
  let fx: EdgeFixture;
  let projector: ServiceProcess;
  const edges: EdgeProcess[] = [];
  const clients: TestClient[] = [];

  const connect = async (edge: EdgeProcess, identity: string) => {
    const c = await TestClient.connect(edge.url(), { headers: bearer(await token({ sub: identity })) });
    clients.push(c);
    return c;
  };
  const join = async (c: TestClient, room: string) => {
    c.send({ type: 'join', id: 'join', room });
    await c.answerTo('join');
    return c.take((m) => m.type === 'joined', 'joined', 20_000);
  };

  beforeAll(async () => {
    fx = await edgeFixture();
    projector = await ServiceProcess.start('projector', {
      ...fx.env(),
      EDGE_LIVENESS_GRACE: '10m',
      ROOM_DEPARTURE_TIMEOUT: '60s',
    });
    edges.push(await startEdge(fx.env({ EDGE_ID: 'edge-a' })), await startEdge(fx.env({ EDGE_ID: 'edge-b' })));
  });

  afterAll(async () => {
    for (const c of clients) if (c.isOpen) c.close();
    await killAll(edges);
    await projector?.kill();
    await fx?.dispose();
  });

  it('three clients on two edges share one ordered room history; offers reach only their target', async () => {
    const room = randomId('room');
    const alice = await connect(edges[0]!, 'alice');
    const bob = await connect(edges[1]!, 'bob');
    const carol = await connect(edges[0]!, 'carol');
    const aliceJoined = await join(alice, room);
    expect(aliceJoined['participants']).toEqual([]);
    const bobJoined = await join(bob, room);
    expect((bobJoined['participants'] as Msg[]).map((p) => p['identity'])).toEqual(['alice']);
    await join(carol, room);
    await alice.take(
      (m) => m.type === 'participant_joined' && (m['participant'] as Msg)['identity'] === 'carol',
      'carol joined (alice)',
    );

    alice.send({ type: 'signal', id: 'offer', to: 'bob', kind: 'offer', sdp: 'v=0\r\n' });
    await alice.answerTo('offer');
    const offer = await bob.take((m) => m.type === 'signal', 'the offer at bob');
    expect(offer).toMatchObject({ from: 'alice', kind: 'offer', sdp: 'v=0\r\n' });

    for (let i = 0; i < 10; i++) [alice, bob, carol][i % 3]!.send({ type: 'data', id: `d${i}`, payload: `m${i}` });
    await waitFor(() => [alice, bob, carol].every((c) => c.received.filter((m) => m.type === 'data').length >= 6), {
      message: 'everyone received the others’ data messages',
    });
    expect(carol.received.some((m) => m.type === 'signal')).toBe(false);
    for (const c of [alice, bob, carol]) {
      const seqs = c.received.filter((m) => typeof m['seq'] === 'number').map(seqOf);
      expect(seqs, 'strictly increasing room sequence').toEqual([...new Set(seqs)].sort((x, y) => x - y));
    }
  });

  it('an edge killed with SIGKILL loses nothing: its client resumes on another edge and gets exactly what it missed', async () => {
    const room = randomId('room');
    const victimEdge = await startEdge(fx.env({ EDGE_ID: 'edge-victim' }));
    edges.push(victimEdge);
    const talker = await connect(edges[1]!, 'talker');
    const listener = await connect(victimEdge, 'listener');
    await join(talker, room);
    const joined = await join(listener, room);
    const sessionId = joined['sessionId'] as string;

    for (let i = 0; i < 20; i++) talker.send({ type: 'data', id: `before${i}`, payload: `before${i}` });
    await waitFor(() => dataPayloads(listener).length === 20, { message: 'listener received the first 20' });
    const lastSeq = Math.max(...listener.received.filter((m) => typeof m['seq'] === 'number').map(seqOf));

    await victimEdge.stop('SIGKILL');
    // The talker keeps talking while the listener has no socket; every message is acked (durable).
    for (let i = 0; i < 30; i++) talker.send({ type: 'data', id: `during${i}`, payload: `during${i}` });
    await waitFor(
      () => talker.received.filter((m) => m.type === 'ack' && String(m['id']).startsWith('during')).length === 30,
      {
        message: 'all 30 messages sent during the outage acked',
      },
    );

    const resumed = await connect(edges[0]!, 'listener');
    resumed.send({ type: 'join', id: 'resume', room, resume: { sessionId, lastSeq } });
    await resumed.take((m) => m.type === 'resumed', 'resumed', 20_000);
    expect(dataPayloads(resumed)).toEqual(Array.from({ length: 30 }, (_, i) => `during${i}`));
    const seqs = resumed.received.filter((m) => typeof m['seq'] === 'number').map(seqOf);
    expect(seqs.every((s) => s > lastSeq)).toBe(true);

    // And live traffic continues on the new edge.
    talker.send({ type: 'data', id: 'after', payload: 'after' });
    await waitFor(() => dataPayloads(resumed).includes('after'), { message: 'live message after resume' });
    expect(dataPayloads(resumed).filter((p) => p === 'after')).toHaveLength(1);
  });
});

describe('edge loss detected through liveness', () => {
  let fx: EdgeFixture;
  let projector: ServiceProcess;
  const edges: EdgeProcess[] = [];

  beforeAll(async () => {
    fx = await edgeFixture();
    projector = await ServiceProcess.start('projector', {
      ...fx.env(),
      ROOM_DEPARTURE_TIMEOUT: '1500ms',
      EDGE_LIVENESS_GRACE: '10m',
    });
    for (const id of ['edge-stays', 'edge-dies'])
      edges.push(await startEdge(fx.env({ EDGE_ID: id, EDGE_LIVENESS_INTERVAL: '300ms' })));
  });

  afterAll(async () => {
    await killAll(edges);
    await projector?.kill();
    await fx?.dispose();
  });

  it('participants of a dead edge go reconnecting, then leave with departure_timeout; others are told in order', async () => {
    const room = randomId('room');
    const stays = await TestClient.connect(edges[0]!.url(), { headers: bearer(await token({ sub: 'stays' })) });
    const goner = await TestClient.connect(edges[1]!.url(), { headers: bearer(await token({ sub: 'goner' })) });
    for (const c of [stays, goner]) {
      c.send({ type: 'join', id: 'j', room });
      await c.take((m) => m.type === 'joined', 'joined', 20_000);
    }
    const killedAt = Date.now();
    await edges[1]!.stop('SIGKILL');
    const reconnecting = await stays.take(
      (m) => m.type === 'participant_updated' && m['status'] === 'reconnecting',
      'goner reconnecting',
      15_000,
    );
    const left = await stays.take((m) => m.type === 'participant_left', 'goner left', 15_000);
    expect(reconnecting['identity']).toBe('goner');
    expect(left).toMatchObject({ identity: 'goner', reason: 'departure_timeout' });
    expect(seqOf(left)).toBeGreaterThan(seqOf(reconnecting));
    // Detection (3 missed 300 ms beats) plus the 1.5 s grace, with room for scheduling.
    expect(Date.now() - killedAt).toBeLessThan(8000);
    stays.close();
  });
});
