import type { Command, RoomEvent } from '@sig/schemas';
import { participantByConnection, type RoomState } from './state.js';

/**
 * How many recent request ids each session remembers. A client retries a request within seconds
 * (its backoff gives up after about a minute), so 256 later requests of the same session is far
 * beyond any retry; the bound keeps the state and its snapshots small.
 */
export const REQUEST_ID_WINDOW = 256;

/**
 * Whether a client command repeats a request its session already had decided: same request id,
 * from the connection that now holds the session, among the session's recent request ids. Such a
 * command is a retry of one the client was not told was logged (refused after the write, or its
 * socket lost before the ack); its outcome was already addressed to the session.
 */
export function isDuplicateRequest(state: RoomState, command: Command): boolean {
  const src = command.source;
  if (src.type !== 'ClientSource' || src.requestId === null) return false;
  const sender = participantByConnection(state, src.edgeId, src.connectionId);
  return sender?.recentRequestIds.includes(src.requestId) ?? false;
}

/**
 * Records the request id of an event's causing command in the sending session's window (FIFO,
 * bounded), so that the set is part of the fold of the log: rebuilt by replay, carried by snapshots.
 * Events of a command without request id, or whose sender had no session, change nothing.
 */
export function rememberRequest(state: RoomState, event: RoomEvent): RoomState {
  const requestId = event.causation?.requestId ?? null;
  const sessionId = event.causation?.sessionId ?? null;
  if (requestId === null || sessionId === null) return state;
  const p = state.participants.get(sessionId);
  // Every event of one command carries the same request id: only the first adds it.
  if (!p || p.recentRequestIds.includes(requestId)) return state;
  const participants = new Map(state.participants);
  participants.set(sessionId, {
    ...p,
    recentRequestIds: [...p.recentRequestIds, requestId].slice(-REQUEST_ID_WINDOW),
  });
  return { ...state, participants };
}
