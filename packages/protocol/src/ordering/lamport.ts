// Bounds on the Lamport clock of FIFO order keys (and of every DATA). Owns no
// state: the engine keeps its clock and asks here how far a peer may push it;
// the runtime asks here whether a stored resume point is believable.

/**
 * How far an honest member's clock can be ahead of ours: every draft is
 * max(seen) + 1, so a DATA's lamport is at most the number of messages in its
 * causal past. Another member is ahead of us by at most the messages the
 * group sent that we have not seen — for a member that joined with an empty
 * store, the group's whole history (a sponsor's state does not carry the
 * clock). 2^32 is more messages than a group sends, and leaves 2^21 such
 * steps below 2^53: a DATA beyond our clock + this is refused (`too-large`),
 * and no input moves our clock further than this (engine-state.ts
 * `raiseClock`; a FLUSH report is not refused for its clock, §3.2), so a
 * hostile member cannot push every later clock out of the safe-integer range
 * with one signed frame.
 */
export const MAX_LAMPORT_STEP = 2 ** 32;

/**
 * The largest Lamport time a resumed engine starts from. A stored order key
 * above this was poisoned before the step bound existed (one DATA at
 * 2^53 - 1): no honest group sends 2^40 messages (one per millisecond for 34
 * years), and resuming from it would put every later draft out of range.
 */
export const MAX_RESUME_LAMPORT = 2 ** 40;

/** The largest lamport this member accepts from a peer: see MAX_LAMPORT_STEP. */
export const lamportCeiling = (clock: number): number => clock + MAX_LAMPORT_STEP;

/**
 * Where a resumed clock starts, from the number in the last stored order key and
 * the count of stored messages: the key's number when it is believable, else the
 * count — a message's lamport is at most the messages in its causal past, so the
 * count keeps new keys after the honest ones the store holds.
 */
export const resumeLamport = (lastKeyNumber: number, storedCount: number): number =>
  Number.isSafeInteger(lastKeyNumber) && lastKeyNumber >= 0 && lastKeyNumber <= MAX_RESUME_LAMPORT
    ? lastKeyNumber
    : Math.min(Math.max(0, Math.floor(storedCount)), MAX_RESUME_LAMPORT);
