// The sponsor's and the joiner's reads of the store for history sync
// (PROTOCOL.md §4): the readers are @chorus/protocol's (history-reader.ts,
// the same code the simulator runs over its store model); here they are
// driven over a MessageStore (IndexedDB, memory, the CLI's SQLite).

import {
  readHeld,
  readHistoryPage as readPage,
  recordFloors,
  settledHeld,
  HISTORY_PAGE_BYTES,
  MAX_HISTORY_ITEMS,
  type DataFrame,
  type GroupId,
  type HeldVector,
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
 * of its run (the chain link a page must continue, PROTOCOL.md §1.5).
 */
export async function readHeldVector(
  store: MessageStore,
  groupId: GroupId,
  tips?: Map<string, DataFrame>,
): Promise<HeldVector> {
  const record = await store.getGroup(groupId).catch(() => null);
  const have = await readHeld(store, groupId, recordFloors(record), tips);
  return settledHeld(have, record);
}
