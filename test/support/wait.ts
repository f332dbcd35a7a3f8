import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** How often to re-check (default 25 ms). */
  readonly intervalMs?: number;
  /** What was expected, for the failure message: "edge delivered the answer". */
  readonly message: string;
}

/**
 * Re-checks `predicate` until it returns a truthy value (returned) or the deadline passes,
 * then fails naming what was expected. Synchronise on observable state with this, never on a
 * fixed sleep: a sleep is either too short on a slow machine or wasted on a fast one.
 */
export async function waitFor<T>(predicate: () => T | Promise<T>, opts: WaitForOptions): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${opts.message}${cause}`);
    }
    await sleep(opts.intervalMs ?? 25);
  }
}
