/**
 * Deliveries: a Delivery record produced by hand to the edge's reply slot (as the projector would)
 * reaches the listed connection, rendered to the client protocol with its seq. Records addressed
 * to another edge sharing the slot are dropped.
 */
import { createHmac } from 'node:crypto';
import { AvroCodec, type Delivery } from '@sig/schemas';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomId } from '../support/ids.js';
import { TestClient } from './support/client.js';
import { killAll, startEdge, type EdgeProcess } from './support/edge-process.js';
import { edgeFixture, type EdgeFixture } from './support/fixture.js';
import { kafkaClient, schemas, Tap, topicName } from './support/kafka-tap.js';
import { participant, roomEvent } from './support/room-events.js';
import { bearer, token } from './support/tokens.js';

const TURN_SECRET = 'delivery-test-turn-secret';

let fx: EdgeFixture;
let edge: EdgeProcess;
let producer: Producer;
let commands: Tap<'signal.Command'>;
const deliveryCodec = new AvroCodec(schemas, 'signal.Delivery');

beforeAll(async () => {
  fx = await edgeFixture();
  edge = await startEdge(
    fx.env({
      STUN_URLS: 'stun:stun.example.org:3478',
      TURN_URLS: 'turn:turn.example.org:3478',
      TURN_SECRET,
      TURN_TTL: '1h',
    }),
  );
  const kafka = kafkaClient(fx.brokers);
  producer = kafka.producer();
  await producer.connect();
  commands = await Tap.start(kafka, topicName('commands', fx.prefix), 'signal.Command');
});

afterAll(async () => {
  await killAll([edge]);
  await producer?.disconnect();
  await commands?.stop();
  await fx?.dispose();
});

async function deliver(delivery: Delivery, partition = edge.replySlot): Promise<void> {
  await producer.send({
    topic: topicName('deliveries', fx.prefix),
    messages: [{ partition, key: delivery.room, value: deliveryCodec.encode(delivery) }],
  });
}

describe('deliveries', () => {
  test("records on the edge's slot reach the listed connection, rendered with their seq", async () => {
    const room = randomId('room');
    const client = await TestClient.connect(edge.url(), { headers: bearer(await token({ sub: 'alice' })) });
    client.send({ type: 'join', id: 'j', room });
    await client.answerTo('j');
    const join = await commands.find(
      (c) => c.source.type === 'ClientSource' && c.source.requestId === 'j' && c.room === room,
      'the Join command',
    );
    if (join.value.source.type !== 'ClientSource') throw new Error('not a client command');
    const { connectionId, edgeId, replySlot } = join.value.source;
    expect({ edgeId, replySlot }).toEqual({ edgeId: edge.edgeId, replySlot: edge.replySlot });

    // Another edge sharing the slot: dropped here.
    await deliver({
      edgeId: 'some-other-edge',
      room,
      connectionIds: [connectionId],
      kind: 'LIVE',
      events: [roomEvent(room, 1, { type: 'RoomMetadataChanged', metadata: 'not for you', by: 'x' })],
    });
    await deliver({
      edgeId,
      room,
      connectionIds: [connectionId],
      kind: 'LIVE',
      events: [
        roomEvent(room, 1, {
          type: 'RoomOpened',
          maxParticipants: 10,
          emptyTimeoutMs: 300_000,
          departureTimeoutMs: 20_000,
        }),
        roomEvent(
          room,
          2,
          {
            type: 'JoinAccepted',
            self: participant('s-alice', 'alice'),
            participants: [participant('s-bob', 'bob')],
            roomMetadata: 'hello',
            replaced: null,
          },
          'j',
        ),
      ],
    });
    const joined = await client.take((m) => m.type === 'joined', 'the joined message');
    expect(joined).toMatchObject({
      seq: 2,
      room,
      sessionId: 's-alice',
      roomMetadata: 'hello',
      heartbeat: { intervalMs: 5000, timeoutMs: 15000 },
    });
    expect((joined['participants'] as { identity: string }[]).map((p) => p.identity)).toEqual(['bob']);
    const [stun, turn] = joined['iceServers'] as { urls: string[]; username?: string; credential?: string }[];
    expect(stun).toEqual({ urls: ['stun:stun.example.org:3478'] });
    expect(turn!.username).toMatch(/^\d+:alice$/);
    expect(Number(turn!.username!.split(':')[0]) * 1000 - Date.now()).toBeGreaterThan(3_500_000);
    expect(turn!.credential).toBe(createHmac('sha1', TURN_SECRET).update(turn!.username!).digest('base64'));

    // Live events after the join, to this connection (and to one this edge no longer has).
    await deliver({
      edgeId,
      room,
      connectionIds: [connectionId, 'gone-connection'],
      kind: 'LIVE',
      events: [
        roomEvent(room, 3, {
          type: 'TrackPublished',
          sessionId: 's-bob',
          identity: 'bob',
          track: { trackId: 'cam', kind: 'VIDEO', source: 'CAMERA', muted: false, mid: null },
        }),
        roomEvent(room, 4, {
          type: 'DataRelayed',
          from: 's-bob',
          fromIdentity: 'bob',
          payload: 'hi alice',
          topic: null,
        }),
        roomEvent(
          room,
          5,
          {
            type: 'CommandRejected',
            commandId: 'c',
            code: 'participant_not_found',
            message: 'no carol',
            commandType: 'KickParticipant',
          },
          'k1',
        ),
      ],
    });
    expect(await client.take((m) => m.type === 'track_published', 'track_published')).toEqual({
      type: 'track_published',
      seq: 3,
      sessionId: 's-bob',
      identity: 'bob',
      track: { trackId: 'cam', kind: 'video', source: 'camera', muted: false },
    });
    expect(await client.take((m) => m.type === 'data', 'data')).toEqual({
      type: 'data',
      seq: 4,
      from: 'bob',
      fromSessionId: 's-bob',
      payload: 'hi alice',
    });
    expect(await client.answerTo('k1')).toEqual({
      type: 'error',
      id: 'k1',
      code: 'participant_not_found',
      message: 'no carol',
      retriable: false,
      seq: 5,
    });
    // Nothing from the record addressed to the other edge ever arrived.
    expect(client.received.some((m) => m.type === 'room_updated')).toBe(false);
    expect(client.received.filter((m) => 'seq' in m).map((m) => m['seq'])).toEqual([2, 3, 4, 5]);

    // Kicked by an admin: participant_left, notice kicked, close 4002.
    await deliver({
      edgeId,
      room,
      connectionIds: [connectionId],
      kind: 'LIVE',
      events: [
        roomEvent(room, 6, { type: 'ParticipantLeft', sessionId: 's-alice', identity: 'alice', reason: 'KICKED' }),
      ],
    });
    expect(await client.take((m) => m.type === 'participant_left', 'participant_left')).toMatchObject({
      seq: 6,
      reason: 'kicked',
    });
    expect(await client.take((m) => m.type === 'notice', 'the kicked notice')).toMatchObject({ kind: 'kicked' });
    expect((await client.closeWithin(5000)).code).toBe(4002);
  });
});
