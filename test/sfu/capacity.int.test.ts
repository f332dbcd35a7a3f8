import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomTopicPrefix } from '../support/ids.js';
import { testInfra } from '../support/infra.js';
import { createTopics, deleteTopics } from '../support/kafka.js';
import type { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { killAll, type EdgeProcess } from '../edge/support/edge-process.js';
import type { MediaClient } from '@sig/media-peer';
import { SfuReports } from './support/sfu-reports.js';
import {
  allFlowing,
  dumpForDebugging,
  mediaClient,
  packetTable,
  snapshot,
  startMediaEdge,
  startProjector,
  startSfu,
} from './support/stack.js';

// A worker at its room limit refuses a new room with a clear error (sfu_capacity) to that room's
// clients, and the rooms it serves keep their media.

describe('SFU worker capacity (real Kafka, real processes)', () => {
  const prefix = randomTopicPrefix();
  let signaling: SfuReports;
  let edge: EdgeProcess;
  let projector: ServiceProcess;
  let sfu: ServiceProcess;
  const clients: MediaClient[] = [];

  beforeAll(async () => {
    await createTopics(prefix);
    signaling = new SfuReports(testInfra().kafkaBrokers, prefix);
    await signaling.start();
    [edge, projector, sfu] = await Promise.all([
      startMediaEdge(prefix),
      startProjector(prefix),
      startSfu(prefix, { SFU_MAX_ROOMS: '1', SFU_WORKER_ID: 'sfu-small' }),
    ]);
  });

  afterAll(async () => {
    dumpForDebugging([edge, projector, sfu], clients, signaling);
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([killAll([edge]), projector?.kill(), sfu?.kill()]);
    await signaling?.stop();
    await deleteTopics(prefix);
  });

  const join = async (room: string, identity: string) => {
    const c = await mediaClient(edge, identity, room);
    clients.push(c);
    await c.join();
    await c.publish();
    c.startMedia();
    return c;
  };

  it('a room beyond SFU_MAX_ROOMS is refused with sfu_capacity; the served room is not degraded', async () => {
    const served = `served-${randomUUID()}`;
    const pair = [await join(served, 'alice'), await join(served, 'bob')];
    await waitFor(() => allFlowing(pair, 50), {
      timeoutMs: 30_000,
      message: `the first room's media flows: ${JSON.stringify(packetTable(pair))}`,
    });

    const refusedRoom = `refused-${randomUUID()}`;
    const carol = await join(refusedRoom, 'carol');
    const rejection = await waitFor(() => carol.messages.find((m) => m.type === 'error'), {
      timeoutMs: 15_000,
      message: 'carol is told the media worker is full',
    });
    expect(rejection).toMatchObject({ type: 'error', code: 'sfu_capacity', retriable: true });
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
    expect(carol.messages.some((m) => m.type === 'media_signal')).toBe(false);
  });
});
