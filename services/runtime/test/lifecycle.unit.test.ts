import { describe, expect, it } from 'vitest';
import {
  IllegalStateError,
  LIFECYCLE_TRANSITIONS,
  Lifecycle,
  canTransition,
  type LifecycleChange,
  type LifecycleState,
} from '../src/lifecycle.js';

const STATES = Object.keys(LIFECYCLE_TRANSITIONS) as LifecycleState[];

describe('Lifecycle', () => {
  it('follows the happy path and emits each change', () => {
    const lifecycle = new Lifecycle('test');
    const changes: LifecycleChange[] = [];
    lifecycle.on('change', (change) => changes.push(change));
    lifecycle.transition('starting');
    lifecycle.transition('running');
    lifecycle.transition('draining', 'SIGTERM');
    lifecycle.transition('stopped');
    expect(lifecycle.state).toBe('stopped');
    expect(lifecycle.isTerminal).toBe(true);
    expect(changes).toEqual([
      { from: 'initialized', to: 'starting' },
      { from: 'starting', to: 'running' },
      { from: 'running', to: 'draining', reason: 'SIGTERM' },
      { from: 'draining', to: 'stopped' },
    ]);
  });

  it.each([
    ['initialized', 'running'],
    ['initialized', 'draining'],
    ['running', 'starting'],
    ['draining', 'running'],
    ['stopped', 'starting'],
    ['stopped', 'stopped'],
    ['failed', 'running'],
  ] as const)('throws IllegalStateError on %s → %s and keeps its state', (from, to) => {
    const lifecycle = new Lifecycle('svc');
    const path: Record<LifecycleState, LifecycleState[]> = {
      initialized: [],
      starting: ['starting'],
      running: ['starting', 'running'],
      draining: ['starting', 'running', 'draining'],
      stopped: ['stopped'],
      failed: ['failed'],
    };
    for (const step of path[from]) lifecycle.transition(step);
    let changes = 0;
    lifecycle.on('change', () => changes++);
    expect(() => lifecycle.transition(to)).toThrow(IllegalStateError);
    expect(() => lifecycle.transition(to)).toThrow(`svc: illegal transition ${from} → ${to}`);
    expect(lifecycle.state).toBe(from);
    expect(changes).toBe(0);
  });

  it('has terminal stopped and failed states, reachable from every live state', () => {
    expect(LIFECYCLE_TRANSITIONS.stopped).toEqual([]);
    expect(LIFECYCLE_TRANSITIONS.failed).toEqual([]);
    for (const state of STATES.filter((s) => s !== 'stopped' && s !== 'failed')) {
      expect(canTransition(state, 'stopped')).toBe(true);
      expect(canTransition(state, 'failed')).toBe(true);
    }
  });

  it('assert() guards operations by state', () => {
    const lifecycle = new Lifecycle('consumer');
    expect(() => lifecycle.assert('initialized')).not.toThrow();
    lifecycle.transition('stopped');
    const error = (() => {
      try {
        lifecycle.assert('running', 'draining');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(IllegalStateError);
    expect((error as IllegalStateError).state).toBe('stopped');
    expect((error as Error).message).toBe('consumer is stopped, expected running or draining');
  });

  it('until() resolves on the awaited state and rejects when a terminal state makes it unreachable', async () => {
    const a = new Lifecycle('a');
    const running = a.until('running');
    a.transition('starting');
    a.transition('running');
    await expect(running).resolves.toBe('running');
    await expect(a.until('running', 'draining')).resolves.toBe('running');

    const b = new Lifecycle('b');
    const never = b.until('running');
    b.transition('starting');
    b.transition('failed', 'broker unreachable');
    await expect(never).rejects.toThrow(IllegalStateError);
    await expect(b.until('draining')).rejects.toThrow('b is failed and will never be draining');
  });

  it('a throwing change listener does not break the transition', () => {
    const errors: unknown[] = [];
    const lifecycle = new Lifecycle('x', { onListenerError: (error) => errors.push(error) });
    lifecycle.on('change', () => {
      throw new Error('observer bug');
    });
    lifecycle.transition('starting');
    expect(lifecycle.state).toBe('starting');
    expect(errors).toHaveLength(1);
  });
});
