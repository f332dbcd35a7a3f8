import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCli, UsageError } from '../src/cli/args.js';
import { ProgressBar } from '../src/cli/progress.js';
import { fromNdjson } from '../src/cli/records.js';
import { formatSdpSummary } from '../src/cli/sdp.js';
import { inTimelineOrder } from '../src/cli/select.js';
import { csvLine } from '../src/cli/timeline.js';
import { verify } from '../src/cli/verify.js';

const fixture = readFileSync(new URL('./fixtures/three-party-session.events.ndjson', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line, i) => fromNdjson(line, i + 1));

describe('signal-replay pure parts', () => {
  it('verifies the recorded session clean, and reports a gap with room and seq', () => {
    expect(verify(fixture).violations).toEqual([]);
    const dropped = verify(fixture.filter((_, i) => i !== 4));
    expect(dropped.violations.map((v) => [v.room, v.seq, v.kind])).toEqual([['standup', 6, 'gap']]);
  });

  it('keeps a room in sequence even when edge clocks make `at` step back', () => {
    const [a, b] = fixture as [(typeof fixture)[0], (typeof fixture)[0]];
    if (a.topic !== 'roomEvents' || b.topic !== 'roomEvents') throw new Error('fixture');
    const late = { ...b, event: { ...b.event, at: a.event.at - 5 } };
    expect(inTimelineOrder([a, late]).map((r) => r.offset)).toEqual([0, 1]);
  });

  it('summarises SDP as tracks with codecs and directions, ignoring rtx', () => {
    const sdp =
      'v=0\r\nm=audio 9 RTP 111\r\na=rtpmap:111 opus/48000/2\r\nm=video 9 RTP 96 97\r\na=rtpmap:96 H264/90000\r\na=rtpmap:97 rtx/90000\r\na=recvonly\r\nm=application 9 DTLS\r\n';
    expect(formatSdpSummary(sdp)).toBe('2 tracks: audio(opus) sendrecv, video(H264) recvonly, application');
    expect(formatSdpSummary('v=0\r\n')).toBe('no media');
  });

  it('parses selections and refuses what cannot run, naming the option', () => {
    expect(parseCli(['--room', 'a', '--room', 'b', '--from', '2026-01-01T00:00:00Z', '--format', 'csv'])).toMatchObject(
      {
        mode: 'timeline',
        rooms: ['a', 'b'],
        fromTime: Date.UTC(2026, 0, 1),
        format: 'csv',
      },
    );
    expect(parseCli(['verify']).mode).toBe('verify');
    expect(() => parseCli([])).toThrow(/--room <id>, --participant <who> or --all/);
    expect(() => parseCli(['--all', '--from', 'yesterday'])).toThrow(UsageError);
    expect(() => parseCli(['--all', '--format', 'xml'])).toThrow(/--format/);
    expect(() => parseCli(['verify', '--from', '0'])).toThrow(/whole room histories/);
  });

  it('draws progress with rate and ETA only on a terminal', () => {
    let now = 0;
    const drawn: string[] = [];
    const bar = new ProgressBar({ isTTY: true, write: (t) => drawn.push(t) }, 1000, 'scanning', () => now);
    now = 2000;
    bar.tick(500);
    expect(drawn.at(-1)).toBe('\rscanning [############------------]  50% 500/1,000 records 250/s ETA 2s');
    const silent: string[] = [];
    new ProgressBar({ isTTY: false, write: (t) => silent.push(t) }, 1000, 'scanning').tick(10);
    expect(silent).toEqual([]);
  });

  it('quotes CSV fields that need it', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', 3])).toBe('a,"b,c","say ""hi""",3');
  });
});
