/** Scenario 5: projector replay rate and rebuild time, in a process of its own (one core). */
import { Proc, PROFILE_DIR } from '../lib/procs.js';
import { printProfiles, summariseProfiles } from '../lib/profile.js';
import { recordScenario, type RunOptions } from '../lib/results.js';
import { printTable } from '../lib/table.js';
import { within } from '../lib/wait.js';

interface ReplayResult {
  rooms: number;
  events: number;
  logMiB: number;
  snapshotMiB: number;
  buildEventsPerS: number;
  replay: { ms: number; cpuMs: number; eventsPerS: number; eventsPerCpuS: number };
  decodeOnly: { ms: number; eventsPerS: number };
  rebuildWithoutSnapshots: { ms: number; cpuMs: number; eventsPerS: number };
  rebuildWithSnapshots: { ms: number; cpuMs: number; roomsPerS: number };
}

/** Replays a synthetic log of 100,000 rooms (10,000 in quick mode). */
export function projectorReplay(run: RunOptions): Promise<string> {
  const rooms = run.quick ? 10_000 : 100_000;
  return recordScenario(run, 'projector', async () => {
    const profile = run.profile ? { prefix: `${run.stamp}-projector` } : undefined;
    console.log(`[bench] projector: building and replaying a log of ${rooms} rooms`);
    const { proc, ready } = await Proc.start({
      name: 'replay',
      script: 'bench/dist/gen/replay-worker.js',
      args: [String(rooms)],
      ready: (l) => l['msg'] === 'result',
      readyTimeoutMs: run.quick ? 120_000 : 900_000,
      // 100,000 rooms: the log, the snapshots and the projections are held in memory at once.
      nodeArgs: ['--max-old-space-size=12288'],
      profile,
    });
    // It exits by itself once it printed (that is when --cpu-prof writes the profile).
    await within(proc.exited, 60_000, 'the replay process to exit').finally(() => proc.stop());
    const r = ready as unknown as ReplayResult;
    printTable(`Projector replay (${r.events} events, ${r.logMiB} MiB; one process, one core)`, [
      { path: 'decode only (avsc)', 'wall ms': r.decodeOnly.ms, 'events/s': r.decodeOnly.eventsPerS },
      {
        path: 'replay: decode + evolve',
        'wall ms': r.replay.ms,
        'CPU ms': r.replay.cpuMs,
        'events/s': r.replay.eventsPerS,
        'events/CPU-s': r.replay.eventsPerCpuS,
      },
      {
        path: `rebuild ${rooms} rooms from the log`,
        'wall ms': r.rebuildWithoutSnapshots.ms,
        'CPU ms': r.rebuildWithoutSnapshots.cpuMs,
        'events/s': r.rebuildWithoutSnapshots.eventsPerS,
      },
      {
        path: `rebuild ${rooms} rooms from snapshots (${r.snapshotMiB} MiB)`,
        'wall ms': r.rebuildWithSnapshots.ms,
        'CPU ms': r.rebuildWithSnapshots.cpuMs,
        'rooms/s': r.rebuildWithSnapshots.roomsPerS,
      },
      { path: 'decide + encode (building the log)', 'events/s': r.buildEventsPerS },
    ]);
    let profiles: unknown;
    if (profile) {
      const summary = summariseProfiles(PROFILE_DIR, profile.prefix);
      printProfiles(summary);
      profiles = summary;
    }
    return {
      parameters: {
        rooms,
        eventsPerRoom: r.events / rooms,
        roomLife: '2 joins, offer, answer, 6 candidates, 2 data',
        resumeWindowEvents: 1024,
      },
      results: r,
      ...(profiles === undefined ? {} : { profiles }),
      notes: ['CPU only: reading the log from Kafka is not included (see the kafka-client scenario for the client).'],
    };
  });
}
