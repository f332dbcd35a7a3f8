/**
 * Reads V8 .cpuprofile files (what `node --cpu-prof` writes) and ranks functions by self time,
 * so each scenario can name its bottleneck without a flame-graph tool.
 */
import { readdirSync, readFileSync } from 'node:fs';

interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** One function's share of the samples. */
export interface HotFunction {
  readonly fn: string;
  readonly selfMs: number;
  readonly selfPct: number;
}

/** Top `n` functions by self time of one profile (idle and GC kept: they say a lot too). */
export function topSelfTime(path: string, n = 12): { totalMs: number; top: HotFunction[] } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  const add = (node: CpuProfileNode | undefined, us: number) => {
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/');
    const key =
      `${functionName || '(anonymous)'} ${file ? `${file.split('/').slice(-3).join('/')}:${lineNumber + 1}` : ''}`.trim();
    selfUs.set(key, (selfUs.get(key) ?? 0) + us);
  };
  if (profile.samples && profile.timeDeltas) {
    // Each sample's duration is the delta to the next sample.
    for (let i = 0; i < profile.samples.length; i++) {
      add(byNode.get(profile.samples[i] ?? -1), profile.timeDeltas[i + 1] ?? 0);
    }
  } else {
    const interval =
      (profile.endTime - profile.startTime) /
      Math.max(
        1,
        profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0),
      );
    for (const node of profile.nodes) add(node, (node.hitCount ?? 0) * interval);
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const top = [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([fn, us]) => ({ fn, selfMs: Math.round(us / 1000), selfPct: Math.round((1000 * us) / (totalUs || 1)) / 10 }));
  return { totalMs: Math.round(totalUs / 1000), top };
}

/** Every .cpuprofile in `dir` whose name starts with `prefix`, summarised. */
export function summariseProfiles(dir: string, prefix: string): Record<string, ReturnType<typeof topSelfTime>> {
  const out: Record<string, ReturnType<typeof topSelfTime>> = {};
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.cpuprofile'));
  } catch {
    return out;
  }
  for (const f of files) {
    try {
      out[f] = topSelfTime(`${dir}/${f}`);
    } catch (err) {
      console.error(`[bench] could not read profile ${f}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Prints the top functions of each profile. */
export function printProfiles(summaries: Record<string, ReturnType<typeof topSelfTime>>, n = 8): void {
  for (const [file, { totalMs, top }] of Object.entries(summaries)) {
    console.log(`\n  profile ${file} (${totalMs} ms sampled) — top self time:`);
    for (const h of top.slice(0, n))
      console.log(`    ${String(h.selfPct).padStart(5)}%  ${String(h.selfMs).padStart(6)} ms  ${h.fn}`);
  }
}
