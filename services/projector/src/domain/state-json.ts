import type { RoomState } from './state.js';

/** Version of the JSON layout of RoomState (snapshots and fixtures carry it). */
export const STATE_FORMAT = 1;

/** RoomState as plain JSON (participants as an ordered array). */
export type RoomStateJson = Omit<RoomState, 'participants'> & {
  readonly participants: ReadonlyArray<RoomState['participants'] extends ReadonlyMap<string, infer P> ? P : never>;
};

/** Converts a room state to JSON-safe data, preserving participant order. */
export function stateToJson(state: RoomState): RoomStateJson {
  return { ...state, participants: [...state.participants.values()] };
}

/** Inverse of stateToJson. */
export function stateFromJson(json: RoomStateJson, format = STATE_FORMAT): RoomState {
  if (format !== STATE_FORMAT)
    throw new Error(`unsupported room state format ${format} (this build reads ${STATE_FORMAT})`);
  return { ...json, participants: new Map(json.participants.map((p) => [p.sessionId, p])) };
}
