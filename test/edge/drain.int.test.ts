/**
 * Graceful drain: on SIGTERM the edge stops accepting, tells every client to reconnect elsewhere
 * (with a deadline), closes the ones still there with 4005 at the deadline (logging their
 * disconnect as EDGE_DRAINING), flushes and exits within DRAIN_TIMEOUT — here 2 s.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomId } from '../support/ids.js';
import { TestClient } from './support/client.js';
import { killAll, startEdge, type EdgeProcess } from './support/edge-process.js';
import { edgeFixture, type EdgeFixture } from './support/fixture.js';
import { kafkaClient, Tap, topicName } from './support/kafka-tap.js';
import { bearer, token } from './support/tokens.js';

const DRAIN_MS = 2000;

let fx: EdgeFixture;
let edge: EdgeProcess;
let commands: Tap<'signal.Command'>;
let liveness: Tap<'signal.EdgeHeartbeat'>;

beforeAll(async () => {
  fx = await edgeFixture();
  edge = await startEdge(fx.env({ DRAIN_TIMEOUT: `${DRAIN_MS / 1000}s`, EDGE_LIVENESS_INTERVAL: '200ms' }));
  const kafka = kafkaClient(fx.brokers);
  commands = await Tap.start(kafka, topicName('commands', fx.prefix), 'signal.Command');
  liveness = await Tap.start(kafka, topicName('edgeLiveness', fx.prefix), 'signal.EdgeHeartbeat');
});

afterAll(async () => {
  await killAll([edge]);
  await Promise.all([commands?.stop(), liveness?.stop()]);
  await fx?.dispose();
});

describe('drain', () => {
  test('SIGTERM: every client gets reconnect_elsewhere, stragglers get 4005, the process exits within DRAIN_TIMEOUT', async () => {
    const room = randomId('room');
    const clients = await Promise.all(
      ['a', 'b', 'c'].map(async (sub) => TestClient.connect(edge.url(), { headers: bearer(await token({ sub })) })),
    );
    clients[0]!.send({ type: 'join', id: 'j', room });
    expect(await clients[0]!.answerTo('j')).toEqual({ type: 'ack', id: 'j' });
    await liveness.find(
      (h) => h.edgeId === edge.edgeId && h.state === 'RUNNING' && h.connections === 3,
      'a RUNNING heartbeat counting 3 connections',
    );

    const signalledAt = Date.now();
    edge.child.kill('SIGTERM');

    for (const client of clients) {
      const notice = await client.take((m) => m.type === 'notice', 'the reconnect_elsewhere notice', 5000);
      expect(notice).toMatchObject({ kind: 'reconnect_elsewhere' });
      expect(typeof notice['reason']).toBe('string');
      expect(notice['deadlineMs']).toBeGreaterThan(0);
      expect(notice['deadlineMs']).toBeLessThan(DRAIN_MS);
    }
    // One client follows the advice and leaves; the others stay until the deadline.
    clients[1]!.close(1000);
    for (const client of [clients[0]!, clients[2]!])
      expect((await client.closeWithin(DRAIN_MS + 1000)).code).toBe(4005);

    const exit = await edge.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(DRAIN_MS + 250);

    // The joined client's disconnect was flushed to the log before exit, and liveness said DRAINING.
    const closed = await commands.find(
      (c) => c.body.type === 'ConnectionClosed' && c.room === room,
      'the EDGE_DRAINING ConnectionClosed',
    );
    expect(closed.value.body).toEqual({ type: 'ConnectionClosed', reason: 'EDGE_DRAINING', clean: false });
    await liveness.find((h) => h.edgeId === edge.edgeId && h.state === 'DRAINING', 'a DRAINING heartbeat');
  });

  test('no new connection is accepted once the edge is gone', async () => {
    await edge.exited;
    await expect(TestClient.connect(edge.url(), { headers: bearer(await token({ sub: 'late' })) })).rejects.toThrow();
  });
});
