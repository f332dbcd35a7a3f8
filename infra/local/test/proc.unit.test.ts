import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { withLock } from '../src/lock.js';
import { liveGroupMembers, livePid, processState, spawnDetached, stopGroup } from '../src/proc.js';
import { waitFor } from '../../../test/support/wait.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'infra-proc-'));

describe('livePid', () => {
  test('trusts a pid file only when the process runs the expected command', () => {
    const pidFile = join(scratch(), 'x.pid');
    writeFileSync(pidFile, `${process.pid}\n`);
    expect(livePid(pidFile, (cmd) => cmd.includes('node'))).toBe(process.pid);
    // Same live pid, but not our service (a pid reused by another program): stale.
    expect(livePid(pidFile, (cmd) => cmd.includes('kafka.Kafka'))).toBeUndefined();
    expect(existsSync(pidFile)).toBe(false);
  });

  test('treats a pid file of a dead process as stale', async () => {
    const child = spawn('true');
    await new Promise((resolve) => child.once('exit', resolve));
    const pidFile = join(scratch(), 'x.pid');
    writeFileSync(pidFile, `${child.pid}\n`);
    expect(livePid(pidFile, () => true)).toBeUndefined();
  });
});

describe('stopGroup', () => {
  test('kills a process group that ignores SIGTERM once the grace period ends, children included', async () => {
    const dir = scratch();
    // Says "ready" once SIGTERM is ignored and the child exists, so the test does not race the trap.
    const script = "trap '' TERM; sleep 300 & echo ready; wait";
    const pid = await spawnDetached('bash', ['-c', script], {
      cwd: dir,
      logFile: join(dir, 'log'),
      pidFile: join(dir, 'pid'),
    });
    await waitFor(() => readFileSync(join(dir, 'log'), 'utf8').includes('ready'), { message: 'the script to start' });
    expect(await stopGroup(pid, 300)).toBe('killed');
    expect(processState(pid)).toBe('gone');
    expect(liveGroupMembers(pid)).toEqual([]); // the backgrounded `sleep` went too
  });
});

describe('withLock', () => {
  test('takes over a lock left by a dead process', async () => {
    const lock = join(scratch(), 'x.lock');
    writeFileSync(lock, '999999999\n');
    expect(await withLock(lock, 1_000, () => Promise.resolve('ran'))).toBe('ran');
    expect(existsSync(lock)).toBe(false);
  });

  test('gives up on a lock a live process holds past the timeout', async () => {
    const lock = join(scratch(), 'x.lock');
    writeFileSync(lock, `${process.pid}\n`);
    await expect(withLock(lock, 300, () => Promise.resolve('ran'))).rejects.toThrow(/is held by pid/);
  });
});
