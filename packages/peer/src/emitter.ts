// A tiny typed event emitter. A listener that throws is reported to the
// `onListenerError` hook instead of unwinding into the code that emitted: a
// buggy UI callback must never stop a session from carrying out an engine
// output halfway.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  readonly #listeners = new Map<keyof Events, Set<Listener>>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = (e) => console.error('listener failed', e)) {
    this.#onListenerError = onListenerError;
  }

  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    // Copy: a listener may unsubscribe itself (or others) while we iterate.
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (e) {
        this.#onListenerError(e);
      }
    }
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  clear(): void {
    this.#listeners.clear();
  }
}
