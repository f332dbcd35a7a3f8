/**
 * The commands a partition worker has consumed but not yet decided, in offset order, and the
 * offset the next one must have. The consumer hands batches over as they are fetched and moves
 * on; the worker takes them in transactions of its own pace. Offsets below the next expected one
 * (a fetch repeated after a seek, or commands an earlier owner already decided) are dropped, so a
 * command is decided at most once per ownership.
 */
export class CommandInbox<M extends { readonly offset: string; readonly value: Buffer | null }> {
  #queue: M[] = [];
  #next: bigint | null = null;
  #bytes = 0;

  /** Whether commands are accepted (false while the worker rebuilds and before it knows where to start). */
  get accepting(): boolean {
    return this.#next !== null;
  }

  /** Commands waiting. */
  get size(): number {
    return this.#queue.length;
  }

  /** Bytes of the waiting commands' values. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Accepts commands from `offset` on (the group's committed offset, read after fencing). */
  startAt(offset: bigint): void {
    this.clear();
    this.#next = offset;
  }

  /** Stops accepting and forgets what waits (after a failed transaction: it is consumed again). */
  stop(): void {
    this.clear();
    this.#next = null;
  }

  /** Queues the commands at or after the next expected offset; returns how many were queued. */
  offer(messages: readonly M[]): number {
    if (this.#next === null) return 0;
    let accepted = 0;
    for (const m of messages) {
      const offset = BigInt(m.offset);
      if (offset < this.#next) continue;
      this.#queue.push(m);
      this.#bytes += m.value?.length ?? 0;
      this.#next = offset + 1n;
      accepted++;
    }
    return accepted;
  }

  /** Removes and returns up to `max` commands, oldest first. */
  take(max: number): M[] {
    const taken = this.#queue.splice(0, max);
    for (const m of taken) this.#bytes -= m.value?.length ?? 0;
    return taken;
  }

  private clear(): void {
    this.#queue = [];
    this.#bytes = 0;
  }
}
