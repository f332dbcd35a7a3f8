import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeProcess } from '../edge/support/edge-process.js';
import { killAll } from '../edge/support/edge-process.js';
import { randomTopicPrefix } from '../support/ids.js';
import { testInfra } from '../support/infra.js';
import { createTopics, deleteTopics } from '../support/kafka.js';
import type { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import type { MediaClient } from '@sig/media-peer';
import { SfuReports } from './support/sfu-reports.js';
import {
  activeSectionsOf,
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

// The product's media path end to end: client WebSocket → edge → commands → projector → media
// commands → SFU worker (werift) → SfuSource commands → projector → deliveries → edge → client
// WebSocket, with the clients werift peers in this process and RTP flowing client → SFU →
// clients over loopback.

describe('SFU worker: three participants through the full stack (real Kafka, real processes)', () => {
  const prefix = randomTopicPrefix();
  let signaling: SfuReports;
  let edge: EdgeProcess;
  let projector: ServiceProcess;
  let sfu: ServiceProcess;
  const clients: MediaClient[] = [];
  // The SFU's ICE sockets must stay in the configured range (what a firewall opens).
  const portBase = 41_000 + Math.floor(Math.random() * 70) * 100;
  const portRange = [portBase, portBase + 99] as const;

  beforeAll(async () => {
    await createTopics(prefix);
    signaling = new SfuReports(testInfra().kafkaBrokers, prefix);
    await signaling.start();
    [edge, projector, sfu] = await Promise.all([
      startMediaEdge(prefix),
      startProjector(prefix),
      startSfu(prefix, { SFU_ICE_UDP_PORT_RANGE: `${portRange[0]}-${portRange[1]}` }),
    ]);
  });

  afterAll(async () => {
    dumpForDebugging([edge, projector, sfu], clients, signaling);
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([killAll([edge]), projector?.kill(), sfu?.kill()]);
    await signaling?.stop();
    await deleteTopics(prefix);
  });

  it('each participant receives the two others audio and video; a leaver is renegotiated away', async () => {
    const room = `room-${randomUUID()}`;
    // Carol's camera is H.264, the others' VP8: each subscriber gets the publisher's codec.
    const [alice, bob, carol] = await Promise.all([
      mediaClient(edge, 'alice', room, undefined, 'VP8'),
      mediaClient(edge, 'bob', room, undefined, 'VP8'),
      mediaClient(edge, 'carol', room, undefined, 'H264'),
    ]);
    clients.push(alice, bob, carol);

    for (const c of clients) await c.join();
    for (const c of clients) {
      await c.publish();
      c.startMedia();
    }

    const N = 100;
    await waitFor(() => allFlowing(clients, N), {
      timeoutMs: 30_000,
      message: `every client receives > ${N} packets on each of the 4 remote tracks: ${JSON.stringify(packetTable(clients))}`,
    });
    for (const c of clients) expect(c.errors).toEqual([]);
    const firstPacketMs = clients.flatMap((c) =>
      expectedTracks(c, clients).map((key) => {
        const publisher = clients.find((p) => key.startsWith(`${p.sessionId}/`))!;
        return c.received.get(key)!.firstAt - publisher.publishedAt;
      }),
    );
    console.info(
      `time to first packet (publish → subscriber): min ${Math.min(...firstPacketMs)} ms, max ${Math.max(...firstPacketMs)} ms`,
    );
    console.info(`packets per track: ${JSON.stringify(packetTable(clients))}`);
    // The worker's own view: 3 × 2 connections, 6 published tracks, 12 forwarded ones.
    await waitFor(async () => (await metricValue(sfu, 'signal_sfu_peer_connections')) === 6, {
      message: 'sfu reports 6 peer connections',
    });
    expect(await metricValue(sfu, 'signal_sfu_tracks{kind="video",direction="subscribed"')).toBe(6);
    expect(await metricValue(sfu, 'signal_sfu_packets_per_second{direction="out"')).toBeGreaterThan(100);
    expect(alice.received.get(`${carol.sessionId}/${carol.trackIds.video}`)?.codec).toBe('video/H264');
    expect(alice.received.get(`${bob.sessionId}/${bob.trackIds.video}`)?.codec).toBe('video/VP8');
    expect(bob.received.get(`${carol.sessionId}/${carol.trackIds.audio}`)?.codec).toBe('audio/OPUS');

    // Every SFU candidate (in its SDPs and trickled) is on loopback, within SFU_ICE_UDP_PORT_RANGE.
    const sfuCandidates = clients.flatMap((c) =>
      c.messages.flatMap((m) => {
        if (m.type !== 'media_signal') return [];
        if (m.sdp) return m.sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
        return m.candidate ? [m.candidate.candidate] : [];
      }),
    );
    expect(sfuCandidates.length).toBeGreaterThan(0);
    for (const line of sfuCandidates) {
      const [, address, port] = / udp \d+ (\S+) (\d+) typ /.exec(line) ?? [];
      expect(address, line).toBe('127.0.0.1');
      expect(Number(port), line).toBeGreaterThanOrEqual(portRange[0]);
      expect(Number(port), line).toBeLessThanOrEqual(portRange[1]);
    }

    // What the worker reported on the log: every track flowing, every participant connected.
    const reports = () => signaling.sfuReports.filter((c) => c.room === room).map((c) => c.body);
    await waitFor(
      () =>
        clients.every((c) =>
          [c.trackIds.audio, c.trackIds.video].every((trackId) =>
            reports().some(
              (b) =>
                b.type === 'SfuTrackState' &&
                b.sessionId === c.sessionId &&
                b.trackId === trackId &&
                b.state === 'FLOWING',
            ),
          ),
        ) &&
        clients.every((c) =>
          reports().some(
            (b) => b.type === 'SfuConnectionState' && b.sessionId === c.sessionId && b.state === 'CONNECTED',
          ),
        ),
      { message: 'SfuTrackState FLOWING for the 6 tracks and SfuConnectionState CONNECTED for the 3 participants' },
    );

    // A subscriber's keyframe request (PLI) reaches the publisher through the SFU.
    const keyframesBefore = bob.keyframeRequests;
    let lastRequest = 0;
    await waitFor(
      async () => {
        if (bob.keyframeRequests > keyframesBefore) return true;
        // The SFU throttles keyframe requests per track: ask again until one goes through.
        if (Date.now() - lastRequest > 600) {
          lastRequest = Date.now();
          await alice.requestKeyframe(bob.sessionId!, bob.trackIds.video);
        }
        return false;
      },
      { timeoutMs: 10_000, intervalMs: 100, message: "alice's PLI for bob's video reaches bob" },
    );

    // ICE restart on request: a new subscriber offer with new ICE credentials, media continues.
    const ufrag = (sdp: string) => /a=ice-ufrag:(\S+)/.exec(sdp)?.[1];
    const offersBeforeRestart = alice.subscriberOffers.length;
    const lastUfrag = ufrag(alice.subscriberOffers.at(-1)!);
    await alice.restartIce();
    await waitFor(() => alice.subscriberOffers.slice(offersBeforeRestart).some((sdp) => ufrag(sdp) !== lastUfrag), {
      message: 'alice gets a subscriber offer restarting ICE',
    });
    // And the client restarts its own PUBLISHER connection (a renegotiation of the same one).
    const answers = () => bob.messages.filter((m) => m.type === 'media_signal' && m.kind === 'answer').length;
    const answersBefore = answers();
    await bob.restartPublisherIce();
    await waitFor(() => answers() > answersBefore, { message: "bob's ICE-restart offer is answered" });
    const afterRestart = snapshot(alice);
    const bobVideo = `${bob.sessionId}/${bob.trackIds.video}`;
    await waitFor(
      () => alice.packetsFrom(bob.sessionId!, bob.trackIds.video) > (afterRestart.get(bobVideo) ?? 0) + 60,
      {
        timeoutMs: 15_000,
        message: "media keeps flowing to alice after both ICE restarts (alice's subscriber, bob's publisher)",
      },
    );

    // Carol leaves but keeps sending (a client that misbehaves): the SFU must stop forwarding.
    const offersBefore = { alice: alice.subscriberOffers.length, bob: bob.subscriberOffers.length };
    const carolSession = carol.sessionId!;
    await carol.leave();
    for (const [c, before] of [
      [alice, offersBefore.alice],
      [bob, offersBefore.bob],
    ] as const) {
      await waitFor(
        () => c.subscriberOffers.slice(before).some((sdp) => activeSectionsOf(sdp, carolSession).length === 0),
        {
          timeoutMs: 15_000,
          message: `${c.identity} gets a subscriber offer without carol's tracks`,
        },
      );
    }
    // Let the answers be applied, then watch a window defined by the remaining media, not a clock.
    const atRenegotiation = { alice: snapshot(alice), bob: snapshot(bob) };
    const aliceFromBob = `${bob.sessionId}/${bob.trackIds.audio}`;
    const bobFromAlice = `${alice.sessionId}/${alice.trackIds.audio}`;
    await waitFor(
      () =>
        alice.packetsFrom(bob.sessionId!, bob.trackIds.audio) > (atRenegotiation.alice.get(aliceFromBob) ?? 0) + 100 &&
        bob.packetsFrom(alice.sessionId!, alice.trackIds.audio) > (atRenegotiation.bob.get(bobFromAlice) ?? 0) + 100,
      { timeoutMs: 15_000, message: 'alice and bob keep receiving each other (100 more audio packets)' },
    );
    for (const [c, before] of [
      [alice, atRenegotiation.alice],
      [bob, atRenegotiation.bob],
    ] as const) {
      for (const trackId of [carol.trackIds.audio, carol.trackIds.video]) {
        const key = `${carolSession}/${trackId}`;
        // A few packets may have been in flight when the renegotiation landed.
        expect(
          c.packetsFrom(carolSession, trackId) - (before.get(key) ?? 0),
          `${c.identity} still receives ${trackId}`,
        ).toBeLessThan(10);
      }
    }
    await waitFor(async () => (await metricValue(sfu, 'signal_sfu_peer_connections')) === 4, {
      message: 'sfu closed carol’s 2 connections',
    });
    await waitFor(
      () =>
        [carol.trackIds.audio, carol.trackIds.video].every((trackId) =>
          reports().some((b) => b.type === 'SfuTrackState' && b.trackId === trackId && b.state === 'STOPPED'),
        ),
      { message: "SfuTrackState STOPPED for carol's tracks" },
    );

    // Dave joins after carol left: alice and bob receive his media. The m-line freed by carol's
    // Opus track is reused for his; her H.264 one cannot carry his VP8, so video gets a new one.
    const dave = await mediaClient(edge, 'dave', room);
    clients.push(dave);
    await dave.join();
    await dave.publish();
    dave.startMedia();
    const present = [alice, bob, dave];
    await waitFor(() => allFlowing(present, 50), {
      timeoutMs: 30_000,
      message: `alice, bob and dave receive each other: ${JSON.stringify(packetTable(present))}`,
    });
    const mLines = (sdp: string) => sdp.split(/\r?\nm=/).length - 1;
    expect(mLines(alice.subscriberOffers.at(-1)!)).toBe(5);
    expect(activeSectionsOf(alice.subscriberOffers.at(-1)!, dave.sessionId!)).toHaveLength(2);
    for (const c of present) expect(c.errors).toEqual([]);
  });
});
