import type { TimerKind } from '@sig/schemas';
import type { DeciderConfig } from './decide.js';
import type { RoomState } from './state.js';

/** A time-based condition the projector must re-check at `dueAt` with a TimerFired command. */
export interface DueTimer {
  readonly timer: Extract<TimerKind, 'DEPARTURE_GRACE' | 'EMPTY_ROOM'>;
  readonly room: string;
  readonly sessionId: string | null;
  readonly dueAt: number;
}

/** The timers a room state implies; re-derived after every change and after rebuild. */
export function dueTimers(state: RoomState, config: DeciderConfig): DueTimer[] {
  const timers: DueTimer[] = [];
  if (state.phase !== 'open') return timers;
  const grace = state.config?.departureTimeoutMs ?? config.room.departureTimeoutMs;
  for (const p of state.participants.values()) {
    if (p.status === 'RECONNECTING' && p.disconnectedAt !== null) {
      timers.push({
        timer: 'DEPARTURE_GRACE',
        room: state.room,
        sessionId: p.sessionId,
        dueAt: p.disconnectedAt + grace,
      });
    }
  }
  if (state.participants.size === 0 && state.emptySince !== null) {
    const timeout = state.config?.emptyTimeoutMs ?? config.room.emptyTimeoutMs;
    timers.push({ timer: 'EMPTY_ROOM', room: state.room, sessionId: null, dueAt: state.emptySince + timeout });
  }
  return timers;
}

/** Whether any participant of the room is connected through this edge. */
export function dependsOnEdge(state: RoomState, edgeId: string): boolean {
  for (const p of state.participants.values())
    if (p.connection.edgeId === edgeId && p.status === 'CONNECTED') return true;
  return false;
}
