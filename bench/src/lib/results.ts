/** Where results go: bench/results/<timestamp>-<scenario>.json, with the machine and its load. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machineInfo, versions, type MachineInfo } from './machine.js';

/** bench/results (next to this package's dist/). */
export const RESULTS_DIR = fileURLToPath(new URL('../../results/', import.meta.url));

/** Options of one `npm run bench` invocation. */
export interface RunOptions {
  readonly quick: boolean;
  readonly profile: boolean;
  /** Timestamp shared by every file of the run (sortable, no colons). */
  readonly stamp: string;
  readonly kafkaBrokers: string[];
  readonly redisUrl: string;
  /** Relay scenarios: only these systems (`--target`, repeatable); all when empty. */
  readonly targets: readonly string[];
}

/** A scenario's record as written to JSON. */
export interface ScenarioResult {
  readonly scenario: string;
  readonly stamp: string;
  readonly quick: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationS: number;
  readonly machine: { readonly start: MachineInfo; readonly end: MachineInfo };
  readonly versions: Record<string, string>;
  readonly parameters: Record<string, unknown>;
  readonly results: unknown;
  readonly profiles?: unknown;
  readonly notes?: readonly string[];
}

/** Measures the machine around `body` and writes the scenario's JSON; returns its path. */
export async function recordScenario(
  run: RunOptions,
  scenario: string,
  body: () => Promise<{ parameters: Record<string, unknown>; results: unknown; profiles?: unknown; notes?: string[] }>,
): Promise<string> {
  const start = machineInfo();
  const startedAt = new Date();
  const out = await body();
  const finishedAt = new Date();
  const record: ScenarioResult = {
    scenario,
    stamp: run.stamp,
    quick: run.quick,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
    machine: { start, end: machineInfo() },
    versions: versions(),
    parameters: out.parameters,
    results: out.results,
    ...(out.profiles === undefined ? {} : { profiles: out.profiles }),
    ...(out.notes === undefined ? {} : { notes: out.notes }),
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = `${RESULTS_DIR}${run.stamp}-${scenario}.json`;
  writeFileSync(path, JSON.stringify(record, null, 2) + '\n');
  console.log(
    `[bench] ${scenario}: ${record.durationS} s, loadavg ${start.loadavg.join('/')} → ${record.machine.end.loadavg.join('/')}; wrote ${path}`,
  );
  return path;
}

/** A sortable timestamp for file names: 20260121T043000Z. */
export function stampNow(date = new Date()): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}
