// Ids of the messages the terminal client has shown, so none is shown twice
// (a join's catch-up and the live stream overlap). Bounded: the oldest ids
// are forgotten, since those messages will not come again.

/** Ids of shown messages kept; older ones are forgotten. */
const SEEN_CAP = 20_000;

export class SeenIds {
  readonly #seen = new Set<string>();

  /** Records an id; false when it was shown already. */
  mark(id: string): boolean {
    if (this.#seen.has(id)) return false;
    if (this.#seen.size >= SEEN_CAP) this.#seen.delete(this.#seen.values().next().value as string);
    this.#seen.add(id);
    return true;
  }
}
