/**
 * Zombie detection: with HEARTBEAT_INTERVAL=200ms and HEARTBEAT_TIMEOUT=600ms, a client that stops
 * answering the app-level pings is closed with 4006 within the timeout (plus one sweep tick), and
 * its disconnect is logged as ConnectionClosed HEARTBEAT_TIMEOUT so the projector can start the
 * departure grace period. A client that answers stays.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomId } from '../support/ids.js';
import { TestClient } from './support/client.js';
import { killAll, startEdge, type EdgeProcess } from './support/edge-process.js';
import { edgeFixture, type EdgeFixture } from './support/fixture.js';
import { kafkaClient, Tap, topicName } from './support/kafka-tap.js';
import { bearer, token } from './support/tokens.js';
import { waitFor } from '../support/wait.js';

const INTERVAL = 200;
const TIMEOUT = 600;

let fx: EdgeFixture;
let edge: EdgeProcess;
let commands: Tap<'signal.Command'>;

beforeAll(async () => {
  fx = await edgeFixture();
  edge = await startEdge(fx.env({ HEARTBEAT_INTERVAL: `${INTERVAL}ms`, HEARTBEAT_TIMEOUT: `${TIMEOUT}ms` }));
  commands = await Tap.start(kafkaClient(fx.brokers), topicName('commands', fx.prefix), 'signal.Command');
});

afterAll(async () => {
  await killAll([edge]);
  await commands?.stop();
  await fx?.dispose();
});

describe('heartbeat', () => {
  test('a dead client is closed with 4006 within the timeout and its disconnect is logged', async () => {
    const room = randomId('room');
    const live = await TestClient.connect(edge.url(), { headers: bearer(await token({ sub: 'live' })) });
    const dead = await TestClient.connect(edge.url(), {
      headers: bearer(await token({ sub: 'dead' })),
      autoPong: false,
    });
    dead.send({ type: 'join', id: 'j', room });
    expect(await dead.answerTo('j')).toEqual({ type: 'ack', id: 'j' });
    const lastFrameAt = dead.lastSentAt;

    const close = await dead.closeWithin(5000, 'the heartbeat timeout close');
    expect(close.code).toBe(4006);
    // Detected within the timeout plus one sweep tick (and a little scheduling slack).
    expect(close.at - lastFrameAt).toBeGreaterThanOrEqual(TIMEOUT - 50);
    expect(close.at - lastFrameAt).toBeLessThan(TIMEOUT + INTERVAL + 300);
    // It was pinged and did not answer (how many pings fit in the timeout depends on the sweep tick).
    expect(dead.received.filter((m) => m.type === 'ping').length).toBeGreaterThanOrEqual(1);

    const logged = await commands.find(
      (c) => c.body.type === 'ConnectionClosed' && c.room === room,
      'the ConnectionClosed command of the dead client',
    );
    expect(logged.value.body).toEqual({ type: 'ConnectionClosed', reason: 'HEARTBEAT_TIMEOUT', clean: false });
    expect(logged.value.source).toMatchObject({ type: 'ClientSource', identity: 'dead' });

    // The client that answers its pings outlives several timeouts.
    await waitFor(() => live.received.filter((m) => m.type === 'ping').length >= 6, {
      timeoutMs: 10_000,
      message: 'the live client answers 6 pings (two heartbeat timeouts)',
    });
    expect(live.isOpen).toBe(true);
    live.close();
  });
});
