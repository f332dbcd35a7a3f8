/**
 * Regression (found by the fault suite): large data messages must not wedge a projector
 * partition. A backlog of near-maximum payloads (logged while no projector ran) makes one
 * transaction's batch, and a resume after missing them makes one RESUME delivery, bigger than the
 * broker's largest record batch (1 MiB by default); both must still be delivered, in order,
 * exactly once. Before the fix the transaction failed with a non-retriable error and was retried
 * forever: the partition, and every room on it, was stuck.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, type Msg } from '../edge/support/client.js';
import { killAll, startEdge, type EdgeProcess } from '../edge/support/edge-process.js';
import { edgeFixture, type EdgeFixture } from '../edge/support/fixture.js';
import { bearer, token } from '../edge/support/tokens.js';
import { randomId } from '../support/ids.js';
import { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';

const PAD = 'x'.repeat(50_000);
const payloads = (c: TestClient) =>
  c.received.filter((m) => m.type === 'data').map((m) => (m['payload'] as string).split('|')[0]);

describe('large data messages', () => {
  let fx: EdgeFixture;
  let projector: ServiceProcess;
  const edges: EdgeProcess[] = [];

  beforeAll(async () => {
    fx = await edgeFixture();
    projector = await ServiceProcess.start('projector', { ...fx.env(), ROOM_DEPARTURE_TIMEOUT: '60s' });
    edges.push(await startEdge(fx.env({ EDGE_ID: 'edge-large' })));
  });

  afterAll(async () => {
    await killAll(edges);
    await projector?.kill();
    await fx?.dispose();
  });

  const join = async (identity: string, room: string) => {
    const c = await TestClient.connect(edges[0]!.url(), { headers: bearer(await token({ sub: identity })) });
    c.send({ type: 'join', id: 'j', room });
    const joined = await c.take((m) => m.type === 'joined', 'joined', 20_000);
    return { c, joined };
  };

  it('a backlog bigger than a broker batch is delivered in full, and so is a resume that missed it', async () => {
    const room = randomId('room');
    const { c: alice } = await join('alice', room);
    const { c: bob, joined } = await join('bob', room);
    // No projector while 2 MB are logged: the next one decides them in one transaction.
    await projector.kill();
    const burst = Array.from({ length: 40 }, (_, i) => `live${i}`);
    for (const p of burst) alice.send({ type: 'data', id: p, payload: `${p}|${PAD}` });
    await waitFor(() => burst.every((p) => alice.received.some((m: Msg) => m.type === 'ack' && m['id'] === p)), {
      timeoutMs: 30_000,
      message: 'every message of the backlog acked',
    });
    projector = await ServiceProcess.start('projector', { ...fx.env(), ROOM_DEPARTURE_TIMEOUT: '60s' });
    await waitFor(() => payloads(bob).length >= burst.length, {
      timeoutMs: 60_000,
      message: `bob received the 2 MB backlog (got ${payloads(bob).length})`,
    });
    expect(payloads(bob)).toEqual(burst);

    // Bob drops without a close frame; alice sends another 2 MB; bob resumes and gets it all.
    const lastSeq = Math.max(
      ...bob.received.filter((m) => typeof m['seq'] === 'number').map((m) => m['seq'] as number),
    );
    bob.close(4000);
    await bob.closed;
    const missed = Array.from({ length: 40 }, (_, i) => `missed${i}`);
    for (const p of missed) alice.send({ type: 'data', id: p, payload: `${p}|${PAD}` });
    await waitFor(() => missed.every((p) => alice.received.some((m: Msg) => m.type === 'ack' && m['id'] === p)), {
      timeoutMs: 30_000,
      message: 'every missed message acked',
    });
    const again = await TestClient.connect(edges[0]!.url(), { headers: bearer(await token({ sub: 'bob' })) });
    again.send({ type: 'join', id: 'r', room, resume: { sessionId: joined['sessionId'], lastSeq } });
    const resumed = await again.take((m) => m.type === 'resumed', 'resumed', 30_000);
    expect(payloads(again)).toEqual(missed);
    // Split over several records, `replayed` still counts every missed event.
    expect(resumed['replayed']).toBe(
      again.received.filter((m) => typeof m['seq'] === 'number' && m.type !== 'resumed').length,
    );
    for (const c of [alice, again]) c.close();
  });
});

describe('snapshots of rooms with large resume windows', () => {
  let fx: EdgeFixture;
  let projector: ServiceProcess;
  const edges: EdgeProcess[] = [];
  // Snapshot often, so that the window of the room below (40 × 50 KB) is in a snapshot round.
  const env = () => ({ ...fx.env(), ROOM_DEPARTURE_TIMEOUT: '60s', SNAPSHOT_EVERY_EVENTS: '30' });

  beforeAll(async () => {
    fx = await edgeFixture();
    projector = await ServiceProcess.start('projector', env());
    edges.push(await startEdge(fx.env({ EDGE_ID: 'edge-snapshots' })));
  });

  afterAll(async () => {
    await killAll(edges);
    await projector?.kill();
    await fx?.dispose();
  });

  it('never wedge the partition (before the fix: delivery stopped at the first snapshot over 1 MiB); a rebuild stays exact', async () => {
    const room = randomId('room');
    const clients: TestClient[] = [];
    for (const identity of ['alice', 'bob']) {
      const c = await TestClient.connect(edges[0]!.url(), { headers: bearer(await token({ sub: identity })) });
      c.send({ type: 'join', id: 'j', room });
      await c.take((m) => m.type === 'joined', 'joined', 20_000);
      clients.push(c);
    }
    const [alice, bob] = clients as [TestClient, TestClient];
    const sent = Array.from({ length: 40 }, (_, i) => `big${i}`);
    for (const p of sent) {
      alice.send({ type: 'data', id: p, payload: `${p}|${PAD}` });
      await alice.answerTo(p);
    }
    await waitFor(() => payloads(bob).length >= sent.length, {
      timeoutMs: 30_000,
      message: `bob received all 40 (got ${payloads(bob).length})`,
    });
    // A new projector rebuilds the partition (from the last checkpoint it could write) and goes on.
    await projector.kill();
    projector = await ServiceProcess.start('projector', env());
    alice.send({ type: 'data', id: 'after', payload: 'after' });
    await waitFor(() => payloads(bob).includes('after'), { timeoutMs: 30_000, message: 'bob received "after"' });
    expect(payloads(bob)).toEqual([...sent, 'after']);
    for (const c of clients) c.close();
  });
});
