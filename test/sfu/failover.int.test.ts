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
  expectedTracks,
  mediaClient,
  metricValue,
  packetTable,
  snapshot,
  startMediaEdge,
  startProjector,
  startSfu,
} from './support/stack.js';

// SFU workers in one consumer group. When the worker serving a room goes away its partitions
// move to another worker, which finds the room in the partition's media-command history and
// claims it; the projector tells the clients to re-publish (MediaReset); they do, with new
// connections, and media flows again through the new worker.

describe('SFU worker failover (real Kafka, several worker processes)', () => {
  const prefix = randomTopicPrefix();
  let signaling: SfuReports;
  let edge: EdgeProcess;
  let projector: ServiceProcess;
  const workers: ServiceProcess[] = [];
  const workerIds = new Map<ServiceProcess, string>();
  const clients: MediaClient[] = [];
  // The broker's minimum session timeout: a dead worker's rooms move after ~6 s.
  const sfuEnv = (id: string) => ({ SFU_GROUP_SESSION_TIMEOUT: '6s', SFU_WORKER_ID: id });

  beforeAll(async () => {
    await createTopics(prefix);
    signaling = new SfuReports(testInfra().kafkaBrokers, prefix);
    await signaling.start();
    [edge, projector] = await Promise.all([startMediaEdge(prefix), startProjector(prefix)]);
    // One after the other: the second one's readiness means the group's rebalance is complete.
    await startWorker('sfu-a');
    await startWorker('sfu-b');
  });

  afterAll(async () => {
    dumpForDebugging([edge, projector, ...workers], clients, signaling);
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([killAll([edge]), projector?.kill(), ...workers.map((w) => w.kill())]);
    await signaling?.stop();
    await deleteTopics(prefix);
  });

  const startWorker = async (id: string) => {
    const w = await startSfu(prefix, sfuEnv(id));
    workers.push(w);
    workerIds.set(w, id);
    return w;
  };

  /** Two clients in a new room, publishing, media flowing both ways. */
  const callOfTwo = async () => {
    const room = `failover-${randomUUID()}`;
    const pair = await Promise.all(['alice', 'bob'].map((identity) => mediaClient(edge, identity, room)));
    clients.push(...pair);
    for (const c of pair) await c.join();
    for (const c of pair) {
      await c.publish();
      c.startMedia();
    }
    await waitFor(() => allFlowing(pair, 50), {
      timeoutMs: 30_000,
      message: `media flows before the failover: ${JSON.stringify(packetTable(pair))}`,
    });
    return { room, pair };
  };

  const statuses = (room: string) =>
    signaling.sfuReports.flatMap((c) =>
      c.room === room && c.body.type === 'SfuRoomStatus' ? [`${c.body.status}:${c.body.workerId}`] : [],
    );

  /** The worker serving the room: the last one that accepted it on the log. */
  const ownerOf = async (room: string) => {
    const accepted = await waitFor(() => statuses(room).findLast((s) => s.startsWith('ACCEPTED:')), {
      message: `the room was accepted: ${JSON.stringify(statuses(room))}`,
    });
    // Reported ids are <SFU_WORKER_ID>.<incarnation>.
    const owner = workers.find((w) => accepted.startsWith(`ACCEPTED:${workerIds.get(w)}.`))!;
    expect(await metricValue(owner, 'signal_sfu_peer_connections')).toBeGreaterThanOrEqual(4);
    return owner;
  };

  /** Waits for MediaReset, re-publishes with new connections, waits for media; returns timings from `t0`. */
  /** MediaReset counts before a fault: the reset may arrive before the faulty worker has exited. */
  const resetCounts = (pair: readonly MediaClient[]) => new Map(pair.map((c) => [c, c.mediaResets]));
  const recover = async (pair: readonly MediaClient[], t0: number, resetsBefore: Map<MediaClient, number>) => {
    const before = new Map(pair.map((c) => [c, snapshot(c)]));
    for (const c of pair) {
      await waitFor(() => c.mediaResets > resetsBefore.get(c)!, {
        timeoutMs: 30_000,
        message: `${c.identity} is told to re-publish (MediaReset)`,
      });
    }
    const resetAt = Date.now();
    for (const c of pair) {
      await c.publish();
      c.startMedia();
    }
    const grew = (c: MediaClient, by: number) =>
      expectedTracks(c, pair).every((key) => (c.received.get(key)?.packets ?? 0) > (before.get(c)!.get(key) ?? 0) + by);
    await waitFor(() => pair.every((c) => grew(c, 0)), {
      timeoutMs: 20_000,
      message: `media flows again: ${JSON.stringify(packetTable(pair))}`,
    });
    const flowingAt = Date.now();
    await waitFor(() => pair.every((c) => grew(c, 50)), {
      timeoutMs: 20_000,
      message: `50 more packets per track: ${JSON.stringify(packetTable(pair))}`,
    });
    for (const c of pair) expect(c.errors).toEqual([]);
    return { toReset: resetAt - t0, toMedia: flowingAt - t0, republishToMedia: flowingAt - resetAt };
  };

  it('SIGKILL of the worker serving a room: the room moves after the session timeout and media flows again', async () => {
    const { room, pair } = await callOfTwo();
    const owner = await ownerOf(room);
    const survivor = workers.find((w) => w !== owner)!;

    const resets = resetCounts(pair);
    const killedAt = Date.now();
    await owner.kill();
    const t = await recover(pair, killedAt, resets);
    console.info(
      `failover after SIGKILL: kill → MediaReset ${t.toReset} ms, kill → media again ${t.toMedia} ms (re-publish → media ${t.republishToMedia} ms)`,
    );
    expect(await metricValue(survivor, 'signal_sfu_peer_connections')).toBe(4);
    // On the log: the dead worker accepted the room, the survivor claimed it (no release: it died).
    await waitFor(() => statuses(room).length >= 2, {
      message: `two room statuses on the log: ${JSON.stringify(statuses(room))}`,
    });
    const [first, second] = statuses(room);
    expect(statuses(room)).toHaveLength(2);
    expect(first!.startsWith(`ACCEPTED:${workerIds.get(owner)}.`)).toBe(true);
    expect(second!.startsWith(`ACCEPTED:${workerIds.get(survivor)}.`)).toBe(true);
    // The call ends: the survivor closes its connections.
    for (const c of pair) await c.leave();
    await waitFor(async () => (await metricValue(survivor, 'signal_sfu_peer_connections')) === 0, {
      message: 'the survivor closed the call',
    });
  });

  it('SIGTERM of the worker serving a room: it releases the room and exits in time; the room moves at once', async () => {
    await startWorker('sfu-c');
    const { room, pair } = await callOfTwo();
    const owner = await ownerOf(room);

    const resets = resetCounts(pair);
    const stoppedAt = Date.now();
    const exitCode = await owner.stop();
    const exitMs = Date.now() - stoppedAt;
    expect(exitCode).toBe(0);
    const t = await recover(pair, stoppedAt, resets);
    console.info(
      `drain on SIGTERM: exit ${exitMs} ms; MediaReset ${t.toReset} ms, media again ${t.toMedia} ms after SIGTERM`,
    );
    // No session timeout to wait for: the worker left the group when it stopped.
    expect(t.toReset).toBeLessThan(6000);
    await waitFor(() => statuses(room).length >= 3, {
      message: `three room statuses on the log: ${JSON.stringify(statuses(room))}`,
    });
    const [accepted, released, next] = statuses(room);
    expect(accepted).toMatch(/^ACCEPTED:/);
    expect(released).toBe(`RELEASED:${accepted!.split(':')[1]}`);
    expect(next).toMatch(/^ACCEPTED:/);
    expect(next).not.toBe(accepted);
  });
});
