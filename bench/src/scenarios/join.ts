/** Scenario 4: join latency (WebSocket open → `joined` with the participant list) at a fixed join rate. */
import { Generator } from '../lib/generator.js';
import { PROFILE_DIR } from '../lib/procs.js';
import { printProfiles, summariseProfiles } from '../lib/profile.js';
import { recordScenario, type RunOptions } from '../lib/results.js';
import { startStack } from '../lib/stack.js';
import { percentiles, round } from '../lib/stats.js';
import { printTable } from '../lib/table.js';

const ROOM_SIZES = [2, 10, 100];

/** Joins at `rate`/s into rooms of 2, 10 and 100, each size with a fresh generator. */
export function joinLatency(run: RunOptions): Promise<string> {
  const params = run.quick ? { rate: 100, joinsPerSize: 200 } : { rate: 200, joinsPerSize: 2000 };
  return recordScenario(run, 'join', async () => {
    const profile = run.profile ? { prefix: `${run.stamp}-join` } : undefined;
    const stack = await startStack(run, { edges: 1, profile });
    const rows: Record<string, unknown>[] = [];
    const results: Record<string, unknown>[] = [];
    try {
      // Warm-up, not recorded: the first joins after a start pay for JIT compilation, the
      // projector's first transactions and the edge's first delivery fetches.
      const warm = await Generator.start('gen-join-warmup');
      try {
        await warm.request(
          { cmd: 'joins', url: stack.edges[0]!.url, roomSize: 2, rooms: 25, rate: 50, tag: `warm-${stack.prefix}` },
          120_000,
        );
      } finally {
        await warm.close();
      }
      for (const size of ROOM_SIZES) {
        const rooms = Math.max(1, Math.round(params.joinsPerSize / size));
        console.log(`[bench] join: ${rooms} rooms of ${size} at ${params.rate} joins/s`);
        const gen = await Generator.start(
          `gen-join-${size}`,
          profile ? { prefix: `${profile.prefix}-${size}` } : undefined,
        );
        try {
          const r = await gen.request(
            {
              cmd: 'joins',
              url: stack.edges[0]!.url,
              roomSize: size,
              rooms,
              rate: params.rate,
              tag: `join${size}-${stack.prefix}`,
            },
            ((rooms * size) / params.rate) * 1000 + 120_000,
          );
          const p = percentiles(r.latencies);
          results.push({
            roomSize: size,
            rooms,
            joins: rooms * size,
            failed: r.failed,
            firstError: r.firstError,
            percentiles: p,
          });
          rows.push({
            'room size': size,
            joins: rooms * size,
            'joins/s': params.rate,
            p50: round(p.p50),
            p90: round(p.p90),
            p99: round(p.p99),
            max: round(p.max),
            failed: r.failed,
          });
          if (r.failed) console.log(`  ${r.failed} joins failed; first: ${r.firstError}`);
        } finally {
          await gen.close();
        }
      }
    } finally {
      await stack.dispose();
    }
    printTable('Join latency (ms): WebSocket open → joined with participant list', rows);
    let profiles: unknown;
    if (profile) {
      profiles = summariseProfiles(PROFILE_DIR, profile.prefix);
      printProfiles(profiles as ReturnType<typeof summariseProfiles>);
    }
    return {
      parameters: {
        ...params,
        roomSizes: ROOM_SIZES,
        edges: 1,
        projectors: 1,
        warmup: '50 joins into rooms of 2 at 50/s, not recorded',
      },
      results,
      ...(profiles === undefined ? {} : { profiles }),
    };
  });
}
