/** Reading Prometheus text exposition in tests. */

/**
 * A counter in Prometheus text: the sum of the samples of `name` that carry these labels
 * (others too: every sample also has `service="edge"`). A prefix match on the whole series text
 * never matched that extra label, so the slow-consumer fault waited 50 s for a 4004 the edge had
 * already counted, and never let its client read again.
 */
export function counterIn(text: string, name: string, labels: Readonly<Record<string, string>>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}
