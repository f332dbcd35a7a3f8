/** What a result must say about where it was measured: the machine, its load, the versions. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';

/** Machine facts recorded with every result. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memTotalMiB: number;
  readonly memFreeMiB: number;
  readonly os: string;
  readonly kernel: string;
  readonly loadavg: readonly number[];
  readonly fdLimit: string;
}

/** A snapshot of the machine now (loadavg differs between the start and the end of a scenario). */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memTotalMiB: Math.round(os.totalmem() / 2 ** 20),
    memFreeMiB: Math.round(os.freemem() / 2 ** 20),
    os: osRelease(),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    loadavg: os.loadavg().map((v) => Math.round(v * 100) / 100),
    fdLimit: fdLimit(),
  };
}

function osRelease(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? os.platform();
  } catch {
    return os.platform();
  }
}

function fdLimit(): string {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = line?.split(/\s{2,}/).slice(1, 3) ?? [];
    return `${soft ?? '?'}/${hard ?? '?'}`;
  } catch {
    return 'unknown';
  }
}

const require = createRequire(import.meta.url);

/** Versions of the runtime and of the packages being compared. */
export function versions(): Record<string, string> {
  const out: Record<string, string> = { node: process.version };
  for (const name of ['kafkajs', '@platformatic/kafka', 'peer', 'uWebSockets.js', 'ws', 'werift', 'avsc']) {
    out[name] = packageVersion(name);
  }
  return out;
}

function packageVersion(name: string): string {
  try {
    const main = require.resolve(name);
    const marker = `/node_modules/${name}/`;
    const dir = main.slice(0, main.lastIndexOf(marker) + marker.length);
    return (JSON.parse(readFileSync(`${dir}package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** Resident set size of a process (KiB), from /proc; NaN when it is gone. */
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system, ms) a process has used so far, from /proc; NaN when it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}
