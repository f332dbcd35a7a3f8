import { createHmac, randomUUID } from 'node:crypto';
import type { PeerConfig } from 'werift';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireIceServer } from '@sig/schemas';
import { killAll, type EdgeProcess } from '../edge/support/edge-process.js';
import { startCoturn, type Coturn } from '../support/coturn.js';
import { randomTopicPrefix } from '../support/ids.js';
import { createTopics, deleteTopics } from '../support/kafka.js';
import type { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import type { MediaClient } from '@sig/media-peer';
import {
  allFlowing,
  dumpForDebugging,
  mediaClient,
  packetTable,
  startMediaEdge,
  startProjector,
  startSfu,
} from './support/stack.js';

// Clients that may only use TURN relays (iceTransportPolicy: relay), through a real coturn with
// TURN REST credentials (use-auth-secret). The clients use exactly the ICE servers of their
// `joined` answer: an edge configured with coturn's secret hands out credentials that get media
// through the SFU; an edge configured with a wrong secret hands out credentials coturn refuses.

describe('SFU worker: relay-only clients through coturn (real Kafka, real processes)', () => {
  const prefix = randomTopicPrefix();
  let projector: ServiceProcess;
  let sfu: ServiceProcess;
  let turn: Coturn;
  /** Hands out credentials made from coturn's secret. */
  let rightEdge: EdgeProcess;
  /** Hands out credentials made from another secret. */
  let wrongEdge: EdgeProcess;
  /** Hands out credentials that live 10 s. */
  let shortTtlEdge: EdgeProcess;
  const clients: MediaClient[] = [];

  /** Relay-only ICE with the servers of the `joined` answer, as an app would configure it. */
  const relayOnly = (servers: readonly WireIceServer[]): Partial<PeerConfig> => ({
    iceTransportPolicy: 'relay',
    iceServers: servers.flatMap((s) =>
      s.urls.map((urls) => ({
        urls,
        ...(s.username === undefined ? {} : { username: s.username }),
        ...(s.credential === undefined ? {} : { credential: s.credential }),
      })),
    ),
    iceUseIpv6: false,
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
  });

  beforeAll(async () => {
    await createTopics(prefix);
    turn = await startCoturn();
    const turnEnv = (secret: string) => ({ TURN_URLS: turn.url, TURN_SECRET: secret, TURN_TTL: '10m' });
    [rightEdge, wrongEdge, shortTtlEdge, projector, sfu] = await Promise.all([
      startMediaEdge(prefix, turnEnv(turn.secret)),
      startMediaEdge(prefix, turnEnv('not-the-secret-of-this-turn-server')),
      startMediaEdge(prefix, { ...turnEnv(turn.secret), TURN_TTL: '10s' }),
      startProjector(prefix),
      startSfu(prefix),
    ]);
  });

  afterAll(async () => {
    dumpForDebugging([rightEdge, wrongEdge, shortTtlEdge, projector, sfu], clients, undefined);
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([killAll([rightEdge, wrongEdge, shortTtlEdge]), projector?.kill(), sfu?.kill(), turn?.stop()]);
    await deleteTopics(prefix);
  });

  const twoClients = async (edge: EdgeProcess) => {
    const room = `relay-${randomUUID()}`;
    const pair = await Promise.all(['alice', 'bob'].map((identity) => mediaClient(edge, identity, room, relayOnly)));
    clients.push(...pair);
    for (const c of pair) await c.join();
    // The join answer carries the TURN server with TURN REST credentials for this identity.
    for (const c of pair) {
      expect(c.iceServers).toHaveLength(1);
      const [server] = c.iceServers;
      expect(server!.urls).toEqual([turn.url]);
      const [expiry, identity] = server!.username!.split(':');
      expect(identity).toBe(c.identity);
      expect(Number(expiry) * 1000).toBeGreaterThan(Date.now() + 9 * 60_000);
    }
    for (const c of pair) {
      await c.publish();
      c.startMedia();
    }
    return pair;
  };

  it('with TURN credentials made from the right secret, media flows through the relay', async () => {
    const pair = await twoClients(rightEdge);
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
    const pair = await twoClients(wrongEdge);
    // Signaling works: the SFU answered both offers.
    for (const c of pair) {
      await waitFor(() => c.messages.some((m) => m.type === 'media_signal' && m.kind === 'answer'), {
        timeoutMs: 15_000,
        message: `${c.identity} got the SFU's answer`,
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
    expect(turn.output.join('')).toMatch(/check_stun_auth.*\d+:alice/);
  });

  it('fresh TURN credentials arrive a quarter of their TTL before the old ones expire', async () => {
    const carol = await mediaClient(shortTtlEdge, 'carol', `relay-${randomUUID()}`);
    clients.push(carol);
    await carol.join();
    const first = carol.iceServers[0]!;
    const firstExpiry = Number(first.username!.split(':')[0]) * 1000;
    const notice = await waitFor(() => carol.messages.find((m) => m.type === 'notice' && m.kind === 'ice_servers'), {
      timeoutMs: 12_000,
      message: 'an ice_servers notice before the 10 s credentials expire',
    });
    const receivedAt = Date.now();
    if (notice.type !== 'notice' || notice.kind !== 'ice_servers') throw new Error('unreachable');
    expect(receivedAt).toBeLessThan(firstExpiry);
    const [fresh] = notice.iceServers;
    expect(fresh!.urls).toEqual([turn.url]);
    const [expiry, identity] = fresh!.username!.split(':');
    expect(identity).toBe('carol');
    expect(Number(expiry) * 1000).toBe(notice.expiresAt);
    expect(notice.expiresAt).toBeGreaterThan(firstExpiry);
    // A credential coturn accepts: base64(HMAC-SHA1(its secret, username)).
    expect(fresh!.credential).toBe(createHmac('sha1', turn.secret).update(fresh!.username!).digest('base64'));
  });
});
