/**
 * "Log, then ack": the ack of a message arrives only once its Command is in signal.commands. At
 * the moment the client holds the ack, the partition's high watermark already covers the record,
 * and the record decodes to exactly what the client sent. Socket closes of joined connections are
 * logged as ConnectionClosed.
 */
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomId } from '../support/ids.js';
import { TestClient } from './support/client.js';
import { killAll, startEdge, type EdgeProcess } from './support/edge-process.js';
import { edgeFixture, type EdgeFixture } from './support/fixture.js';
import { highWatermarks, kafkaClient, Tap, topicName } from './support/kafka-tap.js';
import { bearer, token } from './support/tokens.js';

let fx: EdgeFixture;
let edge: EdgeProcess;
let admin: Admin;
let commands: Tap<'signal.Command'>;

beforeAll(async () => {
  fx = await edgeFixture();
  edge = await startEdge(fx.env());
  const kafka = kafkaClient(fx.brokers);
  admin = kafka.admin();
  await admin.connect();
  commands = await Tap.start(kafka, topicName('commands', fx.prefix), 'signal.Command');
});

afterAll(async () => {
  await killAll([edge]);
  await commands?.stop();
  await admin?.disconnect();
  await fx?.dispose();
});

describe('log, then ack', () => {
  test('a join is acked only after its Command is in Kafka, keyed by room, with trace headers', async () => {
    const room = randomId('room');
    const client = await TestClient.connect(edge.url(), {
      headers: bearer(await token({ sub: 'alice', extra: { metadata: 'm' } })),
    });
    client.send({ type: 'join', id: 'join-1', room, metadata: '{"role":"host"}' });
    expect(await client.answerTo('join-1')).toEqual({ type: 'ack', id: 'join-1' });
    const watermarks = await highWatermarks(admin, topicName('commands', fx.prefix));

    const record = await commands.find(
      (c) => c.source.type === 'ClientSource' && c.source.requestId === 'join-1',
      'the Join command with requestId join-1',
    );
    // Written before the ack: the watermark read right after the ack already covers it.
    expect(record.offset).toBeLessThan(watermarks.get(record.partition)!);
    expect(record.key).toBe(room);
    expect(record.headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(record.headers['message-id']).toBe(record.value.commandId);
    const { value } = record;
    expect(value.room).toBe(room);
    expect(value.commandId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(value.receivedAt - Date.now())).toBeLessThan(30_000);
    expect(value.body).toEqual({ type: 'Join', metadata: '{"role":"host"}', resume: null });
    expect(value.source).toMatchObject({
      type: 'ClientSource',
      edgeId: edge.edgeId,
      replySlot: edge.replySlot,
      identity: 'alice',
      name: 'ALICE',
      grants: {
        roomJoin: true,
        roomAdmin: false,
        canPublish: true,
        canSubscribe: true,
        canPublishData: true,
        hidden: false,
      },
    });

    // Per-connection order is log order; a message without id is logged but not acked.
    client.send({ type: 'data', payload: 'first' });
    client.send({ type: 'data', id: 'd2', payload: 'second' });
    client.send({ type: 'data', id: 'd3', payload: 'third' });
    expect(await client.answerTo('d2')).toEqual({ type: 'ack', id: 'd2' });
    expect(await client.answerTo('d3')).toEqual({ type: 'ack', id: 'd3' });
    await commands.find(
      (c) => c.source.type === 'ClientSource' && c.source.requestId === 'd3',
      'the third data command',
    );
    const mine = commands.records.filter((r) => r.value.source.type === 'ClientSource' && r.value.room === room);
    expect(mine.map((r) => r.value.body.type === 'SendData' && r.value.body.payload).filter(Boolean)).toEqual([
      'first',
      'second',
      'third',
    ]);
    expect(client.received.filter((m) => m.type === 'ack').map((m) => m['id'])).toEqual(['join-1', 'd2', 'd3']);

    // A deliberate close (1000) of a joined connection is logged as a clean ConnectionClosed.
    const connectionId = value.source.type === 'ClientSource' ? value.source.connectionId : '';
    client.close(1000);
    const closed = await commands.find(
      (c) =>
        c.body.type === 'ConnectionClosed' &&
        c.source.type === 'ClientSource' &&
        c.source.connectionId === connectionId,
      'the ConnectionClosed command of the closed connection',
    );
    expect(closed.value.body).toEqual({ type: 'ConnectionClosed', reason: 'CLIENT_CLOSED', clean: true });
    expect(closed.value.room).toBe(room);
  });

  test('ping, pong and refresh_token are answered by the edge and never logged', async () => {
    const client = await TestClient.connect(edge.url(), {
      headers: bearer(await token({ sub: 'bob', expiresIn: 120 })),
    });
    client.send({ type: 'ping', id: 'p1', ts: 7 });
    expect(await client.answerTo('p1')).toEqual({ type: 'ack', id: 'p1' });
    client.send({ type: 'refresh_token', id: 'r1', token: await token({ sub: 'bob', expiresIn: 3600 }) });
    expect(await client.answerTo('r1')).toEqual({ type: 'ack', id: 'r1' });
    client.send({ type: 'refresh_token', id: 'r2', token: await token({ sub: 'mallory' }) });
    expect(await client.answerTo('r2')).toMatchObject({ type: 'error', code: 'forbidden' });
    client.send({ type: 'join', id: 'j', room: randomId('room') });
    await client.answerTo('j');
    // The ack means the Join is durable; the test's own consumer may not have read it yet.
    await commands.find(
      (c) => c.body.type === 'Join' && c.source.type === 'ClientSource' && c.source.identity === 'bob',
      "bob's Join command",
    );
    const logged = commands.records.filter(
      (r) => r.value.source.type === 'ClientSource' && r.value.source.identity === 'bob',
    );
    expect(logged.map((r) => r.value.body.type)).toEqual(['Join']);
    client.close();
  });
});
