/**
 * Admission: a worker refuses new work beyond its configured limits with a clear error instead
 * of degrading every room it already serves.
 */

/** What the worker serves now. */
export interface Load {
  /** Rooms assigned to this worker (accepted, not yet closed or released). */
  readonly rooms: number;
  /** Open PeerConnections. */
  readonly peerConnections: number;
}

/** Configured limits. */
export interface Limits {
  readonly maxRooms: number;
  readonly maxPeerConnections: number;
}

/** Yes, or no with the stable error code and the reason. */
export type Admission =
  { readonly ok: true } | { readonly ok: false; readonly code: 'sfu_capacity'; readonly reason: string };

const OK: Admission = { ok: true };

/** Whether a room not yet served can be accepted: a room slot, and room for at least one participant (two connections). */
export function admitRoom(load: Load, limits: Limits): Admission {
  if (load.rooms >= limits.maxRooms)
    return { ok: false, code: 'sfu_capacity', reason: `worker serves ${load.rooms} rooms (limit ${limits.maxRooms})` };
  if (load.peerConnections + 2 > limits.maxPeerConnections) {
    return {
      ok: false,
      code: 'sfu_capacity',
      reason: `worker has ${load.peerConnections} peer connections (limit ${limits.maxPeerConnections})`,
    };
  }
  return OK;
}

/** Whether `count` more PeerConnections fit. */
export function admitPeerConnections(load: Load, limits: Limits, count = 1): Admission {
  if (load.peerConnections + count > limits.maxPeerConnections) {
    return {
      ok: false,
      code: 'sfu_capacity',
      reason: `worker has ${load.peerConnections} peer connections (limit ${limits.maxPeerConnections})`,
    };
  }
  return OK;
}
