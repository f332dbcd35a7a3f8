import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomTopicPrefix } from '../support/ids.js';
import { testInfra } from '../support/infra.js';
import { createTopics, deleteTopics } from '../support/kafka.js';
import type { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { MediaClient } from './support/media-client.js';
import { Signaling } from './support/signaling.js';
import { activeSectionsOf, allFlowing, expectedTracks, metricValue, packetTable, snapshot, startProjector, startSfu } from './support/stack.js';

// The product's media path end to end: commands as an edge logs them → projector → media
// commands → SFU worker (werift) → SfuSource commands → projector → deliveries → "clients"
// (werift peers in this process), with RTP flowing client → SFU → clients over loopback.

describe('SFU worker: three participants through the full stack (real Kafka, real processes)', () => {
  const prefix = randomTopicPrefix();
  let signaling: Signaling;
  let projector: ServiceProcess;
  let sfu: ServiceProcess;
  const clients: MediaClient[] = [];

  beforeAll(async () => {
    await createTopics(prefix);
    signaling = new Signaling(testInfra().kafkaBrokers, prefix);
    await signaling.start();
    [projector, sfu] = await Promise.all([startProjector(prefix), startSfu(prefix)]);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([projector?.kill(), sfu?.kill()]);
    await signaling?.stop();
    await deleteTopics(prefix);
  });

  it('each participant receives the two others audio and video; a leaver is renegotiated away', async () => {
    const room = `room-${randomUUID()}`;
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(
      (identity, i) => new MediaClient({ identity, connectionId: `conn-${identity}-${randomUUID()}`, slot: i + 1 }, room, signaling),
    ) as [MediaClient, MediaClient, MediaClient];
    clients.push(alice, bob, carol);

    for (const c of clients) {
      await c.join();
      await waitFor(() => c.sessionId, { message: `${c.address.identity} joined` });
    }
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
    console.info(`time to first packet (publish → subscriber): min ${Math.min(...firstPacketMs)} ms, max ${Math.max(...firstPacketMs)} ms`);
    console.info(`packets per track: ${JSON.stringify(packetTable(clients))}`);
    // The worker's own view: 3 × 2 connections, 6 published tracks, 12 forwarded ones.
    await waitFor(async () => (await metricValue(sfu, 'signal_sfu_peer_connections')) === 6, { message: 'sfu reports 6 peer connections' });
    expect(await metricValue(sfu, 'signal_sfu_tracks{kind="video",direction="subscribed"')).toBe(6);
    expect(await metricValue(sfu, 'signal_sfu_packets_per_second{direction="out"')).toBeGreaterThan(100);

    // Carol leaves but keeps sending (a client that misbehaves): the SFU must stop forwarding.
    const offersBefore = { alice: alice.subscriberOffers.length, bob: bob.subscriberOffers.length };
    const carolSession = carol.sessionId!;
    await carol.leave();
    for (const [c, before] of [
      [alice, offersBefore.alice],
      [bob, offersBefore.bob],
    ] as const) {
      await waitFor(() => c.subscriberOffers.slice(before).some((sdp) => activeSectionsOf(sdp, carolSession).length === 0), {
        timeoutMs: 15_000,
        message: `${c.address.identity} gets a subscriber offer without carol's tracks`,
      });
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
        expect(c.packetsFrom(carolSession, trackId) - (before.get(key) ?? 0), `${c.address.identity} still receives ${trackId}`).toBeLessThan(10);
      }
    }
    await waitFor(async () => (await metricValue(sfu, 'signal_sfu_peer_connections')) === 4, { message: 'sfu closed carol’s 2 connections' });
    expect(alice.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
  });
});
