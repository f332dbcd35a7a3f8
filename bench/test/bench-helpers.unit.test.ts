import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frame, markerOf } from '../src/gen/targets.js';
import { latencyChart } from '../src/lib/chart.js';
import { topSelfTime } from '../src/lib/profile.js';
import { since, summarise, type Histogram } from '../src/lib/prom.js';
import { percentiles, quantile } from '../src/lib/stats.js';

// The benchmark's arithmetic: a wrong percentile, a lost marker or a misread profile would publish
// wrong numbers without anything failing at run time.

describe('percentiles', () => {
  it('uses nearest rank on sorted samples', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000..1, unsorted
    const p = percentiles(samples);
    expect([p.count, p.p50, p.p90, p.p99, p.p999, p.max]).toEqual([1000, 500, 900, 990, 999, 1000]);
    expect(p.mean).toBeCloseTo(500.5);
    expect(quantile([7], 0.99)).toBe(7);
    expect(Number.isNaN(percentiles([]).p50)).toBe(true);
  });
});

describe('relay frames', () => {
  it.each(['ours', 'peerjs', 'floor'] as const)('%s: the receiver finds the message number in every kind', (target) => {
    for (const kind of ['offer', 'answer', 'candidate'] as const) {
      const text = frame(target, 'bob', kind, 123456);
      expect(markerOf(text)).toBe(123456);
      expect(() => JSON.parse(text) as unknown).not.toThrow();
    }
  });

  it('sizes offers and answers like real SDP and candidates like one line', () => {
    expect(frame('ours', 'bob', 'offer', 1).length).toBeGreaterThan(2500);
    expect(frame('ours', 'bob', 'answer', 1).length).toBeGreaterThan(1800);
    expect(frame('ours', 'bob', 'candidate', 1).length).toBeLessThan(400);
    expect(markerOf('{"type":"ping","ts":1}')).toBe(-1);
  });
});

describe('Prometheus histograms', () => {
  const h = (count: number, sum: number, b: [number, number][]): Histogram => ({ count, sum, buckets: new Map(b) });

  it('summarises what was observed between two scrapes', () => {
    const before = h(10, 0.1, [
      [0.005, 10],
      [0.05, 10],
      [Infinity, 10],
    ]);
    const after = h(110, 2.1, [
      [0.005, 10],
      [0.05, 109],
      [Infinity, 110],
    ]);
    expect(summarise(since(after, before))).toEqual({ count: 100, meanMs: 20, p50LeMs: 50, p99LeMs: 50 });
  });
});

describe('cpuprofile summary', () => {
  it('ranks functions by self time from samples and time deltas', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-prof-'));
    const path = join(dir, 'x.cpuprofile');
    const node = (id: number, functionName: string) => ({
      id,
      callFrame: { functionName, url: 'file:///a/b/c.js', lineNumber: 9 },
    });
    writeFileSync(
      path,
      JSON.stringify({
        nodes: [node(1, '(root)'), node(2, 'hot'), node(3, 'cold')],
        startTime: 0,
        endTime: 4000,
        samples: [2, 2, 3, 2],
        timeDeltas: [0, 1000, 1000, 1000],
      }),
    );
    const { totalMs, top } = topSelfTime(path);
    expect(totalMs).toBe(3);
    expect(top[0]).toMatchObject({ fn: 'hot a/b/c.js:10', selfMs: 2 });
    expect(top[1]).toMatchObject({ fn: 'cold a/b/c.js:10', selfMs: 1 });
  });
});

describe('latency chart', () => {
  it('draws one p50 and one p99 line per system and skips unmeasurable points', () => {
    const svg = latencyChart('t', [
      { system: 'a', offered: 1000, p50: 1, p99: 5 },
      { system: 'a', offered: 5000, p50: 2, p99: 9 },
      { system: 'b', offered: 1000, p50: Number.NaN, p99: Number.NaN },
    ]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('b p99');
  });
});
