import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaStream, MediaStreamTrack, RTCPeerConnection, type PeerConfig } from 'werift';
import { randomId } from '../../../test/support/ids.js';
import { ServiceProcess } from '../../../test/support/service-process.js';
import { waitFor } from '../../../test/support/wait.js';
import { killAll, startEdge, type EdgeProcess } from '../../../test/edge/support/edge-process.js';
import { edgeFixture, type EdgeFixture } from '../../../test/edge/support/fixture.js';
import { token } from '../../../test/edge/support/tokens.js';
import { P2PMesh, SignalClient, type PeerConnectionConstructor } from '../src/index.js';

// The SDK has no WebRTC of its own: in Node an app injects an implementation. Two Node clients
// with werift's RTCPeerConnection set up a P2P call through the real edge and projector
// (perfect negotiation: both sides offer at once; the polite one yields).

/** werift-specific options pass through rtcConfig: loopback only, no public STUN. */
const LOOPBACK: Partial<PeerConfig> = {
  iceServers: [],
  iceUseIpv6: false,
  iceInterfaceAddresses: { udp4: '127.0.0.1' },
  iceAdditionalHostAddresses: ['127.0.0.1'],
};

describe('P2PMesh in Node with an injected RTCPeerConnection (werift)', () => {
  let fx: EdgeFixture;
  let projector: ServiceProcess;
  let edge: EdgeProcess;
  const closers: (() => void)[] = [];

  beforeAll(async () => {
    fx = await edgeFixture();
    [projector, edge] = await Promise.all([
      ServiceProcess.start('projector', { ...fx.env(), EDGE_LIVENESS_GRACE: '10m' }),
      startEdge(fx.env({ EDGE_ID: 'sdk-werift' })),
    ]);
  });

  afterAll(async () => {
    for (const close of closers) close();
    await killAll([edge]);
    await projector?.kill();
    await fx?.dispose();
  });

  const participant = async (identity: string, room: string) => {
    const client = new SignalClient({ url: edge.url(), token: () => token({ sub: identity }) });
    const audio = new MediaStreamTrack({ kind: 'audio' });
    const localStream = new MediaStream({ id: `s-${identity}`, tracks: [audio] });
    const mesh = new P2PMesh(client, {
      RTCPeerConnection: RTCPeerConnection as unknown as PeerConnectionConstructor,
      rtcConfig: LOOPBACK as unknown as RTCConfiguration,
      localStream: localStream as unknown as globalThis.MediaStream,
    });
    const states: string[] = [];
    mesh.on('peer_state', ({ state }) => states.push(state));
    const failures: string[] = [];
    mesh.on('failure', (e) => failures.push(e.message));
    closers.push(
      () => mesh.close(),
      () => client.close(),
    );
    await client.join(room);
    return { client, mesh, states, failures };
  };

  it('two werift peers connect through signal messages', async () => {
    const room = randomId('werift');
    const alice = await participant('alice', room);
    const bob = await participant('bob', room);
    await waitFor(() => alice.states.includes('connected') && bob.states.includes('connected'), {
      timeoutMs: 30_000,
      message: 'both peer connections connected',
    }).catch((error: Error) => {
      throw new Error(
        `${error.message}: alice ${alice.states.join(',')} ${alice.failures.join(';')}; bob ${bob.states.join(',')} ${bob.failures.join(';')}`,
      );
    });
    expect([...alice.mesh.connections.keys()]).toEqual(['bob']);
    expect([...bob.mesh.connections.keys()]).toEqual(['alice']);
  });
});
