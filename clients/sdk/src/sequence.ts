/**
 * The client side of the room sequence rules (docs/protocol.md, "Sequence numbers"): `joined`
 * initialises lastSeq, a later seq is applied and advances it, a seq ≤ lastSeq is a duplicate
 * (replayed around a resume) and is dropped, `resume_failed` forgets it.
 */
export class SeqTracker {
  #lastSeq: number | null = null;

  /** The last applied room sequence number, or null before `joined`. */
  get lastSeq(): number | null {
    return this.#lastSeq;
  }

  /** A `joined` message: its seq starts the session's history. */
  reset(seq: number): void {
    this.#lastSeq = seq;
  }

  /** Forgets lastSeq (the session ended: resume_failed, leave, close). */
  clear(): void {
    this.#lastSeq = null;
  }

  /**
   * Whether a message with `seq` must be applied. Messages without seq are always applied and do
   * not move lastSeq; a duplicate returns false.
   */
  accept(seq: number | undefined): boolean {
    if (seq === undefined) return true;
    if (this.#lastSeq !== null && seq <= this.#lastSeq) return false;
    this.#lastSeq = seq;
    return true;
  }
}
