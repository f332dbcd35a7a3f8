import { describe, expect, it, vi } from 'vitest';
import { PeerLink, fingerprintOf } from '../src/adapters/peer.js';
import { peerConfig } from '../src/adapters/peer-config.js';

const ice = {
  portRange: undefined,
  announcedAddress: undefined,
  interfaceAddress: '127.0.0.1',
  servers: [],
  username: undefined,
  credential: undefined,
  useIpv6: false,
};

describe('PeerLink lifecycle', () => {
  it('close() is idempotent, reports CLOSED once, and a closed link refuses to negotiate', async () => {
    const state = vi.fn();
    const link = new PeerLink('SUBSCRIBER', peerConfig(ice), {}, { candidate: vi.fn(), state });
    await link.close();
    await link.close();
    expect(link.closed).toBe(true);
    expect(state.mock.calls.filter(([s]) => s === 'CLOSED')).toHaveLength(1);
    await expect(link.offer(false)).rejects.toThrow(/closed/);
    await expect(link.answer('v=0')).rejects.toThrow(/closed/);
    // Candidates for a closed connection are ignored, not an error.
    await expect(link.addRemoteCandidate(null)).resolves.toBeUndefined();
  });

  it('an offer carries only the configured codecs, and candidates on the interface address only', async () => {
    const candidates: string[] = [];
    const link = new PeerLink(
      'SUBSCRIBER',
      peerConfig(ice),
      { onlyAddress: '127.0.0.1' },
      { candidate: (c) => c && candidates.push(c.candidate), state: vi.fn() },
    );
    link.pc.addTransceiver('video', { direction: 'sendonly' });
    const sdp = await link.offer(false);
    link.released(sdp);
    expect(sdp).toMatch(/a=rtpmap:96 VP8\/90000/);
    expect(sdp).toMatch(/a=rtpmap:97 rtx\/90000/);
    expect(sdp).toMatch(/a=rtpmap:102 H264\/90000/);
    for (const line of sdp.split('\r\n').filter((l) => l.startsWith('a=candidate')))
      expect(line).toMatch(/ 127\.0\.0\.1 /);
    // Everything gathered was already in the SDP: nothing is trickled twice.
    expect(candidates).toEqual([]);
    expect(fingerprintOf(sdp)).toMatch(/^[0-9A-F:]+$/);
    await link.close();
  });
});
