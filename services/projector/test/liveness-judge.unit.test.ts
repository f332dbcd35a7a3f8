import { describe, expect, it } from 'vitest';
import { LivenessJudge } from '../src/adapters/liveness-judge.js';

const WITNESS = 'projector-witness:p1:abcd';
const options = { witnessId: WITNESS, startupGraceMs: 10_000, gapMs: 2000, afterGapGraceMs: 5000 };

/** A liveness log: edges' heartbeats and our witness records, in log order, stamped by a fake clock. */
function log() {
  const judge = new LivenessJudge(options);
  const records: Parameters<LivenessJudge['read']>[0][] = [];
  const read = (r: Parameters<LivenessJudge['read']>[0]) => {
    records.push(r);
    judge.read(r);
  };
  let now = 1_700_000_000_000;
  return {
    judge,
    records,
    /** `ms` of wall time pass (nothing is read). */
    pass(ms: number) {
      now += ms;
    },
    /** Our witness comes back every 250 ms for `ms`, while `edges` heartbeat every `interval`. */
    run(ms: number, edges: readonly string[] = [], interval = 500) {
      for (let t = 250; t <= ms; t += 250) {
        now += 250;
        read({ edgeId: WITNESS, replySlot: -1, at: now, state: 'RUNNING', intervalMs: 250 });
        if (t % interval === 0) for (const e of edges) this.beat(e, interval);
      }
    },
    beat(edgeId: string, intervalMs = 500, state: 'RUNNING' | 'STOPPED' = 'RUNNING') {
      read({ edgeId, replySlot: 3, at: now, state, intervalMs });
    },
  };
}

describe('LivenessJudge: edge liveness by log time', () => {
  it('declares an edge dead once the log moved on by three of its intervals without it', () => {
    const l = log();
    l.beat('e1');
    l.run(2000, ['e1']);
    expect(l.judge.isDead('e1')).toBe(false);
    l.run(1250); // e1 silent: 1.25 s of log time, less than 3 × 500 ms
    expect(l.judge.isDead('e1')).toBe(false);
    l.run(500);
    expect(l.judge.isDead('e1')).toBe(true);
  });

  it('a live edge stays alive while another one dies', () => {
    const l = log();
    l.beat('stays');
    l.beat('dies');
    l.run(1000, ['stays', 'dies']);
    l.run(3000, ['stays']);
    expect(l.judge.isDead('stays')).toBe(false);
    expect(l.judge.isDead('dies')).toBe(true);
  });

  it('declares nobody dead while the log stands still, however long (wall time passes, nothing is read)', () => {
    const l = log();
    l.beat('e1');
    l.run(1000, ['e1']);
    l.pass(60_000);
    expect(l.judge.isDead('e1')).toBe(false);
  });

  it('after a broker outage, edges get three intervals plus the grace to be heard again', () => {
    const l = log();
    l.beat('e1');
    l.beat('late');
    l.run(1000, ['e1', 'late']);
    l.pass(30_000); // the outage: no witness, no heartbeat
    // Our witness producer reconnects first; the edges' producers 3 s later (one of them never).
    l.run(3000);
    expect(l.judge.isDead('e1')).toBe(false);
    l.beat('e1');
    l.run(3000, ['e1']);
    expect(l.judge.isDead('e1')).toBe(false);
    expect(l.judge.isDead('late')).toBe(false); // 6 s after the gap < 1.5 s + 5 s
    l.run(1000, ['e1']);
    expect(l.judge.isDead('late')).toBe(true); // an edge that died during the outage is still found
    expect(l.judge.isDead('e1')).toBe(false);
  });

  it('a STOPPED edge is dead at once', () => {
    const l = log();
    l.beat('e1');
    l.run(500, ['e1']);
    l.beat('e1', 500, 'STOPPED');
    expect(l.judge.isDead('e1')).toBe(true);
  });

  it('an edge never heard of is presumed alive for the startup grace of log time', () => {
    const l = log();
    l.pass(60_000);
    expect(l.judge.isDead('unknown')).toBe(false);
    l.run(10_000); // the clock starts at our first witness: 9.75 s of log time
    expect(l.judge.isDead('unknown')).toBe(false);
    l.run(500);
    expect(l.judge.isDead('unknown')).toBe(true);
  });

  it('ignores other projectors’ witness records and an older heartbeat read after a newer one', () => {
    const l = log();
    l.judge.read({ edgeId: 'projector-witness:p2:ffff', replySlot: -1, at: 0, state: 'RUNNING', intervalMs: 250 });
    l.run(20_000);
    expect(l.judge.isDead('projector-witness:p2:ffff')).toBe(true); // unknown: never became an edge
    l.beat('e1');
    l.judge.read({ edgeId: 'e1', replySlot: 3, at: 0, state: 'STOPPED', intervalMs: 500 });
    expect(l.judge.isDead('e1')).toBe(false);
  });

  it('records read again (the consumer was replaced and re-reads the topic) change nothing', () => {
    const l = log();
    l.beat('e1');
    l.run(1000, ['e1']);
    l.run(2000); // e1 died
    expect(l.judge.isDead('e1')).toBe(true);
    const clock = l.judge.clock;
    for (const r of [...l.records]) l.judge.read(r);
    expect(l.judge.isDead('e1')).toBe(true);
    expect(l.judge.clock).toBe(clock);
    l.run(500); // and the next witnesses are normal steps, not a gap
    expect(l.judge.clock).toBe(clock + 500);
  });
});
