/**
 * Scenario 6: video streams one SFU worker forwards. Rooms of two werift client peers, each
 * publishing Opus + ≈500 kbit/s video and receiving the other's: every room adds 2 forwarded
 * video streams. Rooms are added step by step until video loss passes 1 % or the worker's CPU
 * passes 90 % of a core. The client peers run in this process (werift, DTLS/SRTP in JS), on the
 * same machine: their CPU is reported too, because on 2 cores it can be what saturates first.
 * They signal through a real edge WebSocket, with the same client the SFU integration tests use
 * (@sig/media-peer).
 */
import { randomUUID } from 'node:crypto';
import { EdgeLink, MediaClient } from '@sig/media-peer';
import { cpuMs } from '../lib/machine.js';
import { Proc, PROFILE_DIR } from '../lib/procs.js';
import { printProfiles, summariseProfiles } from '../lib/profile.js';
import { recordScenario, type RunOptions } from '../lib/results.js';
import { startStack } from '../lib/stack.js';
import { round } from '../lib/stats.js';
import { printTable } from '../lib/table.js';
import { benchToken } from '../lib/tokens.js';
import { delay, waitUntil } from '../lib/wait.js';

/** Two ~1 KB packets per frame at 30 fps: ≈500 kbit/s of video per publisher. */
const VIDEO_PACKETS_PER_FRAME = 2;

interface Step {
  rooms: number;
  forwardedVideoStreams: number;
  videoLossPct: number;
  sfuCpuPct: number;
  clientsCpuPct: number;
  forwardedKbitPerS: number;
}

const videoKey = (c: MediaClient) => `${c.sessionId}/${c.trackIds.video}`;

/** Video packets each client received from its room peer. */
function receivedVideo(pairs: readonly [MediaClient, MediaClient][]): number {
  let n = 0;
  for (const [a, b] of pairs)
    n += (a.received.get(videoKey(b))?.packets ?? 0) + (b.received.get(videoKey(a))?.packets ?? 0);
  return n;
}

export function sfuForwarding(run: RunOptions): Promise<string> {
  const params = run.quick
    ? { roomSteps: [1, 2], windowMs: 4000 }
    : { roomSteps: [2, 4, 8, 12, 16, 24, 32, 48], windowMs: 15000 };
  return recordScenario(run, 'sfu', async () => {
    const profile = run.profile ? { prefix: `${run.stamp}-sfu` } : undefined;
    const stack = await startStack(run, { edges: 1, profile });
    const edge = stack.edges[0]!;
    const pairs: [MediaClient, MediaClient][] = [];
    const steps: Step[] = [];
    let stopReason = 'last step reached';
    try {
      const { proc: sfu } = await Proc.start({
        name: 'sfu',
        script: 'services/sfu/dist/main.js',
        env: {
          ...stack.env,
          ADMIN_PORT: '0',
          ADMIN_HOST: '127.0.0.1',
          SFU_ICE_INTERFACE_ADDRESS: '127.0.0.1',
          SFU_ICE_IPV6: 'false',
          SFU_MAX_ROOMS: '1000',
          SFU_MAX_PEER_CONNECTIONS: '10000',
          LOG_LEVEL: 'info',
        },
        ready: (l) => l['msg'] === 'sfu worker running',
        profile,
      });
      stack.adopt(sfu);
      try {
        for (const rooms of params.roomSteps) {
          console.log(`[bench] sfu: ${rooms} rooms of 2 (${rooms * 2} forwarded video streams)`);
          while (pairs.length < rooms) {
            const room = `sfu-bench-${pairs.length}-${randomUUID().slice(0, 8)}`;
            const make = async (who: string) => {
              const identity = `${who}${pairs.length}`;
              return new MediaClient(await EdgeLink.connect(edge.url, identity, await benchToken(identity)), room);
            };
            const pair: [MediaClient, MediaClient] = [await make('a'), await make('b')];
            for (const c of pair) await c.join();
            for (const c of pair) {
              await c.publish();
              c.startMedia({ videoPacketsPerFrame: VIDEO_PACKETS_PER_FRAME });
            }
            pairs.push(pair);
          }
          await waitUntil(
            () =>
              pairs.every(
                ([a, b]) =>
                  (a.received.get(videoKey(b))?.packets ?? 0) > 30 && (b.received.get(videoKey(a))?.packets ?? 0) > 30,
              ),
            `video flowing in all ${rooms} rooms`,
            60_000,
            200,
          );
          await delay(1000);
          const sent0 = pairs.reduce((s, [a, b]) => s + a.videoSent + b.videoSent, 0);
          const recv0 = receivedVideo(pairs);
          const sfuCpu0 = cpuMs(sfu.pid);
          const selfCpu0 = process.cpuUsage();
          const t0 = Date.now();
          await delay(params.windowMs);
          const ms = Date.now() - t0;
          const sent = pairs.reduce((s, [a, b]) => s + a.videoSent + b.videoSent, 0) - sent0;
          // Packets in flight at the window's end arrive a moment later: read once more after 300 ms.
          await delay(300);
          const recv = receivedVideo(pairs) - recv0;
          const self = process.cpuUsage(selfCpu0);
          const step: Step = {
            rooms,
            forwardedVideoStreams: rooms * 2,
            videoLossPct: round(Math.max(0, 100 * (1 - recv / Math.max(1, sent))), 2),
            sfuCpuPct: round((100 * (cpuMs(sfu.pid) - sfuCpu0)) / ms, 1),
            clientsCpuPct: round((100 * (self.user + self.system)) / 1000 / ms, 1),
            forwardedKbitPerS: Math.round((recv * 1050 * 8) / ms),
          };
          steps.push(step);
          console.log(
            `  loss ${step.videoLossPct}%, SFU CPU ${step.sfuCpuPct}%, client peers CPU ${step.clientsCpuPct}%, ${step.forwardedKbitPerS} kbit/s forwarded`,
          );
          if (step.videoLossPct > 1 || step.sfuCpuPct > 90) {
            stopReason = step.videoLossPct > 1 ? 'video loss over 1 %' : 'worker CPU over 90 %';
            break;
          }
        }
      } catch (err) {
        // Peers that cannot be set up (or media that never flows) end the climb; keep what was measured.
        if (steps.length === 0) throw err;
        stopReason = `the next step failed: ${(err as Error).message}`;
        console.error(`[bench] sfu: ${stopReason}`);
      }
    } finally {
      await Promise.all(pairs.flat().map((c) => c.close().catch(() => undefined)));
      await stack.dispose();
    }
    printTable(
      'SFU: forwarded ≈500 kbit/s video streams per worker',
      steps.map((s) => ({ ...s })),
    );
    const ok = steps.filter((s) => s.videoLossPct <= 1 && s.sfuCpuPct <= 90).at(-1);
    let profiles: unknown;
    if (profile) {
      profiles = summariseProfiles(PROFILE_DIR, profile.prefix);
      printProfiles(profiles as ReturnType<typeof summariseProfiles>);
    }
    return {
      parameters: {
        ...params,
        roomSize: 2,
        videoKbitPerS: 500,
        audio: 'Opus 50 pkt/s',
        clientPeers: 'werift, in the bench process',
      },
      results: { steps, maxForwardedStreamsWithinLimits: ok?.forwardedVideoStreams ?? 0, stopReason },
      ...(profiles === undefined ? {} : { profiles }),
    };
  });
}
