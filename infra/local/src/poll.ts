import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Checked before each attempt: a reason to give up early (e.g. the process died), or undefined. */
  readonly abortReason?: () => string | undefined;
}

/**
 * Retries `attempt` until it resolves to true, and returns; throws when the deadline passes
 * (with the last attempt's error) or as soon as `abortReason` gives a reason.
 */
export async function pollUntil(describe: string, attempt: () => Promise<boolean>, opts: PollOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    const abort = opts.abortReason?.();
    if (abort !== undefined) throw new Error(`${describe}: ${abort}`);
    try {
      if (await attempt()) return;
      lastError = '';
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${describe}: not ready after ${opts.timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ''}`,
      );
    }
    await sleep(opts.intervalMs ?? 250);
  }
}
