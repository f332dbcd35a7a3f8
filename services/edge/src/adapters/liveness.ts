/**
 * Publishes `EdgeHeartbeat` to `signal.edge-liveness` (keyed by edge id, compacted) every
 * interval, and at once on a state change. Projectors treat three missed intervals as the edge's
 * loss and a DRAINING heartbeat as "its clients are moving". Heartbeats share the command log's
 * producer; when that queue is full a beat is skipped rather than queued behind client traffic.
 */
import type { Logger } from '@sig/runtime';
import { recordHeaders } from '@sig/runtime';
import type { AvroCodec, EdgeState } from '@sig/schemas';
import type { CommandLog } from './command-log.js';

export interface LivenessOptions {
  readonly log: CommandLog;
  readonly codec: AvroCodec<'signal.EdgeHeartbeat'>;
  readonly topic: string;
  readonly edgeId: string;
  readonly replySlot: number;
  readonly intervalMs: number;
  readonly connections: () => number;
  readonly logger: Logger;
  readonly now?: () => number;
}

export class LivenessPublisher {
  #timer: NodeJS.Timeout | undefined;
  #state: EdgeState = 'RUNNING';

  constructor(private readonly o: LivenessOptions) {}

  start(): void {
    if (this.#timer !== undefined) return;
    void this.beat();
    this.#timer = setInterval(() => void this.beat(), this.o.intervalMs);
  }

  /** Changes the advertised state and publishes it now; resolves when it is written (or failed). */
  announce(state: EdgeState): Promise<void> {
    this.#state = state;
    return this.beat();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Publishes one heartbeat; never rejects. */
  async beat(): Promise<void> {
    const { log, codec, edgeId, replySlot, intervalMs } = this.o;
    const value = codec.encode({
      edgeId,
      replySlot,
      at: (this.o.now ?? Date.now)(),
      state: this.#state,
      connections: this.o.connections(),
      intervalMs,
    });
    try {
      await log.append({ topic: this.o.topic, key: edgeId, value, headers: recordHeaders({ trace: false }) });
    } catch (err) {
      this.o.logger.warn({ err, state: this.#state }, 'edge heartbeat not published');
    }
  }
}
