import { describe, expect, it } from 'vitest';
import { SignalError } from '../src/errors.js';
import { clientReconnectPolicy, exponentialJitter, fixedSchedule, retryAsync, type RetryPolicy } from '../src/retry.js';

function delays(policy: RetryPolicy, count: number, elapsed: (attempt: number) => number = () => 0): (number | null)[] {
  return Array.from({ length: count }, (_, attempt) =>
    policy.nextRetryDelayMs({ attempt, elapsedMs: elapsed(attempt) }),
  );
}

/** Cycles through fixed values in [0, 1). */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

describe('exponentialJitter', () => {
  it('draws each delay uniformly below a doubling, capped ceiling', () => {
    const policy = exponentialJitter({ baseMs: 100, maxMs: 1000, random: () => 0.5 });
    expect(delays(policy, 6)).toEqual([50, 100, 200, 400, 500, 500]);
    const top = exponentialJitter({ baseMs: 100, maxMs: 1000, random: () => 0.999 });
    expect(delays(top, 5)).toEqual([100, 200, 400, 799, 999]);
  });

  it('gives up after maxAttempts', () => {
    const policy = exponentialJitter({ baseMs: 10, maxMs: 100, maxAttempts: 3, random: sequence(0.5) });
    expect(delays(policy, 5)).toEqual([5, 10, 20, null, null]);
  });

  it('gives up once maxElapsedMs has passed and never sleeps past it', () => {
    const policy = exponentialJitter({ baseMs: 1000, maxMs: 10_000, maxElapsedMs: 5000, random: () => 0.9 });
    expect(policy.nextRetryDelayMs({ attempt: 3, elapsedMs: 4500 })).toBe(500);
    expect(policy.nextRetryDelayMs({ attempt: 3, elapsedMs: 5000 })).toBeNull();
  });

  it('stays finite for huge attempt numbers', () => {
    const policy = exponentialJitter({ baseMs: 100, maxMs: 2000, random: () => 0.5 });
    expect(policy.nextRetryDelayMs({ attempt: 5000, elapsedMs: 0 })).toBe(1000);
  });

  it('rejects nonsense bounds', () => {
    expect(() => exponentialJitter({ baseMs: 0, maxMs: 10 })).toThrow(RangeError);
    expect(() => exponentialJitter({ baseMs: 100, maxMs: 10 })).toThrow(RangeError);
  });
});

describe('fixedSchedule', () => {
  it('follows the schedule exactly, then the steady delay with jitter', () => {
    const policy = fixedSchedule([0, 300, 1200, 2700, 4800], {
      thenMs: 7000,
      jitterMs: 1000,
      random: sequence(0, 0.5, 0.25),
    });
    expect(delays(policy, 8)).toEqual([0, 300, 1200, 2700, 4800, 7000, 7500, 7250]);
  });

  it('gives up after the schedule when there is no steady delay', () => {
    expect(delays(fixedSchedule([10, 20]), 3)).toEqual([10, 20, null]);
  });

  it('gives up after maxAttempts or maxElapsedMs', () => {
    const byCount = fixedSchedule([0, 100], { thenMs: 1000, maxAttempts: 4, random: () => 0 });
    expect(delays(byCount, 5)).toEqual([0, 100, 1000, 1000, null]);
    const byTime = fixedSchedule([0, 100], { thenMs: 1000, maxElapsedMs: 3000, random: () => 0 });
    expect(delays(byTime, 4, (attempt) => attempt * 1000)).toEqual([0, 100, 1000, null]);
  });

  it('clientReconnectPolicy is the LiveKit-like schedule with 10 tries', () => {
    expect(
      delays(
        clientReconnectPolicy(() => 0.5),
        11,
      ),
    ).toEqual([0, 300, 1200, 2700, 4800, 7500, 7500, 7500, 7500, 7500, null]);
  });
});

describe('retryAsync', () => {
  it('retries retriable errors with the policy delays, then succeeds', async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = await retryAsync(
      async () => {
        calls++;
        if (calls < 3) throw SignalError.kafkaUnavailable();
        return 'ok';
      },
      fixedSchedule([5, 50]),
      { sleep: async (ms) => void slept.push(ms), now: () => 0 },
    );
    expect(result).toBe('ok');
    expect(slept).toEqual([5, 50]);
  });

  it('rethrows the last error when the policy gives up, and never retries non-retriable errors', async () => {
    const sleep = async (): Promise<void> => {};
    let calls = 0;
    await expect(
      retryAsync(
        async () => {
          calls++;
          throw SignalError.timeout('produce', 100);
        },
        fixedSchedule([1, 1]),
        { sleep },
      ),
    ).rejects.toMatchObject({ code: 'timeout' });
    expect(calls).toBe(3);

    calls = 0;
    await expect(
      retryAsync(
        async () => {
          calls++;
          throw SignalError.forbidden('no');
        },
        fixedSchedule([1, 1]),
        { sleep },
      ),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect(calls).toBe(1);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const pending = retryAsync(
      async () => Promise.reject(SignalError.overloaded()),
      fixedSchedule([], { thenMs: 60_000 }),
      {
        signal: controller.signal,
      },
    );
    controller.abort(new Error('shutdown'));
    await expect(pending).rejects.toThrow('shutdown');
  });
});
