/** Plain-text tables for the terminal (the JSON result is the record; the table is for eyes). */

/** Prints `rows` under `title` with columns sized to their content. */
export function printTable(title: string, rows: readonly Record<string, unknown>[]): void {
  console.log(`\n${title}`);
  if (rows.length === 0) {
    console.log('  (no rows)');
    return;
  }
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown): string =>
    typeof v === 'number'
      ? Number.isFinite(v)
        ? String(v)
        : '–'
      : v === undefined
        ? ''
        : typeof v === 'string'
          ? v
          : JSON.stringify(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => '  ' + values.map((v, i) => v.padStart(widths[i] ?? 0)).join('  ');
  console.log(line(cols));
  console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}
