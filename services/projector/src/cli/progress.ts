/** Where progress is drawn: stderr, or anything with the same shape (tests). */
export interface ProgressSink {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * A one-line progress bar with rate and ETA, redrawn at most every 100 ms. Silent when the sink
 * is not a terminal, so piped or logged runs get no control characters.
 */
export class ProgressBar {
  private done = 0;
  private lastDraw = 0;
  private readonly started: number;

  constructor(
    private readonly sink: ProgressSink,
    private readonly total: number,
    private readonly label: string,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  /** Whether anything is drawn at all. */
  get enabled(): boolean {
    return this.sink.isTTY === true && this.total > 0;
  }

  /** Counts `n` more records. */
  tick(n = 1): void {
    this.done += n;
    if (!this.enabled) return;
    const t = this.now();
    if (t - this.lastDraw < 100 && this.done < this.total) return;
    this.lastDraw = t;
    this.sink.write(`\r${this.render(t)}`);
  }

  /** Clears the line. */
  finish(): void {
    if (this.enabled) this.sink.write('\r\x1b[2K');
  }

  /** `label [#####-----]  50% 1,000/2,000 records 500/s ETA 2s` at time `t`. */
  render(t: number): string {
    const ratio = Math.min(1, this.done / Math.max(1, this.total));
    const width = 24;
    const filled = Math.round(ratio * width);
    const seconds = Math.max(0.001, (t - this.started) / 1000);
    const rate = this.done / seconds;
    const eta = rate > 0 ? Math.ceil((this.total - this.done) / rate) : Infinity;
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    return (
      `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ` +
      `${fmt(this.done)}/${fmt(this.total)} records ${fmt(rate)}/s ETA ${Number.isFinite(eta) ? `${Math.max(0, eta)}s` : '?'}`
    );
  }
}
