/**
 * Reads histograms from a service's /metrics (Prometheus text format), so a scenario can split
 * end-to-end latency into the stages our services measure themselves (edge → Kafka produce,
 * edge receive → recipient socket write).
 */

/** A histogram summed over its label sets: cumulative bucket counts by upper bound (seconds). */
export interface Histogram {
  readonly count: number;
  readonly sum: number;
  readonly buckets: ReadonlyMap<number, number>;
}

/** Fetches `url` and sums the histogram `name` over every label set; empty when absent or unreachable. */
export async function scrapeHistogram(url: string, name: string): Promise<Histogram> {
  const text = await fetch(url)
    .then((r) => r.text())
    .catch(() => '');
  let count = 0;
  let sum = 0;
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith(`${name}_bucket`)) {
      const le = /le="([^"]+)"/.exec(line)?.[1];
      const bound = le === '+Inf' ? Infinity : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + value);
    } else if (line.startsWith(`${name}_sum`)) sum += value;
    else if (line.startsWith(`${name}_count`)) count += value;
  }
  return { count, sum, buckets };
}

/** What was observed between two scrapes. */
export function since(after: Histogram, before: Histogram): Histogram {
  const buckets = new Map<number, number>();
  for (const [le, n] of after.buckets) buckets.set(le, n - (before.buckets.get(le) ?? 0));
  return { count: after.count - before.count, sum: after.sum - before.sum, buckets };
}

/** Mean and bucket-resolution percentiles in ms (a percentile is the upper bound of its bucket). */
export function summarise(h: Histogram): { count: number; meanMs: number; p50LeMs: number; p99LeMs: number } {
  const bound = (q: number) => {
    const want = q * h.count;
    for (const [le, n] of [...h.buckets].sort((a, b) => a[0] - b[0])) if (n >= want) return le * 1000;
    return Number.NaN;
  };
  return {
    count: h.count,
    meanMs: h.count ? Math.round((h.sum / h.count) * 1e5) / 100 : Number.NaN,
    p50LeMs: h.count ? bound(0.5) : Number.NaN,
    p99LeMs: h.count ? bound(0.99) : Number.NaN,
  };
}

/** Sum of a gauge (or counter) over its label sets; NaN when absent or unreachable. */
export async function scrapeGauge(url: string, name: string): Promise<number> {
  const text = await fetch(url)
    .then((r) => r.text())
    .catch(() => '');
  let total = Number.NaN;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      total = (Number.isNaN(total) ? 0 : total) + Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}
