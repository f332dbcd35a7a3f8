import { describe, expect, it } from 'vitest';
import { METRICS, createMetricsRegistry, metric, msToSeconds } from '../src/metrics.js';

describe('metrics catalogue', () => {
  it('has unique, Prometheus-valid names with conventional suffixes', () => {
    const names = Object.values(METRICS).map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const def of Object.values(METRICS)) {
      expect(def.name).toMatch(/^signal_[a-z0-9_]+$/);
      if (def.type === 'counter') expect(def.name).toMatch(/_total$/);
      if (def.type === 'histogram') expect(def.name).toMatch(/_seconds$/);
      for (const label of def.labelNames) expect(label).toMatch(/^[a-z_]+$/);
    }
  });

  it('resolves ms-level latencies', () => {
    const buckets = METRICS.relayLatency.buckets;
    expect(buckets[0]).toBeLessThanOrEqual(0.001);
    expect(buckets.filter((b) => b <= 0.1).length).toBeGreaterThanOrEqual(7);
  });

  it('creates each metric once per registry, with labels', async () => {
    const registry = createMetricsRegistry({ service: 'projector', defaultMetrics: false });
    metric(registry, 'errors').inc({ code: 'room_full' });
    metric(registry, 'errors').inc({ code: 'room_full' });
    metric(registry, 'consumerLag').set({ topic: 'signal.commands', partition: '3' }, 42);
    metric(registry, 'joinLatency').observe(msToSeconds(12));
    const text = await registry.metrics();
    expect(text).toContain('signal_errors_total{code="room_full",service="projector"} 2');
    expect(text).toContain('signal_kafka_consumer_lag{topic="signal.commands",partition="3",service="projector"} 42');
    expect(text).toContain('signal_join_latency_seconds_bucket{le="0.025",service="projector"} 1');
    // Other registries (other services in one test process) are independent.
    expect(await createMetricsRegistry({ service: 'edge', defaultMetrics: false }).metrics()).not.toContain(
      'signal_errors_total',
    );
  });
});
