/** One recent room event kept for resume: its encoded bytes and the sessions it was addressed to. */
export interface WindowEntry {
  readonly seq: number;
  readonly bytes: Buffer;
  readonly addressed: ReadonlySet<string>;
}

/**
 * The last `capacity` events of a room, so a client that lost its socket can be sent exactly
 * the events it missed. Bounded by count; the decider refuses a resume older than the window
 * using the same bound, so the two always agree.
 */
export class ResumeWindow {
  private entries: WindowEntry[] = [];

  constructor(private readonly capacity: number) {}

  /** Entries held in memory (at most twice the capacity: trimming happens in halves, not per event). */
  get held(): number {
    return this.entries.length;
  }

  push(entry: WindowEntry): void {
    const last = this.entries.at(-1);
    if (last && entry.seq !== last.seq + 1) this.entries = []; // never serve a window with holes
    this.entries.push(entry);
    if (this.entries.length > this.capacity * 2) this.entries = this.entries.slice(-this.capacity);
  }

  /** Events after `lastSeq` addressed to `sessionId`, oldest first; null if they are no longer all held. */
  missedBy(sessionId: string, lastSeq: number): Buffer[] | null {
    const first = this.entries[0];
    if (first === undefined) return [];
    if (lastSeq + 1 < first.seq) return null;
    const out: Buffer[] = [];
    for (const e of this.entries) if (e.seq > lastSeq && e.addressed.has(sessionId)) out.push(e.bytes);
    return out;
  }

  /** The held entries, oldest first (for snapshots). */
  snapshot(): readonly WindowEntry[] {
    return this.entries.slice(-this.capacity);
  }

  /** Replaces the content with entries restored from a snapshot. */
  restore(entries: readonly WindowEntry[]): void {
    this.entries = [...entries];
  }

  get size(): number {
    return Math.min(this.entries.length, this.capacity);
  }
}
