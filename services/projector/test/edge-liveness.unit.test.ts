import type { Kafka } from 'kafkajs';
import { createLogger } from '@sig/runtime';
import type { AvroCodec } from '@sig/schemas';
import { describe, expect, it } from 'vitest';
import { AFTER_STALL_GRACE_MS, EdgeLiveness, READ_STALL_MS } from '../src/adapters/edge-liveness.js';

const GRACE = 15_000;
const INTERVAL = 2000;

/** A liveness view that is never started: heartbeats and fetches are fed by the test. */
function liveness(): { view: EdgeLiveness; t0: number } {
  const t0 = Date.now();
  const view = new EdgeLiveness(
    {} as Kafka,
    'signal.edge-liveness',
    {} as AvroCodec<'signal.EdgeHeartbeat'>,
    '',
    GRACE,
    createLogger({ service: 'test', instance: 'test', level: 'silent' }),
  );
  return { view, t0 };
}

/** Fetches every 100 ms from `from` to `to`, as the consumer does while the broker answers. */
function fetchBetween(view: EdgeLiveness, from: number, to: number): void {
  for (let t = from; t <= to; t += 100) view.fetched(t);
}

const beat = (edgeId: string, at: number) => ({ edgeId, at, intervalMs: INTERVAL, state: 'RUNNING' as const });

describe('edge liveness', () => {
  it('an edge that misses three heartbeats while the log is read is dead', () => {
    const { view, t0 } = liveness();
    view.seen(beat('edge-a', t0));
    fetchBetween(view, t0, t0 + 3 * INTERVAL);
    expect(view.isDead('edge-a', t0 + 3 * INTERVAL)).toBe(false);
    fetchBetween(view, t0 + 3 * INTERVAL, t0 + 3 * INTERVAL + 500);
    expect(view.isDead('edge-a', t0 + 3 * INTERVAL + 500)).toBe(true);
  });

  it('gives no verdict while the heartbeat log cannot be read (broker outage)', () => {
    const { view, t0 } = liveness();
    view.seen(beat('edge-a', t0));
    view.fetched(t0);
    // Nothing fetched for 30 s: the edges could not write either.
    expect(view.isDead('edge-a', t0 + READ_STALL_MS + 1)).toBe(false);
    expect(view.isDead('edge-a', t0 + 30_000)).toBe(false);
  });

  it('after an outage, edges get three intervals and a grace from the moment reading resumes', () => {
    const { view, t0 } = liveness();
    view.seen(beat('edge-a', t0));
    view.seen(beat('edge-b', t0));
    view.fetched(t0);
    const back = t0 + 30_000;
    const allowance = 3 * INTERVAL + AFTER_STALL_GRACE_MS;
    fetchBetween(view, back, back + allowance + 1000);
    // edge-a publishes again (every interval) once its producer reconnected; edge-b never does.
    for (let t = back + 3000; t <= back + allowance + 1000; t += INTERVAL) view.seen(beat('edge-a', t));
    expect(view.isDead('edge-a', back + allowance - 100)).toBe(false);
    expect(view.isDead('edge-b', back + allowance - 100)).toBe(false);
    expect(view.isDead('edge-a', back + allowance + 1000)).toBe(false);
    expect(view.isDead('edge-b', back + allowance + 1000)).toBe(true);
    // The grace does not depend on EDGE_LIVENESS_GRACE (the startup grace), which may be long.
    expect(GRACE).toBeGreaterThan(allowance);
  });

  it('an edge that said it stopped is dead at once', () => {
    const { view, t0 } = liveness();
    view.seen({ ...beat('edge-a', t0), state: 'STOPPED' });
    view.fetched(t0);
    expect(view.isDead('edge-a', t0 + 1)).toBe(true);
  });
});
