import type { ParticipantState, RoomState } from './state.js';

/**
 * Version of the JSON layout of RoomState (snapshots and fixtures carry it). 2 added each
 * participant's `recentRequestIds`; format 1 is still read (those sessions remember no request).
 */
export const STATE_FORMAT = 2;

/** A participant as format 1 wrote it (no request ids). */
type ParticipantJsonV1 = Omit<ParticipantState, 'recentRequestIds'> & { readonly recentRequestIds?: readonly string[] };

/** RoomState as plain JSON (participants as an ordered array). */
export type RoomStateJson = Omit<RoomState, 'participants'> & {
  readonly participants: ReadonlyArray<RoomState['participants'] extends ReadonlyMap<string, infer P> ? P : never>;
};

/** Converts a room state to JSON-safe data, preserving participant order. */
export function stateToJson(state: RoomState): RoomStateJson {
  return { ...state, participants: [...state.participants.values()] };
}

/** Inverse of stateToJson; also reads the earlier formats. */
export function stateFromJson(json: RoomStateJson, format = STATE_FORMAT): RoomState {
  if (format !== STATE_FORMAT && format !== 1)
    throw new Error(`unsupported room state format ${format} (this build reads 1 and ${STATE_FORMAT})`);
  // Format 1 predates request ids: a session restored from it recognises retries of its later requests only.
  const participants: readonly ParticipantJsonV1[] = json.participants;
  return {
    ...json,
    participants: new Map(participants.map((p) => [p.sessionId, { ...p, recentRequestIds: p.recentRequestIds ?? [] }])),
  };
}
