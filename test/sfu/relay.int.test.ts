import { randomUUID } from 'node:crypto';
import type { PeerConfig } from 'werift';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoturn, turnRestCredentials, type Coturn } from '../support/coturn.js';
import { randomTopicPrefix } from '../support/ids.js';
import { testInfra } from '../support/infra.js';
import { createTopics, deleteTopics } from '../support/kafka.js';
import type { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { MediaClient } from './support/media-client.js';
import { Signaling } from './support/signaling.js';
import { allFlowing, dumpForDebugging, packetTable, startProjector, startSfu } from './support/stack.js';

// Clients that may only use TURN relays (iceTransportPolicy: relay), through a real coturn with
// TURN REST credentials (use-auth-secret): the right secret gets media through the SFU, a wrong
// one gets no relay candidate and no media.

describe('SFU worker: relay-only clients through coturn (real Kafka, real processes)', () => {
  const prefix = randomTopicPrefix();
  let signaling: Signaling;
  let projector: ServiceProcess;
  let sfu: ServiceProcess;
  let turn: Coturn;
  const clients: MediaClient[] = [];

  const relayOnly = (secret: string, identity: string): Partial<PeerConfig> => ({
    iceTransportPolicy: 'relay',
    iceServers: [{ urls: turn.url, ...turnRestCredentials(secret, identity) }],
    iceUseIpv6: false,
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
  });

  beforeAll(async () => {
    await createTopics(prefix);
    signaling = new Signaling(testInfra().kafkaBrokers, prefix);
    [turn] = await Promise.all([startCoturn(), signaling.start()]);
    [projector, sfu] = await Promise.all([startProjector(prefix), startSfu(prefix)]);
  });

  afterAll(async () => {
    dumpForDebugging([projector, sfu], clients, signaling);
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([projector?.kill(), sfu?.kill(), turn?.stop()]);
    await signaling?.stop();
    await deleteTopics(prefix);
  });

  const twoClients = async (secretFor: (identity: string) => string) => {
    const room = `relay-${randomUUID()}`;
    const pair = ['alice', 'bob'].map(
      (identity, i) =>
        new MediaClient(
          { identity, connectionId: `conn-${identity}-${randomUUID()}`, slot: 10 + i },
          room,
          signaling,
          relayOnly(secretFor(identity), identity),
        ),
    );
    clients.push(...pair);
    for (const c of pair) {
      await c.join();
      await waitFor(() => c.sessionId, { message: `${c.address.identity} joined` });
    }
    for (const c of pair) {
      await c.publish();
      c.startMedia();
    }
    return pair;
  };

  it('with TURN credentials made from the right secret, media flows through the relay', async () => {
    const pair = await twoClients(() => turn.secret);
    // Relay-only: the clients gathered relay candidates and nothing else.
    await Promise.all(pair.map((c) => c.gathered));
    for (const c of pair) {
      expect(c.localCandidates.length).toBeGreaterThan(0);
      for (const candidate of c.localCandidates) expect(candidate).toMatch(/ typ relay/);
    }
    await waitFor(() => allFlowing(pair, 50), {
      timeoutMs: 30_000,
      message: `both relay-only clients receive > 50 packets per remote track: ${JSON.stringify(packetTable(pair))}`,
    });
    console.info(`relay packets per track: ${JSON.stringify(packetTable(pair))}`);
    for (const c of pair) expect(c.errors).toEqual([]);
    await Promise.all(pair.map((c) => c.close()));
  });

  it('with TURN credentials made from a wrong secret, no relay is allocated and no media flows', async () => {
    const pair = await twoClients(() => 'not-the-secret');
    // Signaling works: the SFU answered both offers.
    for (const c of pair) {
      await waitFor(() => c.events.some((e) => e.body.type === 'MediaSignal' && e.body.kind === 'ANSWER'), {
        timeoutMs: 15_000,
        message: `${c.address.identity} got the SFU's answer`,
      });
    }
    // Absence is observed over a bounded window (the right-secret case flowed well within it):
    // coturn refuses the allocation, so the clients have no candidate and ICE never connects.
    await expect(
      waitFor(
        () =>
          pair.some(
            (c) => c.received.size > 0 || c.localCandidates.length > 0 || c.publisher?.connectionState === 'connected',
          ),
        {
          timeoutMs: 6000,
          message: 'any relay candidate, connection or media',
        },
      ),
    ).rejects.toThrow(/timed out/);
    expect(pair.map((c) => c.received.size)).toEqual([0, 0]);
    // coturn saw the allocations and refused the credentials.
    expect(turn.output.join('')).toMatch(/check_stun_auth.*1\d+:alice/);
  });
});
