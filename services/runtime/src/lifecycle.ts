/**
 * Lifecycle of a long-lived component (service, consumer, server) as an explicit state union with
 * a table of legal transitions, instead of loose booleans (`isStarted`, `isClosing`…) that can
 * contradict each other.
 */
import { TypedEmitter, type TypedEmitterOptions } from './emitter.js';

/** Every state a component can be in. */
export type LifecycleState = 'initialized' | 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

/**
 * Legal transitions. `stopped` and `failed` are terminal: a component is never restarted, a new
 * one is built (kafkajs consumers and our transactional producers cannot be safely reused either).
 */
export const LIFECYCLE_TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  initialized: ['starting', 'stopped', 'failed'],
  // A SIGTERM can arrive while still starting: drain or stop without ever running.
  starting: ['running', 'draining', 'stopped', 'failed'],
  running: ['draining', 'stopped', 'failed'],
  draining: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

/** Whether `from → to` is a legal transition. */
export function canTransition(from: LifecycleState, to: LifecycleState): boolean {
  return LIFECYCLE_TRANSITIONS[from].includes(to);
}

/** Thrown on an illegal transition, or when an operation is used in the wrong state. */
export class IllegalStateError extends Error {
  override readonly name = 'IllegalStateError';
  constructor(
    message: string,
    readonly state: LifecycleState,
  ) {
    super(message);
  }
}

/** One state change. */
export interface LifecycleChange {
  readonly from: LifecycleState;
  readonly to: LifecycleState;
  /** Why (e.g. `SIGTERM`, the error message of a failure). */
  readonly reason?: string;
}

/** Events of `Lifecycle`. */
export interface LifecycleEvents {
  change: [change: LifecycleChange];
}

/** Holds a component's state; every change goes through the transition table. */
export class Lifecycle extends TypedEmitter<LifecycleEvents> {
  #state: LifecycleState = 'initialized';
  readonly #name: string;

  /** `name` appears in error messages, e.g. `"edge-server"`. */
  constructor(name: string, options: TypedEmitterOptions = {}) {
    super(options);
    this.#name = name;
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /** Whether the state is `stopped` or `failed`. */
  get isTerminal(): boolean {
    return this.#state === 'stopped' || this.#state === 'failed';
  }

  /** Whether the state is one of `states`. */
  is(...states: readonly LifecycleState[]): boolean {
    return states.includes(this.#state);
  }

  /** Moves to `to`, emitting `change`; throws `IllegalStateError` if the table forbids it. */
  transition(to: LifecycleState, reason?: string): void {
    const from = this.#state;
    if (!canTransition(from, to)) {
      throw new IllegalStateError(`${this.#name}: illegal transition ${from} → ${to}`, from);
    }
    this.#state = to;
    this.emit('change', reason === undefined ? { from, to } : { from, to, reason });
  }

  /** Throws `IllegalStateError` unless the state is one of `states` (guards public methods). */
  assert(...states: readonly LifecycleState[]): void {
    if (!states.includes(this.#state)) {
      throw new IllegalStateError(`${this.#name} is ${this.#state}, expected ${states.join(' or ')}`, this.#state);
    }
  }

  /**
   * Resolves with the state once it is one of `states` (immediately if it already is); rejects
   * with `IllegalStateError` if a terminal state that is not awaited is reached first, so callers
   * never wait forever on a component that died.
   */
  until(...states: readonly LifecycleState[]): Promise<LifecycleState> {
    if (states.includes(this.#state)) return Promise.resolve(this.#state);
    if (this.isTerminal) return Promise.reject(this.#unreachable(states));
    return new Promise((resolve, reject) => {
      const off = this.on('change', ({ to }) => {
        if (states.includes(to)) {
          off();
          resolve(to);
        } else if (this.isTerminal) {
          off();
          reject(this.#unreachable(states));
        }
      });
    });
  }

  #unreachable(states: readonly LifecycleState[]): IllegalStateError {
    return new IllegalStateError(
      `${this.#name} is ${this.#state} and will never be ${states.join(' or ')}`,
      this.#state,
    );
  }
}
