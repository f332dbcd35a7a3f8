/**
 * Server-driven renegotiation of a subscriber connection, serialized: at most one offer is in
 * flight; changes made while waiting for the answer are folded into the next offer. Pure state
 * machine: the adapter feeds it events and performs the actions it returns.
 */

/** Where the subscriber connection's offer/answer exchange stands. */
export type NegotiationPhase = 'stable' | 'offering';

export interface NegotiationState {
  readonly phase: NegotiationPhase;
  /** Something changed since the offer in flight was created: offer again after its answer. */
  readonly dirty: boolean;
  /** The next offer must restart ICE. */
  readonly iceRestart: boolean;
  /** The offer in flight restarts ICE (a re-offer after a rollback must too). */
  readonly offerIceRestart: boolean;
  /** When the offer in flight was sent (null while stable or still being created). */
  readonly offeredAt: number | null;
  /** Offers of the current change that went unanswered (reset by every answer). */
  readonly unanswered: number;
}

export type NegotiationEvent =
  /** Senders were added or removed. */
  | { readonly type: 'changed' }
  /** ICE must restart (network change). */
  | { readonly type: 'restart-ice' }
  /** The offer was created and handed to the log. */
  | { readonly type: 'offer-sent'; readonly at: number }
  /** Creating or applying the offer failed. */
  | { readonly type: 'offer-failed' }
  /** The client's answer was applied. */
  | { readonly type: 'answered' }
  /** Time passes (checked periodically). */
  | { readonly type: 'tick'; readonly now: number };

/** What the adapter must do next. */
export type NegotiationAction =
  | { readonly type: 'offer'; readonly iceRestart: boolean }
  /** Roll back the unanswered local offer, then offer again. */
  | { readonly type: 'rollback-and-offer'; readonly iceRestart: boolean }
  /** The client never answered: give up (report a timeout) until the next change. */
  | { readonly type: 'give-up' };

export interface NegotiationPolicy {
  /** An offer unanswered this long is rolled back and offered again. */
  readonly offerTimeoutMs: number;
  /** Offers sent for one change before giving up. */
  readonly maxUnanswered: number;
}

export const INITIAL_NEGOTIATION: NegotiationState = {
  phase: 'stable',
  dirty: false,
  iceRestart: false,
  offerIceRestart: false,
  offeredAt: null,
  unanswered: 0,
};

/** Applies an event; returns the new state and the action to perform, if any. */
export function negotiate(
  state: NegotiationState,
  event: NegotiationEvent,
  policy: NegotiationPolicy,
): { readonly state: NegotiationState; readonly action: NegotiationAction | null } {
  switch (event.type) {
    case 'changed':
    case 'restart-ice': {
      const iceRestart = state.iceRestart || event.type === 'restart-ice';
      if (state.phase === 'offering') return { state: { ...state, dirty: true, iceRestart }, action: null };
      return offerNow({ ...state, iceRestart });
    }
    case 'offer-sent':
      if (state.phase !== 'offering') return { state, action: null };
      return { state: { ...state, offeredAt: event.at }, action: null };
    case 'offer-failed':
      return { state: { ...INITIAL_NEGOTIATION }, action: null };
    case 'answered':
      if (state.phase !== 'offering') return { state, action: null };
      if (state.dirty) return offerNow({ ...state, unanswered: 0 });
      return { state: { ...INITIAL_NEGOTIATION }, action: null };
    case 'tick': {
      if (state.phase !== 'offering' || state.offeredAt === null) return { state, action: null };
      if (event.now - state.offeredAt < policy.offerTimeoutMs) return { state, action: null };
      const unanswered = state.unanswered + 1;
      if (unanswered >= policy.maxUnanswered) return { state: { ...INITIAL_NEGOTIATION }, action: { type: 'give-up' } };
      const iceRestart = state.iceRestart || state.offerIceRestart;
      return {
        state: {
          phase: 'offering',
          dirty: false,
          iceRestart: false,
          offerIceRestart: iceRestart,
          offeredAt: null,
          unanswered,
        },
        action: { type: 'rollback-and-offer', iceRestart },
      };
    }
  }
}

function offerNow(state: NegotiationState): { state: NegotiationState; action: NegotiationAction } {
  return {
    state: {
      phase: 'offering',
      dirty: false,
      iceRestart: false,
      offerIceRestart: state.iceRestart,
      offeredAt: null,
      unanswered: state.unanswered,
    },
    action: { type: 'offer', iceRestart: state.iceRestart },
  };
}
