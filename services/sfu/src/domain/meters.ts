/**
 * Small pure helpers for the worker's live numbers: packet rates, keyframe-request throttling
 * and the participant-level connection state. Time is always passed in.
 */
import type { PeerConnectionState } from '@sig/schemas';

/** Counts events and turns them into a per-second rate at each sample. */
export class RateMeter {
  #count = 0;
  #since: number;
  #rate = 0;

  constructor(now: number) {
    this.#since = now;
  }

  add(n = 1): void {
    this.#count += n;
  }

  /** Rate since the previous sample (events per second); starts a new window. */
  sample(now: number): number {
    const elapsed = now - this.#since;
    if (elapsed <= 0) return this.#rate;
    this.#rate = (this.#count * 1000) / elapsed;
    this.#count = 0;
    this.#since = now;
    return this.#rate;
  }
}

/** Whether a keyframe request may go upstream now, given the last one sent. */
export function keyframeRequestDue(lastSentAt: number | undefined, now: number, minIntervalMs: number): boolean {
  return lastSentAt === undefined || now - lastSentAt >= minIntervalMs;
}

/** werift's connection state as the schema's enum. */
export function peerConnectionState(state: string): PeerConnectionState {
  switch (state) {
    case 'new':
      return 'NEW';
    case 'connecting':
      return 'CONNECTING';
    case 'connected':
      return 'CONNECTED';
    case 'disconnected':
      return 'DISCONNECTED';
    case 'failed':
      return 'FAILED';
    case 'closed':
      return 'CLOSED';
    default:
      return 'UNKNOWN';
  }
}

const SEVERITY: readonly PeerConnectionState[] = ['FAILED', 'DISCONNECTED', 'CONNECTING', 'NEW', 'CONNECTED', 'CLOSED'];

/**
 * One state for a participant's connections (publisher and subscriber): the most severe one, so
 * a failed subscriber connection is reported even while the publisher one is fine. CLOSED only
 * when every connection is closed.
 */
export function participantConnectionState(states: readonly PeerConnectionState[]): PeerConnectionState {
  if (states.length === 0) return 'CLOSED';
  for (const s of SEVERITY) if (states.includes(s)) return s;
  return 'UNKNOWN';
}
