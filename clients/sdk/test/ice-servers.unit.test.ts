import { describe, expect, it } from 'vitest';
import type { ServerMessageOf } from '../src/protocol.js';
import { applyIceServers, rtcConfiguration, withIceServers } from '../src/rtc.js';

const turn = (username: string) => ({ urls: ['turn:127.0.0.1:3478'], username, credential: `cred-${username}` });

const joined = {
  type: 'joined',
  seq: 1,
  room: 'r',
  sessionId: 's',
  self: {},
  participants: [],
  roomMetadata: '',
  iceServers: [turn('100:alice')],
  heartbeat: { intervalMs: 1000, timeoutMs: 3000 },
  resumeWindow: { events: 10, ms: 1000 },
} as unknown as ServerMessageOf<'joined'>;

const notice = {
  type: 'notice',
  kind: 'ice_servers',
  iceServers: [turn('200:alice')],
  expiresAt: 200_000,
} as ServerMessageOf<'notice'>;

/** The part of RTCPeerConnection the refresh uses, with the configuration it holds. */
class ConfigurablePeer {
  configuration: RTCConfiguration = { iceServers: [turn('100:alice')], bundlePolicy: 'max-bundle' };
  getConfiguration(): RTCConfiguration {
    return this.configuration;
  }
  setConfiguration(c: RTCConfiguration): void {
    this.configuration = c;
  }
}

describe('fresh TURN credentials (notice ice_servers)', () => {
  it('replace the ICE servers of joined for connections created later', () => {
    const refreshed = withIceServers(joined, notice);
    expect(rtcConfiguration(refreshed).iceServers).toEqual([turn('200:alice')]);
    expect(withIceServers(null, notice)).toBeNull();
  });

  it('are applied to live connections, keeping the rest of their configuration', () => {
    const pc = new ConfigurablePeer();
    applyIceServers([pc as unknown as RTCPeerConnection, null], rtcConfiguration(withIceServers(joined, notice)));
    expect(pc.configuration).toEqual({ iceServers: [turn('200:alice')], bundlePolicy: 'max-bundle' });
  });

  it('do not override ICE servers the app configured itself', () => {
    const own = { iceServers: [{ urls: 'stun:stun.example.org' }] };
    expect(rtcConfiguration(withIceServers(joined, notice), own).iceServers).toEqual(own.iceServers);
  });
});
