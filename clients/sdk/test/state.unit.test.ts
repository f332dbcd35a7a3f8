import { describe, expect, it } from 'vitest';
import { canTransition, IllegalStateError, transition, type ConnectionStatus } from '../src/state.js';

const ALL: ConnectionStatus[] = ['idle', 'connecting', 'joined', 'reconnecting', 'closed'];

describe('connection state machine', () => {
  it('allows exactly the documented transitions', () => {
    const legal = ALL.flatMap((from) => ALL.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`));
    expect(legal.sort()).toEqual(
      [
        'idle→connecting',
        'idle→closed',
        'connecting→joined',
        'connecting→reconnecting',
        'connecting→closed',
        'joined→reconnecting',
        'joined→closed',
        'reconnecting→connecting',
        'reconnecting→closed',
      ].sort(),
    );
  });

  it('closed is terminal: leaving it throws IllegalStateError', () => {
    const closed = { status: 'closed', reason: 'client' } as const;
    for (const to of ALL) expect(canTransition('closed', to)).toBe(false);
    expect(() => transition(closed, { status: 'connecting', attempt: 0, resuming: false })).toThrow(IllegalStateError);
  });

  it('a lost connection goes through reconnecting, never straight back to joined', () => {
    const joined = { status: 'joined', room: 'r', sessionId: 's' } as const;
    expect(() => transition(joined, { status: 'connecting', attempt: 0, resuming: true })).toThrow(
      /joined → connecting/,
    );
    const next = transition(joined, { status: 'reconnecting', attempt: 0, delayMs: 0, closeCode: 1006 });
    expect(next.status).toBe('reconnecting');
  });
});
