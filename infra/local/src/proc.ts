/**
 * Detached, pid-file managed processes. Each local service runs in its own process group
 * (so Ctrl-C in a terminal does not hit it, and stopping it also stops anything it forked),
 * and its pid file is trusted only when /proc says the pid still runs the expected command:
 * a stale pid file, or a pid reused by an unrelated process, counts as "not running".
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** State letter and process group of a pid from /proc/<pid>/stat, or undefined once it is gone. */
function stat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may itself contain ')'): state ppid pgrp …
    const [state = '', , pgrp = ''] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state, pgrp: Number(pgrp) };
  } catch {
    return undefined;
  }
}

/** What /proc says about a pid. Zombies count as gone: they hold no port and cannot be signalled away. */
export function processState(pid: number): 'running' | 'gone' {
  const s = stat(pid);
  return s === undefined || s.state === 'Z' || s.state === 'X' ? 'gone' : 'running';
}

/** Pids of the non-zombie processes in process group `pgid`. */
export function liveGroupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      const s = stat(pid);
      return s !== undefined && s.pgrp === pgid && s.state !== 'Z' && s.state !== 'X';
    });
}

/** The command line of a pid, arguments separated by spaces ('' when unknown). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** The pid recorded in `pidFile` if that process is alive and `isOurs(cmdline)`; removes a stale file. */
export function livePid(pidFile: string, isOurs: (cmdline: string) => boolean): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  if (Number.isInteger(pid) && pid > 0 && processState(pid) === 'running' && isOurs(commandLine(pid))) return pid;
  rmSync(pidFile, { force: true });
  return undefined;
}

export interface SpawnDetachedOptions {
  readonly cwd: string;
  readonly logFile: string;
  readonly pidFile: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts `command` as the leader of a new process group, output appended to `logFile`; returns its pid. */
export async function spawnDetached(
  command: string,
  args: readonly string[],
  opts: SpawnDetachedOptions,
): Promise<number> {
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`${command} did not start`);
    writeFileSync(opts.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** SIGTERM the process group, wait up to `graceMs` for all of it to exit, then SIGKILL what is left. */
export async function stopGroup(pgid: number, graceMs: number): Promise<'terminated' | 'killed'> {
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (liveGroupMembers(pgid).length > 0 && Date.now() < deadline) await sleep(100);
  if (liveGroupMembers(pgid).length === 0) return 'terminated';
  signalGroup(pgid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (liveGroupMembers(pgid).length > 0) {
    if (Date.now() > killDeadline) throw new Error(`process group ${pgid} survived SIGKILL for 5 s`);
    await sleep(50);
  }
  return 'killed';
}

/** Current size of a file (0 if missing): remember it before a start to show only that start's log. */
export function fileSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/**
 * What went wrong, from `file` after byte `from`: its ERROR and "Caused by" lines (a JVM buries
 * the cause in long stack traces), then its last `lines` lines.
 */
export function tail(file: string, from = 0, lines = 15): string {
  if (!existsSync(file)) return '(no log)';
  const all = readFileSync(file).subarray(from).toString('utf8').trimEnd().split('\n');
  const causes = all.filter((line) => / ERROR |^Caused by:|^Exception|FATAL/.test(line)).slice(0, 8);
  const last = all.slice(-lines);
  const text = causes.length > 0 ? [...causes, '…', ...last] : last;
  return text.join('\n') || '(log is empty)';
}
