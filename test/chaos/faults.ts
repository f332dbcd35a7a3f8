/**
 * The faults, one function each: inject, wait for recovery (timed from the injection), and bring
 * back a replacement where a supervisor would, so that the next fault starts from a full stack.
 */
import type { EdgeProcess } from '../edge/support/edge-process.js';
import { metricValue } from '../sfu/support/stack.js';
import { waitFor } from '../support/wait.js';
import { counterIn } from './prom-text.js';
import type { ChaosRun, FaultOutcome } from './scenario.js';
import type { ChaosClient } from './support/chaos-client.js';

export const FAULT_NAMES = [
  'projector-kill',
  'edge-kill',
  'sfu-kill',
  'broker-restart',
  'redis-outage',
  'slow-consumer',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/** A counter of the edge's /metrics (see counterIn). */
async function edgeCounter(edge: EdgeProcess, name: string, labels: Readonly<Record<string, string>>): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${edge.adminPort}/metrics`)).text();
  return counterIn(text, name, labels);
}

/** The edge's /metrics lines of the close and send counters, to say where a slow-consumer run stopped. */
async function edgeCloseStats(edge: EdgeProcess): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${edge.adminPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) =>
      /^signal_(connections_closed_total|connections |edge_deliveries_dropped_total|messages_out_total)/.test(l),
    )
    .join('; ');
}

/** Events the running edges did not send because they had sent that seq on that connection already. */
export async function duplicateDrops(run: ChaosRun): Promise<number> {
  const counts = await Promise.all(
    run.stack.edges.map((e) => edgeCounter(e, 'signal_edge_deliveries_dropped_total', { reason: 'duplicate_seq' })),
  );
  return counts.reduce((a, b) => a + b, 0);
}

const clientsOn = (run: ChaosRun, edge: EdgeProcess): ChaosClient[] =>
  run.clients.filter((c) => c.edgeUrl === edge.url());

async function projectorKill(run: ChaosRun): Promise<FaultOutcome> {
  const victim = run.stack.projectors[0]!;
  const t0 = run.injected();
  await run.stack.killProjector(victim);
  const recoveryMs = await run.recovered(t0, 'a projector SIGKILL');
  // A supervisor restarts it: partitions move back (a second rebalance under load).
  await run.stack.startProjector();
  return { recoveryMs, notes: ['SIGKILL of 1 of 2 projectors; a replacement started after recovery'], failures: [] };
}

async function edgeKill(run: ChaosRun): Promise<FaultOutcome> {
  const victim = [...run.stack.edges].sort((a, b) => clientsOn(run, b).length - clientsOn(run, a).length)[0]!;
  const moved = clientsOn(run, victim);
  const t0 = run.injected();
  await run.stack.killEdge(victim);
  const recoveryMs = await run.recovered(t0, 'an edge SIGKILL');
  const failures = moved
    .filter((c) => !c.resumes.some((r) => r.at >= t0))
    .map((c) => `${c.identity} was on the killed edge but did not resume`);
  await run.stack.startEdge();
  return {
    recoveryMs,
    notes: [`SIGKILL of ${victim.edgeId}: ${moved.length} clients resumed on other edges`],
    failures,
  };
}

async function sfuKill(run: ChaosRun): Promise<FaultOutcome> {
  const pubs = run.publishers;
  if (pubs.length === 0) throw new Error('sfu-kill needs publishers (connectAll with the sfu-kill fault)');
  const counts = await Promise.all(run.stack.sfus.map((s) => metricValue(s, 'signal_sfu_peer_connections')));
  const owner = run.stack.sfus[counts.findIndex((n) => n > 0)];
  if (owner === undefined)
    throw new Error(`no SFU worker holds the publishers' connections: ${JSON.stringify(counts)}`);
  const resets = pubs.map((p) => p.resets);
  const answers = pubs.map((p) => p.answers);
  const t0 = run.injected();
  await run.stack.killSfu(owner);
  await waitFor(() => pubs.every((p, i) => p.resets > resets[i]!), {
    timeoutMs: 30_000,
    message: 'every publisher is told media_reset',
  });
  const resetMs = Date.now() - t0;
  for (const p of pubs) await p.publish();
  await waitFor(() => pubs.every((p, i) => p.answers > answers[i]!), {
    timeoutMs: 30_000,
    message: 'every re-publish answered by the surviving worker',
  });
  const answeredMs = Date.now() - t0;
  const recoveryMs = await run.recovered(t0, 'an SFU worker SIGKILL');
  await run.stack.startSfu();
  return {
    recoveryMs,
    notes: [
      `SIGKILL of the worker serving the media room: media_reset after ${resetMs} ms, re-publish answered after ${answeredMs} ms`,
    ],
    failures: [],
  };
}

async function brokerRestart(run: ChaosRun): Promise<FaultOutcome> {
  const t0 = run.injected();
  await run.stack.broker.stop();
  const downAt = Date.now();
  await run.stack.broker.start();
  const downMs = Date.now() - downAt;
  const recoveryMs = await run.recovered(t0, 'the broker restart');
  // Every edge stayed up: a projector that judges one dead (no heartbeat could be written while the
  // broker was down) turns its clients `reconnecting` for their room-mates, then removes them.
  const failures = run.clients.flatMap((c) =>
    c.reconnectingSeen
      .filter((r) => r.at >= t0)
      .map((r) => `${c.identity} was told ${r.identity} is reconnecting, though no edge or socket failed`),
  );
  return {
    recoveryMs,
    notes: [`broker stopped (SIGTERM) and started again: down ${downMs} ms`],
    failures: failures.slice(0, 10),
  };
}

async function redisOutage(run: ChaosRun): Promise<FaultOutcome> {
  const t0 = run.injected();
  await run.stack.redis.stop();
  // The outage lasts this long under load (its length, not a synchronisation).
  await new Promise((resolve) => setTimeout(resolve, run.o.redisOutageMs));
  await run.stack.redis.start();
  const recoveryMs = await run.recovered(t0, 'the Redis outage');
  return { recoveryMs, notes: [`Redis down ${run.o.redisOutageMs} ms (SIGKILL, then started again)`], failures: [] };
}

/**
 * A client stops reading; a room-mate sends it large directed messages until its edge closes it
 * for overflowing the send buffer (documented: 4004, resume). It then reads again, sees the close,
 * resumes and must get every message it missed exactly once; its room-mates must not notice.
 */
async function slowConsumer(run: ChaosRun): Promise<FaultOutcome> {
  const victim = run.clients.at(-1)!;
  const mates = run.clients.filter((c) => c.room === victim.room && c !== victim);
  const flooders = mates.slice(0, 1);
  if (flooders.length === 0) throw new Error(`slow-consumer needs room-mates in ${victim.room}`);
  const edge = run.stack.edges.find((e) => e.url() === victim.edgeUrl)!;
  const closes = ['signal_connections_closed_total', { close_code: '4004' }] as const;
  const closedBefore = await edgeCounter(edge, ...closes);
  const mateCloses = mates.map((m) => m.closes.length);
  const t0 = run.injected();
  run.setStalled(victim, true);
  victim.stall();
  const flood = setInterval(() => {
    for (const f of flooders) f.sendData([victim.identity], 30_000);
  }, 50);
  try {
    await waitFor(async () => (await edgeCounter(edge, ...closes)) > closedBefore, {
      timeoutMs: 50_000,
      intervalMs: 200,
      message: `${edge.edgeId} closes the stalled client with 4004`,
    });
  } catch (error) {
    // Read again anyway, so that the ledger check afterwards shows what the stall cost.
    victim.unstall();
    run.setStalled(victim, false);
    const victimState = `${victim.identity}: state ${victim.state}, closes ${JSON.stringify(victim.closes)}`;
    throw new Error(`${String(error)}; ${victimState}; ${edge.edgeId}: ${await edgeCloseStats(edge)}`);
  } finally {
    clearInterval(flood);
  }
  const closedMs = Date.now() - t0;
  const closesBefore = victim.closes.length;
  victim.unstall();
  run.setStalled(victim, false);
  const recoveryMs = await run.recovered(t0, 'the slow consumer');
  const seen = victim.closes.slice(closesBefore).map((c) => c.code);
  const failures: string[] = [];
  // The 4004 frame is queued behind what the client has not read (ws-server.ts: uWS keeps room for
  // it above the bound), so a client that reads again within uWS' 4 s close timeout, as this one
  // does, sees 4004 and not a bare 1006.
  if (seen[0] !== 4004) failures.push(`the stalled client saw close ${seen.join(',') || 'none'}, not 4004`);
  mates.forEach((m, i) => {
    if (m.closes.length > mateCloses[i]!) failures.push(`room-mate ${m.identity} lost its connection`);
  });
  return {
    recoveryMs,
    notes: [
      `${victim.identity} stalled: closed by ${edge.edgeId} with ${seen.join(',')} after ${closedMs} ms, then resumed`,
    ],
    failures,
  };
}

export const FAULTS: Record<FaultName, (run: ChaosRun) => Promise<FaultOutcome>> = {
  'projector-kill': projectorKill,
  'edge-kill': edgeKill,
  'sfu-kill': sfuKill,
  'broker-restart': brokerRestart,
  'redis-outage': redisOutage,
  'slow-consumer': slowConsumer,
};
