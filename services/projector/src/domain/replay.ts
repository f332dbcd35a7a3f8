import type { RoomEvent } from '@sig/schemas';
import { evolve, LogIntegrityError } from './evolve.js';
import { initialState, type RoomState } from './state.js';

/** Result of replaying a log: each room's state, and every integrity violation found. */
export interface ReplayResult {
  readonly rooms: ReadonlyMap<string, RoomState>;
  readonly violations: readonly LogIntegrityError[];
}

/**
 * Folds a log (any interleaving of rooms) into room states, recording every integrity
 * violation instead of stopping at the first: after a gap the log is followed from the later
 * sequence (one report per missing stretch), and duplicates or stale events are skipped.
 */
export function replay(events: Iterable<RoomEvent>, from: ReadonlyMap<string, RoomState> = new Map()): ReplayResult {
  const rooms = new Map(from);
  const violations: LogIntegrityError[] = [];
  for (const event of events) {
    const state = rooms.get(event.room) ?? initialState(event.room);
    try {
      rooms.set(event.room, evolve(state, event));
    } catch (err) {
      if (!(err instanceof LogIntegrityError)) throw err;
      violations.push(err);
      if (err.kind === 'gap') rooms.set(event.room, evolve({ ...state, seq: event.seq - 1 }, event));
    }
  }
  return { rooms, violations };
}
