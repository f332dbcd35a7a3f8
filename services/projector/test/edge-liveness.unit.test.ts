import { Kafka } from 'kafkajs';
import { describe, expect, test } from 'vitest';
import { createLogger } from '@sig/runtime';
import { AvroCodec, SchemaSet } from '@sig/schemas';
import { EdgeLiveness, FetchView } from '../src/adapters/edge-liveness.js';

const INTERVAL = 500;
const beat = (edgeId: string, at: number) => ({ edgeId, at, intervalMs: INTERVAL, state: 'RUNNING' as const });

const codec = new AvroCodec(SchemaSet.load(), 'signal.EdgeHeartbeat');
const logger = createLogger({ service: 'test', instance: 'test', level: 'silent' });

/** Never started: these tests feed heartbeats and fetches by hand (pure bookkeeping, no broker). */
function liveness(startedAt: number, graceMs = 15_000): EdgeLiveness {
  const kafka = new Kafka({ brokers: ['127.0.0.1:1'] });
  return new EdgeLiveness(kafka, 'liveness', codec, 't.', graceMs, logger, startedAt);
}

describe('edge liveness is judged on what was read, not on the clock', () => {
  test('an edge is dead once a fetch started three intervals after its last heartbeat came back without a newer one', () => {
    const l = liveness(0);
    l.fetchStarting(1, 0);
    l.seen(beat('e1', 100));
    l.fetchStarting(1, 200);
    expect(l.isDead('e1')).toBe(false);
    l.fetchStarting(1, 1600); // the fetch started at 200 is handled: nothing newer as of 200
    expect(l.isDead('e1')).toBe(false);
    l.fetchStarting(1, 1700); // handled as of 1600: 1500 ms of silence = three intervals, not more
    expect(l.isDead('e1')).toBe(false);
    l.fetchStarting(1, 1800); // as of 1700: more than three intervals
    expect(l.isDead('e1')).toBe(true);
  });

  test('a projector that stalled gives no verdict until it has read what the edges wrote meanwhile', () => {
    const l = liveness(0);
    l.fetchStarting(1, 0);
    l.seen(beat('e1', 900));
    l.fetchStarting(1, 1000);
    // The event loop was blocked for 5 s: the fetch started at 1000 is still being handled, the
    // edge kept beating meanwhile. Before, `now - at` (5 s) declared it dead here.
    expect(l.isDead('e1')).toBe(false);
    l.seen(beat('e1', 5900));
    l.fetchStarting(1, 6000);
    expect(l.isDead('e1')).toBe(false);
  });

  test('no verdict before the first complete fetch; an unknown edge only after the startup grace', () => {
    const l = liveness(0, 2000);
    expect(l.isDead('ghost')).toBe(false);
    l.fetchStarting(1, 10_000);
    expect(l.isDead('ghost')).toBe(false);
    l.fetchStarting(1, 10_100);
    expect(l.isDead('ghost')).toBe(true);
    l.seen({ ...beat('e2', 10_050), state: 'STOPPED' });
    expect(l.isDead('e2')).toBe(true);
  });

  test('several brokers: the view is as old as the least advanced one; a broker no longer fetched from is forgotten', () => {
    const v = new FetchView();
    expect(v.asOf()).toBeUndefined();
    v.fetchStarting(1, 0);
    v.fetchStarting(1, 100);
    v.fetchStarting(2, 50);
    expect(v.asOf()).toBeUndefined();
    v.fetchStarting(2, 300);
    v.fetchStarting(1, 400);
    expect(v.asOf()).toBe(50);
    v.fetchStarting(1, 40_000);
    v.fetchStarting(1, 40_100);
    expect(v.asOf()).toBe(40_000);
  });
});
