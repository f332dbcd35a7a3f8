import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomTopicPrefix } from '../support/ids.js';
import { testInfra } from '../support/infra.js';
import { createTopics, deleteTopics } from '../support/kafka.js';
import type { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { MediaClient } from './support/media-client.js';
import { Signaling } from './support/signaling.js';
import { allFlowing, dumpForDebugging, packetTable, snapshot, startProjector, startSfu } from './support/stack.js';

// A worker at its room limit refuses a new room with a clear error (sfu_capacity) to that room's
// clients, and the rooms it serves keep their media.

describe('SFU worker capacity (real Kafka, real processes)', () => {
  const prefix = randomTopicPrefix();
  let signaling: Signaling;
  let projector: ServiceProcess;
  let sfu: ServiceProcess;
  const clients: MediaClient[] = [];

  beforeAll(async () => {
    await createTopics(prefix);
    signaling = new Signaling(testInfra().kafkaBrokers, prefix);
    await Promise.all([signaling.start(), signaling.watchSfuReports()]);
    [projector, sfu] = await Promise.all([
      startProjector(prefix),
      startSfu(prefix, { SFU_MAX_ROOMS: '1', SFU_WORKER_ID: 'sfu-small' }),
    ]);
  });

  afterAll(async () => {
    dumpForDebugging([projector, sfu], clients, signaling);
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([projector?.kill(), sfu?.kill()]);
    await signaling?.stop();
    await deleteTopics(prefix);
  });

  const join = async (room: string, identity: string, slot: number) => {
    const c = new MediaClient({ identity, connectionId: `conn-${identity}-${randomUUID()}`, slot }, room, signaling);
    clients.push(c);
    await c.join();
    await waitFor(() => c.sessionId, { message: `${identity} joined` });
    await c.publish();
    c.startMedia();
    return c;
  };

  it('a room beyond SFU_MAX_ROOMS is refused with sfu_capacity; the served room is not degraded', async () => {
    const served = `served-${randomUUID()}`;
    const pair = [await join(served, 'alice', 40), await join(served, 'bob', 41)];
    await waitFor(() => allFlowing(pair, 50), {
      timeoutMs: 30_000,
      message: `the first room's media flows: ${JSON.stringify(packetTable(pair))}`,
    });

    const refusedRoom = `refused-${randomUUID()}`;
    const carol = await join(refusedRoom, 'carol', 42);
    const rejection = await waitFor(
      () => carol.events.find((e) => e.body.type === 'CommandRejected' && e.body.commandType === 'SfuRoomStatus'),
      { timeoutMs: 15_000, message: 'carol is told the media worker is full' },
    );
    expect(rejection.body).toMatchObject({ type: 'CommandRejected', code: 'sfu_capacity' });
    expect(
      signaling.sfuReports.some(
        (c) =>
          c.room === refusedRoom &&
          c.body.type === 'SfuRoomStatus' &&
          c.body.status === 'REFUSED' &&
          c.body.code === 'sfu_capacity',
      ),
    ).toBe(true);

    // The served room keeps flowing: 100 more packets per track after the refusal.
    const at = new Map(pair.map((c) => [c, snapshot(c)]));
    await waitFor(
      () => pair.every((c) => [...at.get(c)!].every(([key, n]) => (c.received.get(key)?.packets ?? 0) > n + 100)),
      {
        timeoutMs: 15_000,
        message: `the served room keeps its media: ${JSON.stringify(packetTable(pair))}`,
      },
    );
    for (const c of pair) expect(c.errors).toEqual([]);
    // The refused room got no media state: carol never got an answer, in all that time.
    expect(carol.events.some((e) => e.body.type === 'MediaSignal')).toBe(false);
  });
});
