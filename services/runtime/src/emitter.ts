/**
 * A tiny typed event emitter. Unlike node:events, a throwing (or rejecting) listener cannot break
 * `emit`: its error goes to an error hook and the remaining listeners still run. State machines
 * emit from inside transitions, so one faulty observer must not leave them half-updated.
 */

/** An event map: event name → listener argument tuple, e.g. `{ change: [from: State, to: State] }`. */
export type EventMap<E> = { [K in keyof E]: readonly unknown[] };

export type Listener<Args extends readonly unknown[]> = (...args: Args) => unknown;

/** Called with a listener's error; must not throw (if it does, the error is dropped). */
export type ListenerErrorHook = (error: unknown, event: string) => void;

export interface TypedEmitterOptions {
  /** Where listener errors go. Default: a process warning, so they are visible but not fatal. */
  readonly onListenerError?: ListenerErrorHook;
}

const defaultHook: ListenerErrorHook = (error, event) => {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.emitWarning(`listener for "${event}" failed: ${detail}`, { code: 'SIG_LISTENER_ERROR' });
};

/** Typed event emitter whose `emit` isolates listeners from each other's failures. */
export class TypedEmitter<E extends EventMap<E>> {
  readonly #listeners = new Map<keyof E, Listener<E[keyof E]>[]>();
  readonly #onError: ListenerErrorHook;

  constructor(options: TypedEmitterOptions = {}) {
    this.#onError = options.onListenerError ?? defaultHook;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const list = this.#listeners.get(event) ?? [];
    list.push(listener as Listener<E[keyof E]>);
    this.#listeners.set(event, list);
    return () => this.off(event, listener);
  }

  /** Adds a listener that runs at most once; remove it with the returned function (not `off`). */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, (...args: E[K]) => {
      off();
      return listener(...args);
    });
    return off;
  }

  /** Removes one registration of a listener. */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    const list = this.#listeners.get(event);
    if (list === undefined) return;
    const index = list.indexOf(listener as Listener<E[keyof E]>);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.#listeners.delete(event);
  }

  /** Calls every listener of `event` in registration order; returns how many were called. */
  emit<K extends keyof E>(event: K, ...args: E[K]): number {
    const list = this.#listeners.get(event);
    if (list === undefined) return 0;
    // A snapshot: listeners added or removed during emit take effect from the next emit.
    const snapshot = [...list];
    for (const listener of snapshot) {
      try {
        const result = listener(...args);
        if (isThenable(result)) void result.then(undefined, (error: unknown) => this.#report(error, event));
      } catch (error) {
        this.#report(error, event);
      }
    }
    return snapshot.length;
  }

  /** Number of listeners of `event`. */
  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Removes all listeners of `event`, or of every event. */
  removeAllListeners(event?: keyof E): void {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
  }

  #report(error: unknown, event: keyof E): void {
    try {
      this.#onError(error, String(event));
    } catch {
      // The hook is the last resort; a throwing hook must not break emit either.
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
