/**
 * Broker outage: while the edge's broker is down, a message with an id gets `kafka_unavailable`
 * (retriable) and never an ack; once the broker is back, the next message is acked by the same
 * edge process, without a restart. Uses a private broker so stopping it disturbs no other test.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomId } from '../support/ids.js';
import { TestClient } from './support/client.js';
import { killAll, startEdge, type EdgeProcess } from './support/edge-process.js';
import { edgeFixture, type EdgeFixture } from './support/fixture.js';
import { PrivateBroker } from './support/private-broker.js';
import { kafkaClient, Tap, topicName } from './support/kafka-tap.js';
import { bearer, token } from './support/tokens.js';

let broker: PrivateBroker;
let fx: EdgeFixture;
let edge: EdgeProcess;

beforeAll(async () => {
  broker = await PrivateBroker.create();
  fx = await edgeFixture(broker.brokers);
  edge = await startEdge(fx.env());
}, 180_000);

afterAll(async () => {
  await killAll([edge]);
  await broker?.dispose();
}, 60_000);

describe('broker outage', () => {
  test('no ack and a retriable kafka_unavailable while the broker is down; acks again once it is back', async () => {
    const room = randomId('room');
    const client = await TestClient.connect(edge.url(), { headers: bearer(await token({ sub: 'alice' })) });
    client.send({ type: 'join', id: 'join', room });
    expect(await client.answerTo('join')).toEqual({ type: 'ack', id: 'join' });

    await broker.stop();
    const sentAt = Date.now();
    client.send({ type: 'data', id: 'during-outage', payload: 'lost?' });
    const refused = await client.answerTo('during-outage', 60_000);
    expect(refused).toMatchObject({ type: 'error', id: 'during-outage', code: 'kafka_unavailable', retriable: true });
    const refusedAfterMs = Date.now() - sentAt;
    const ready = await fetch(`http://127.0.0.1:${edge.adminPort}/readyz`);
    expect(ready.status).toBe(503);

    await broker.start();
    client.send({ type: 'data', id: 'after-restart', payload: 'back' });
    expect(await client.answerTo('after-restart', 60_000)).toEqual({ type: 'ack', id: 'after-restart' });
    // Same process all along, and the client's connection survived the outage.
    expect(edge.child.exitCode).toBeNull();
    expect(client.isOpen).toBe(true);
    expect(client.received.some((m) => m.type === 'ack' && m['id'] === 'during-outage')).toBe(false);

    // The refused message was not logged; the later one was.
    const commands = await Tap.start(kafkaClient(broker.brokers), topicName('commands', fx.prefix), 'signal.Command');
    try {
      await commands.find(
        (c) => c.source.type === 'ClientSource' && c.source.requestId === 'after-restart',
        'the message sent after the restart',
      );
      expect(
        commands.records.some(
          (r) => r.value.source.type === 'ClientSource' && r.value.source.requestId === 'during-outage',
        ),
      ).toBe(false);
    } finally {
      await commands.stop();
    }
    console.info(`kafka_unavailable answered ${refusedAfterMs} ms after the send`);
    client.close();
  }, 240_000);
});
