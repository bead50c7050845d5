// Assertion helpers for the ordering engine's invariants (the "Invariant:" lines in its field
// docs). They throw an InvariantError: a broken invariant is a bug in the engine, never a
// peer's fault, and the engine must not go on from such a state. `debugState()`, which the
// simulator and the tests call after every step they check, asserts all of them first
// (group-engine.ts `checkInvariants`); the engine asserts the ones a cast would otherwise hide
// inline, where it relies on them.

export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

/** Throws an InvariantError saying `what` should hold unless `condition` is true. */
export function invariant(condition: boolean, what: string): asserts condition {
  if (!condition) throw new InvariantError(`Ordering engine invariant broken: ${what}`);
}

/** `value` itself, which an invariant says is there; throws an InvariantError saying `what` otherwise. */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new InvariantError(`Ordering engine invariant broken: ${what}`);
  return value;
}
