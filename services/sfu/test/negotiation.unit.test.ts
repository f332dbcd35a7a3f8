import { describe, expect, it } from 'vitest';
import {
  INITIAL_NEGOTIATION,
  negotiate,
  type NegotiationEvent,
  type NegotiationState,
} from '../src/domain/negotiation.js';

const policy = { offerTimeoutMs: 1000, maxUnanswered: 3 };

/** Runs events from the initial state; returns the actions taken, in order. */
function run(events: readonly NegotiationEvent[], from: NegotiationState = INITIAL_NEGOTIATION) {
  let state = from;
  const actions: string[] = [];
  for (const event of events) {
    const r = negotiate(state, event, policy);
    state = r.state;
    if (r.action)
      actions.push(r.action.type === 'give-up' ? 'give-up' : `${r.action.type}${r.action.iceRestart ? '+ice' : ''}`);
  }
  return { state, actions };
}

describe('subscriber renegotiation is serialized', () => {
  it('a change in a stable connection offers at once', () => {
    expect(run([{ type: 'changed' }]).actions).toEqual(['offer']);
  });

  it('never two offers in flight: changes while offering are folded into one next offer', () => {
    const { actions, state } = run([
      { type: 'changed' },
      { type: 'offer-sent', at: 0 },
      { type: 'changed' },
      { type: 'changed' },
      { type: 'changed' },
    ]);
    expect(actions).toEqual(['offer']);
    expect(state.dirty).toBe(true);
    const after = run([{ type: 'answered' }], state);
    expect(after.actions).toEqual(['offer']);
    expect(run([{ type: 'offer-sent', at: 10 }, { type: 'answered' }], after.state).state).toEqual(INITIAL_NEGOTIATION);
  });

  it('a change while the offer is still being created waits too', () => {
    // 'offer-sent' has not happened yet: the first offer is in flight from the moment it is decided.
    expect(run([{ type: 'changed' }, { type: 'changed' }]).actions).toEqual(['offer']);
  });

  it('an answer with nothing pending returns to stable without offering', () => {
    const { actions, state } = run([{ type: 'changed' }, { type: 'offer-sent', at: 0 }, { type: 'answered' }]);
    expect(actions).toEqual(['offer']);
    expect(state.phase).toBe('stable');
  });

  it('a stray answer (no offer in flight) changes nothing', () => {
    expect(run([{ type: 'answered' }])).toEqual({ state: INITIAL_NEGOTIATION, actions: [] });
  });

  it('an ICE restart requested while offering is carried by the next offer', () => {
    const { actions } = run([
      { type: 'changed' },
      { type: 'offer-sent', at: 0 },
      { type: 'restart-ice' },
      { type: 'answered' },
    ]);
    expect(actions).toEqual(['offer', 'offer+ice']);
  });

  it('an unanswered offer is rolled back and offered again, then given up', () => {
    const { actions, state } = run([
      { type: 'changed' },
      { type: 'offer-sent', at: 0 },
      { type: 'tick', now: 999 },
      { type: 'tick', now: 1000 },
      { type: 'offer-sent', at: 1000 },
      { type: 'tick', now: 2000 },
      { type: 'offer-sent', at: 2000 },
      { type: 'tick', now: 3000 },
    ]);
    expect(actions).toEqual(['offer', 'rollback-and-offer', 'rollback-and-offer', 'give-up']);
    expect(state).toEqual(INITIAL_NEGOTIATION);
  });

  it('a re-offer after a rollback keeps the ICE restart of the offer it replaces', () => {
    const { actions } = run([{ type: 'restart-ice' }, { type: 'offer-sent', at: 0 }, { type: 'tick', now: 5000 }]);
    expect(actions).toEqual(['offer+ice', 'rollback-and-offer+ice']);
  });

  it('a failed offer returns to stable so the next change can offer', () => {
    expect(run([{ type: 'changed' }, { type: 'offer-failed' }, { type: 'changed' }]).actions).toEqual([
      'offer',
      'offer',
    ]);
  });
});
