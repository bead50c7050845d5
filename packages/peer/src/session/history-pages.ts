// The sponsor's and the joiner's reads of the store for history sync
// (PROTOCOL.md §4): the readers are @chorus/protocol's (history-reader.ts,
// the same code the simulator runs over its store model); here they are
// driven over a MessageStore (IndexedDB, memory, the CLI's SQLite).

import {
  readHeld,
  readHistoryPage as readPage,
  recordFloors,
  settledHeld,
  settledAbove,
  HISTORY_PAGE_BYTES,
  MAX_HISTORY_ITEMS,
  type DataFrame,
  type GroupId,
  type HeldVector,
  type OwnFrames,
  type StoredOwn,
  type HistoryRequestFrame,
  type HistoryResponseFrame,
  type JoinerState,
} from '@chorus/protocol';
import type { MessageStore, StoredMessage } from '../storage.ts';

export { HISTORY_PAGE_BYTES };
/** Items a joiner asks for per page: the wire's cap. */
export const HISTORY_PAGE_ITEMS = MAX_HISTORY_ITEMS;

/** Sponsor side: the page that answers `req`, cut to `state` and to what the joiner holds. */
export function readHistoryPage(
  store: MessageStore,
  groupId: GroupId,
  state: JoinerState,
  req: HistoryRequestFrame,
  keyOf: (m: StoredMessage) => string | null,
): Promise<HistoryResponseFrame> {
  return readPage(store, { groupId, state, req, keyOf: (m) => keyOf(m as StoredMessage) });
}

/**
 * Joiner side: what the store holds of the group, per sender the next seq —
 * seqs below the record's floors counted as held (no sponsor hands them to
 * this store, PROTOCOL.md §4), and in a total-order group without what the
 * last session saved as tentative (`settledHeld`: the sponsor hands it again
 * at the group's key). With `tips`: each sender's stored message at the end
 * of its run (the chain link a page must continue, PROTOCOL.md §1.5); with
 * `above`: each sender's stored seqs above a hole (`settledAbove`).
 */
/** What a joining session's core takes from its store (`SessionCore.heldRead`'s arguments). */
export interface StoreHeld {
  readonly have: HeldVector;
  readonly tips: Map<string, DataFrame>;
  readonly above: Map<string, number[]>;
  /** Our own stored messages (`self`'s): what a re-joining session may send again (PROTOCOL.md §3.1 "Re-issue"). */
  readonly own: StoredOwn;
}

/**
 * What a joining session reads once every write of `writer` so far is done
 * (a failed write does not stop the read): `readHeldVector` with each
 * sender's last stored message (the link its next one must name, PROTOCOL.md
 * §1.5) and its seqs above a hole (an earlier session's older pages that did
 * not all come: shown already, §4).
 */
export async function readHeldAfter(
  writer: { flush(): Promise<void> },
  store: MessageStore,
  groupId: GroupId,
  self: string,
): Promise<StoreHeld> {
  await writer.flush().catch(() => {});
  const tips = new Map<string, DataFrame>();
  const above = new Map<string, number[]>();
  const own = { sender: self, frames: [] };
  const record = await store.getGroup(groupId).catch(() => null);
  const have = await readHeldVector(store, groupId, tips, above, own);
  return { have, tips, above, own: { frames: own.frames, incarnation: record?.state?.incarnation ?? null } };
}

export async function readHeldVector(
  store: MessageStore,
  groupId: GroupId,
  tips?: Map<string, DataFrame>,
  above?: Map<string, number[]>,
  own?: OwnFrames,
): Promise<HeldVector> {
  const record = await store.getGroup(groupId).catch(() => null);
  const stored = new Map<string, number[]>();
  const have = await readHeld(store, groupId, recordFloors(record), tips, stored, own);
  for (const [sender, seqs] of settledAbove(stored, record)) above?.set(sender, seqs);
  return settledHeld(have, record);
}
