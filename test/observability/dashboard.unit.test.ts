import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { METRICS, createMetricsRegistry } from '@sig/runtime';

// The Grafana dashboard may only chart series the services actually export: the catalogue's
// (services/runtime/src/metrics.ts) and prom-client's default process metrics. A renamed metric
// fails here instead of leaving an empty panel.

const DASHBOARD = fileURLToPath(new URL('../../infra/grafana/signaling-dashboard.json', import.meta.url));

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: Panel[] };
const charts = dashboard.panels.filter((p) => p.type !== 'row');
const exprs = charts.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/** Metric names an expression reads (our prefixes; PromQL functions and labels have none). */
const metricNames = (expr: string): string[] =>
  [...expr.matchAll(/\b(?:signal|nodejs|process)_[a-z0-9_]+\b/g)].map((m) => m[0]);

/** Series names a metric family exposes (histograms: _bucket, _sum, _count). */
function seriesOf(name: string, type: string): string[] {
  return type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
}

async function exportedSeries(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const def of Object.values(METRICS)) for (const s of seriesOf(def.name, def.type)) names.add(s);
  // The default metrics each service registers, as prom-client names them on this Node version.
  const registry = createMetricsRegistry({ service: 'dashboard-test' });
  for (const m of await registry.getMetricsAsJSON()) for (const s of seriesOf(m.name, String(m.type))) names.add(s);
  return names;
}

describe('Grafana dashboard (infra/grafana/signaling-dashboard.json)', () => {
  it('is a dashboard with a uid and charts that all have queries', () => {
    expect(dashboard.uid).toMatch(/^[a-z0-9-]+$/);
    expect(charts.length).toBeGreaterThan(10);
    for (const p of charts) expect(p.targets?.length, `panel "${p.title}" has queries`).toBeGreaterThan(0);
  });

  it('every query reads only metrics the services export', async () => {
    const exported = await exportedSeries();
    for (const { panel, expr } of exprs) {
      const names = metricNames(expr);
      expect(names.length, `"${panel}": ${expr} reads a metric`).toBeGreaterThan(0);
      for (const name of names) expect(exported.has(name), `"${panel}": ${name} is exported`).toBe(true);
    }
  });

  it('charts every metric of the catalogue, event-loop lag and memory', () => {
    const charted = new Set(exprs.flatMap(({ expr }) => metricNames(expr)));
    for (const def of Object.values(METRICS)) {
      expect(
        seriesOf(def.name, def.type).some((s) => charted.has(s)),
        `${def.name} has a panel`,
      ).toBe(true);
    }
    expect(charted).toContain('nodejs_eventloop_lag_p99_seconds');
    expect(charted).toContain('process_resident_memory_bytes');
  });
});
