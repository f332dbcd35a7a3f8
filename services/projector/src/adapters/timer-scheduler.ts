import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { AvroCodec, Command } from '@sig/schemas';
import type { Logger } from '@sig/runtime';
import { dueTimers, type DeciderConfig, type DueTimer, type RoomState } from '../domain/index.js';

/**
 * Turns the timers a room state implies into TimerFired commands on the room's command
 * partition when they fall due. The decision itself happens in order with every other
 * command, so it is replayable; a timer fired twice (e.g. by two owners around a rebalance)
 * is harmless because the decider re-checks its condition.
 */
export class TimerScheduler {
  private readonly armed = new Map<string, Map<string, NodeJS.Timeout>>();
  private closed = false;

  constructor(
    private readonly producer: Producer,
    private readonly codec: AvroCodec<'signal.Command'>,
    private readonly topic: string,
    private readonly instanceId: string,
    private readonly config: DeciderConfig,
    private readonly logger: Logger,
  ) {}

  /** Re-derives the room's timers from its state: arms new ones, cancels obsolete ones. */
  update(state: RoomState): void {
    if (this.closed) return;
    const wanted = new Map(dueTimers(state, this.config).map((t) => [key(t), t]));
    const current = this.armed.get(state.room) ?? new Map<string, NodeJS.Timeout>();
    for (const [k, handle] of current) {
      if (!wanted.has(k)) {
        clearTimeout(handle);
        current.delete(k);
      }
    }
    for (const [k, t] of wanted) {
      if (current.has(k)) continue;
      const handle = setTimeout(
        () => {
          current.delete(k);
          void this.fire(t);
        },
        Math.max(0, t.dueAt - Date.now()),
      );
      handle.unref();
      current.set(k, handle);
    }
    if (current.size > 0) this.armed.set(state.room, current);
    else this.armed.delete(state.room);
  }

  /** Forgets rooms this instance no longer owns. */
  forget(rooms: Iterable<string>): void {
    for (const room of rooms) {
      for (const handle of this.armed.get(room)?.values() ?? []) clearTimeout(handle);
      this.armed.delete(room);
    }
  }

  /** Appends a TimerFired command (also used for edge-liveness decisions). */
  async fire(
    t: Pick<DueTimer, 'room' | 'dueAt'> & {
      timer: DueTimer['timer'] | 'EDGE_LIVENESS';
      sessionId: string | null;
      edgeId?: string;
    },
  ): Promise<void> {
    if (this.closed) return;
    const command: Command = {
      commandId: randomUUID(),
      room: t.room,
      receivedAt: Date.now(),
      source: { type: 'ProjectorSource', instanceId: this.instanceId },
      body: { type: 'TimerFired', timer: t.timer, sessionId: t.sessionId, edgeId: t.edgeId ?? null, dueAt: t.dueAt },
    };
    try {
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: [{ key: t.room, value: this.codec.encode(command) }],
      });
    } catch (err) {
      // The condition still holds after a restart or the next state change re-arms the timer.
      this.logger.warn({ err, room: t.room, timer: t.timer }, 'could not append timer command');
    }
  }

  get size(): number {
    let n = 0;
    for (const m of this.armed.values()) n += m.size;
    return n;
  }

  close(): void {
    this.closed = true;
    for (const m of this.armed.values()) for (const h of m.values()) clearTimeout(h);
    this.armed.clear();
  }
}

const key = (t: DueTimer) => `${t.timer}|${t.sessionId ?? ''}|${t.dueAt}`;
