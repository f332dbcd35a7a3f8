/**
 * A tiny typed event emitter: the event map is a type, so `on('joined', m => …)` knows `m`. A
 * throwing listener never breaks `emit` (nor the other listeners): its error goes to the
 * `onListenerError` hook, by default `console.error`.
 */

/** Maps event names to the single argument their listeners receive. */
export type EventMap = Record<string, unknown>;

/** A listener of event `K`. */
export type Listener<E extends EventMap, K extends keyof E> = (payload: E[K]) => void;

/** Typed event emitter (`on`/`once`/`off`); subclasses call the protected `emit`. */
export class TypedEmitter<E extends EventMap> {
  readonly #listeners = new Map<keyof E, Set<Listener<E, keyof E>>>();

  /** Called with the error of a throwing listener (default: console.error). */
  onListenerError: (error: unknown, event: keyof E) => void = (error, event) =>
    console.error(`listener of "${String(event)}" threw`, error);

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E, K>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener<E, keyof E>);
    return () => this.off(event, listener);
  }

  /** Adds a listener called at most once; returns a function that removes it. */
  once<K extends keyof E>(event: K, listener: Listener<E, K>): () => void {
    const off = this.on(event, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  /** Removes a listener. */
  off<K extends keyof E>(event: K, listener: Listener<E, K>): void {
    this.#listeners.get(event)?.delete(listener as Listener<E, keyof E>);
  }

  /** Removes every listener. */
  removeAllListeners(): void {
    this.#listeners.clear();
  }

  protected emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (error) {
        try {
          this.onListenerError(error, event);
        } catch {
          // The error hook itself threw: nothing sensible is left to do with it.
        }
      }
    }
  }
}
