import { describe, expect, it } from 'vitest';
import type { TrackInfo } from '@sig/schemas';
import { applyCandidatePolicy, applyCandidatePolicyToSdp, candidateAddress } from '../src/domain/candidates.js';
import {
  keyframeRequestDue,
  participantConnectionState,
  peerConnectionState,
  RateMeter,
} from '../src/domain/meters.js';
import { matchTrack } from '../src/domain/tracks.js';

const track = (trackId: string, kind: TrackInfo['kind'], mid: string | null = null): TrackInfo => ({
  trackId,
  kind,
  source: 'UNKNOWN',
  muted: false,
  mid,
});

describe('matching announced tracks to the m-lines of an offer', () => {
  const announced = [track('mic', 'AUDIO'), track('cam', 'VIDEO'), track('screen', 'VIDEO')];

  it('by msid track id first (what browsers announce)', () => {
    expect(matchTrack({ kind: 'VIDEO', mid: '1', msidTrackId: 'screen' }, announced, new Set())).toEqual({
      trackId: 'screen',
      announced: true,
    });
  });

  it('by announced mid before msid', () => {
    const withMids = [track('mic', 'AUDIO', '0'), track('cam', 'VIDEO', '1')];
    expect(matchTrack({ kind: 'VIDEO', mid: '1', msidTrackId: 'something-else' }, withMids, new Set())).toEqual({
      trackId: 'cam',
      announced: true,
    });
  });

  it('else the first unmatched track of the same kind, in announcement order', () => {
    expect(matchTrack({ kind: 'VIDEO', mid: '1', msidTrackId: null }, announced, new Set())).toEqual({
      trackId: 'cam',
      announced: true,
    });
    expect(matchTrack({ kind: 'VIDEO', mid: '2', msidTrackId: null }, announced, new Set(['cam']))).toEqual({
      trackId: 'screen',
      announced: true,
    });
  });

  it('an unannounced track keeps its msid id, or a mid-based one', () => {
    expect(matchTrack({ kind: 'AUDIO', mid: '3', msidTrackId: 'x' }, [], new Set())).toEqual({
      trackId: 'x',
      announced: false,
    });
    expect(matchTrack({ kind: 'AUDIO', mid: '3', msidTrackId: null }, [], new Set())).toEqual({
      trackId: 'mid-3',
      announced: false,
    });
  });
});

describe('ICE candidate policy', () => {
  const host = 'candidate:1 1 udp 2116026367 10.0.0.5 40000 typ host generation 0 ufrag ab';
  const loop = 'candidate:2 1 udp 2116026367 127.0.0.1 40001 typ host generation 0 ufrag ab';
  const relay = 'candidate:3 1 udp 16777215 203.0.113.9 50000 typ relay raddr 10.0.0.5 rport 40000';

  it('announces a public address in host candidates (1:1 NAT), leaving other types alone', () => {
    expect(applyCandidatePolicy(host, { announcedAddress: '198.51.100.7' })).toBe(
      'candidate:1 1 udp 2116026367 198.51.100.7 40000 typ host generation 0 ufrag ab',
    );
    expect(applyCandidatePolicy(relay, { announcedAddress: '198.51.100.7' })).toBe(relay);
  });

  it('keeps only host candidates on the interface address when restricted', () => {
    expect(applyCandidatePolicy(host, { onlyAddress: '127.0.0.1' })).toBeNull();
    expect(applyCandidatePolicy(loop, { onlyAddress: '127.0.0.1' })).toBe(loop);
  });

  it('rewrites the a=candidate lines of an SDP and drops duplicates the rewrite creates', () => {
    // The same candidate twice (werift lists a candidate per m-line it was gathered for).
    const sdp = ['v=0', `a=${host}`, `a=${host}`, 'a=end-of-candidates', ''].join('\r\n');
    const out = applyCandidatePolicyToSdp(sdp, { announcedAddress: '198.51.100.7' });
    expect(
      out
        .split('\r\n')
        .filter((l) => l.startsWith('a=candidate'))
        .map((l) => candidateAddress(l)),
    ).toEqual(['198.51.100.7']);
    expect(out.endsWith('\r\n')).toBe(true);
  });

  it('leaves an SDP untouched without a policy', () => {
    expect(applyCandidatePolicyToSdp('v=0\r\n', {})).toBe('v=0\r\n');
  });
});

describe('meters', () => {
  it('packet rate per second over the sample window', () => {
    const m = new RateMeter(0);
    m.add(50);
    m.add(50);
    expect(m.sample(2000)).toBe(50);
    expect(m.sample(3000)).toBe(0);
  });

  it('keyframe requests are throttled per track', () => {
    expect(keyframeRequestDue(undefined, 0, 500)).toBe(true);
    expect(keyframeRequestDue(1000, 1499, 500)).toBe(false);
    expect(keyframeRequestDue(1000, 1500, 500)).toBe(true);
  });

  it("a participant's state is its worst connection's", () => {
    expect(participantConnectionState(['CONNECTED', 'FAILED'])).toBe('FAILED');
    expect(participantConnectionState(['CONNECTED', 'CONNECTING'])).toBe('CONNECTING');
    expect(participantConnectionState(['CONNECTED', 'CONNECTED'])).toBe('CONNECTED');
    expect(participantConnectionState([])).toBe('CLOSED');
    expect(peerConnectionState('disconnected')).toBe('DISCONNECTED');
    expect(peerConnectionState('weird')).toBe('UNKNOWN');
  });
});
