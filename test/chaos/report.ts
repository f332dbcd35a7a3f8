/** Per-fault results of the fault suite and their table (pure, unit-tested). */

/** What one fault did to the load, as the ledgers saw it. */
export interface FaultResult {
  readonly fault: string;
  readonly clients: number;
  /** Data messages acked by an edge during this fault's phase. */
  readonly acked: number;
  /** Data messages refused by an edge (not logged: e.g. kafka_unavailable) during the phase. */
  readonly refused: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Other broken guarantees (out of sequence, reordered, misrouted, phantom, rejected). */
  readonly otherViolations: number;
  /** Completed resumes during the phase, and their duration (close → `resumed`). */
  readonly resumes: number;
  readonly resumeP50Ms: number | undefined;
  readonly resumeP99Ms: number | undefined;
  /** Fault injected → every client joined and every acked message older than 1 s delivered. */
  readonly recoveryMs: number | undefined;
  /**
   * The longest an acked message sent from 1 s before the fault to the end of the load waited
   * for one of its recipients, counted from the fault at the earliest: how long the fault stalled
   * traffic as the clients felt it.
   */
  readonly worstDelayMs: number | undefined;
  /** The exact failure messages (violations, resume_failed, non-resumable closes). */
  readonly failures: readonly string[];
  /** What the fault observed (close codes, which process was killed…). */
  readonly notes: readonly string[];
}

/** Nearest-rank percentile (`p` in 0..100) of `values`; undefined when empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const ms = (v: number | undefined): string => (v === undefined ? '–' : `${Math.round(v)} ms`);

/** The report: one row per fault, then every failure message and note. */
export function formatTable(results: readonly FaultResult[]): string {
  const header = [
    'fault',
    'clients',
    'acked',
    'refused',
    'lost',
    'duplicated',
    'other',
    'resumes',
    'resume p50',
    'resume p99',
    'recovery',
    'worst delay',
  ];
  const rows = results.map((r) => [
    r.fault,
    String(r.clients),
    String(r.acked),
    String(r.refused),
    String(r.lost),
    String(r.duplicated),
    String(r.otherViolations),
    String(r.resumes),
    ms(r.resumeP50Ms),
    ms(r.resumeP99Ms),
    ms(r.recoveryMs),
    ms(r.worstDelayMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const out = [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  ];
  for (const row of rows) out.push(line(row));
  for (const r of results) {
    for (const n of r.notes) out.push(`  ${r.fault}: ${n}`);
    for (const f of r.failures) out.push(`  ${r.fault}: FAILURE ${f}`);
  }
  return out.join('\n');
}
