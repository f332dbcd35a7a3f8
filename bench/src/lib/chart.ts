/**
 * A dependency-free SVG line chart: latency percentiles (log scale) against offered load, one
 * colour per system, solid p50 and dashed p99 — readable in a browser or on GitHub.
 */

/** One measured point of one system. */
export interface ChartPoint {
  readonly system: string;
  readonly offered: number;
  readonly p50: number;
  readonly p99: number;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

/** Renders the chart; points with a non-finite latency are left out. */
export function latencyChart(title: string, points: readonly ChartPoint[]): string {
  const W = 760;
  const H = 440;
  const m = { l: 70, r: 170, t: 40, b: 50 };
  const good = points.filter((p) => Number.isFinite(p.p50) && Number.isFinite(p.p99) && p.p50 > 0 && p.p99 > 0);
  const systems = [...new Set(points.map((p) => p.system))];
  const xs = good.map((p) => p.offered);
  const ys = good.flatMap((p) => [p.p50, p.p99]);
  const xMin = Math.min(...xs, 1);
  const xMax = Math.max(...xs, 2);
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...ys, 1)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...ys, 10)));
  const x = (v: number) => m.l + ((v - xMin) / (xMax - xMin || 1)) * (W - m.l - m.r);
  const y = (v: number) =>
    H - m.b - ((Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin) || 1)) * (H - m.t - m.b);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
  ];
  for (let d = yMin; d <= yMax; d *= 10) {
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${y(d)}" y2="${y(d)}" stroke="#ddd"/>`,
      `<text x="${m.l - 6}" y="${y(d) + 4}" text-anchor="end">${d} ms</text>`,
    );
  }
  for (const v of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/>`,
      `<text x="${x(v)}" y="${H - m.b + 16}" text-anchor="middle">${v >= 1000 ? `${v / 1000}k` : v}</text>`,
    );
  }
  parts.push(
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">offered load (msg/s)</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`,
  );
  systems.forEach((system, i) => {
    const colour = COLOURS[i % COLOURS.length] ?? '#000';
    const mine = good.filter((p) => p.system === system).sort((a, b) => a.offered - b.offered);
    for (const [key, dash] of [
      ['p50', ''],
      ['p99', ' stroke-dasharray="6 4"'],
    ] as const) {
      const path = mine.map((p) => `${x(p.offered).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
      if (mine.length > 0)
        parts.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>`);
      for (const p of mine) parts.push(`<circle cx="${x(p.offered)}" cy="${y(p[key])}" r="3" fill="${colour}"/>`);
    }
    const ly = m.t + 10 + i * 36;
    parts.push(
      `<line x1="${W - m.r + 10}" x2="${W - m.r + 34}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${W - m.r + 40}" y="${ly + 4}">${esc(system)} p50</text>`,
      `<line x1="${W - m.r + 10}" x2="${W - m.r + 34}" y1="${ly + 16}" y2="${ly + 16}" stroke="${colour}" stroke-width="2" stroke-dasharray="6 4"/>`,
      `<text x="${W - m.r + 40}" y="${ly + 20}">${esc(system)} p99</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
