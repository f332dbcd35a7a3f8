/**
 * Safety net for processes a test starts: whatever is still running when the test worker exits
 * (a failed beforeAll that never handed a process to its afterAll, a crash, a timeout) is killed,
 * so no edge, service, broker or TURN server outlives the run that started it.
 */
import type { ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();
let installed = false;

/** Kills `child` when this process exits, unless it exited first. Returns `child`. */
export function killOnExit<T extends ChildProcess>(child: T): T {
  if (!installed) {
    installed = true;
    process.once('exit', () => {
      for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}
