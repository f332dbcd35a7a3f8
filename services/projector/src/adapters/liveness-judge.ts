import type { EdgeHeartbeat } from '@sig/schemas';

/** What the judge knows of one edge. */
interface EdgeSeen {
  readonly at: number;
  readonly intervalMs: number;
  readonly state: EdgeHeartbeat['state'];
  /** Log clock when its latest heartbeat was read. */
  readonly heardAt: number;
}

/** Settings of a `LivenessJudge`. */
export interface LivenessJudgeOptions {
  /** This instance's witness id (the `edgeId` of the witness records it writes). */
  readonly witnessId: string;
  /** An edge never heard of is presumed alive until the log clock passes this. */
  readonly startupGraceMs: number;
  /**
   * Two of our witness records further apart than this (by their own `at`) mean the log stood
   * still in between (broker outage, or this process stalled): that time is not counted.
   */
  readonly gapMs: number;
  /** After such a gap, edges silent since before it get this long (plus three intervals) to be heard. */
  readonly afterGapGraceMs: number;
}

/**
 * Decides edge liveness by LOG time, not wall-clock time. Pure: it is fed the records of the
 * liveness topic in log order and never reads a clock.
 *
 * The log clock advances only when this instance reads back its own witness record (written
 * every few hundred ms), by the time elapsed since the previous one. An edge is dead when the log
 * clock moved on by three of its intervals since its last heartbeat was read: the log demonstrably
 * accepted records for that long and the edge wrote none. While the broker is down nothing is
 * read, the clock stands still and nobody is declared dead; a gap between two witness records
 * (an outage, a stalled process) is not counted, and edges get `afterGapGraceMs` to reconnect
 * their producers. Judging by wall-clock age declared every edge dead after a broker restart.
 */
export class LivenessJudge {
  private readonly edges = new Map<string, EdgeSeen>();
  private clockMs = 0;
  private lastWitnessAt: number | null = null;
  /** Log clock at the end of the last gap (null: none yet). */
  private resumedAt: number | null = null;

  constructor(private readonly o: LivenessJudgeOptions) {}

  /** The log clock: ms of demonstrated log progress since the first own witness was read. */
  get clock(): number {
    return this.clockMs;
  }

  /** Applies one record of the liveness topic, in log order. */
  read(hb: Pick<EdgeHeartbeat, 'edgeId' | 'replySlot' | 'at' | 'state' | 'intervalMs'>): void {
    if (hb.edgeId === this.o.witnessId) {
      this.witness(hb.at);
      return;
    }
    // Another projector's witness (no reply slot): not an edge.
    if (hb.replySlot < 0) return;
    const prev = this.edges.get(hb.edgeId);
    // Not newer: a record read again (consumer replaced after a crash) is no news of the edge.
    if (prev && (prev.at > hb.at || (prev.at === hb.at && prev.state === hb.state))) return;
    this.edges.set(hb.edgeId, { at: hb.at, intervalMs: hb.intervalMs, state: hb.state, heardAt: this.clockMs });
  }

  private witness(at: number): void {
    const prev = this.lastWitnessAt;
    if (prev !== null && at <= prev) return; // read again after a consumer restart
    this.lastWitnessAt = at;
    if (prev === null) return;
    const step = at - prev;
    if (step > this.o.gapMs) this.resumedAt = this.clockMs;
    else this.clockMs += step;
  }

  /** Whether connections on this edge should be considered lost. */
  isDead(edgeId: string): boolean {
    const seen = this.edges.get(edgeId);
    if (!seen) return this.clockMs > this.o.startupGraceMs;
    if (seen.state === 'STOPPED') return true;
    const allowance = 3 * seen.intervalMs;
    if (this.resumedAt !== null && seen.heardAt <= this.resumedAt)
      return this.clockMs - this.resumedAt > allowance + this.o.afterGapGraceMs;
    return this.clockMs - seen.heardAt > allowance;
  }
}
