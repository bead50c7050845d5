// The sponsor's half of history sync (docs/design.md §4 Joiners): one history-res
// page read from the store for a joiner's history-req, cut to what the
// joiner's state says was delivered before it joined, with each item's
// sender name and key so the joiner can verify messages of members it never
// met. Reads the store; holds no state between pages (the joiner's cursor is
// the state).

import {
  MAX_HISTORY_ITEMS, utf8ByteLength,
  type GroupId, type HistoryItem, type HistoryResponseFrame, type JoinerState,
} from '@chorus/protocol';
import type { MessageStore, StoredMessage } from '../storage.ts';

/**
 * Bytes of items per page. Well under MAX_FRAME_BYTES (1 MiB) so one page is
 * always a legal frame, small enough that a page does not hog a data channel
 * that also carries live messages (the mesh chunks it anyway).
 */
export const HISTORY_PAGE_BYTES = 256 * 1024;
/** Items a joiner asks for per page: the wire's cap. */
export const HISTORY_PAGE_ITEMS = MAX_HISTORY_ITEMS;
/** A message belongs in the joiner's history if the state handed over says it was delivered. */
export function deliveredBefore(state: JoinerState, m: StoredMessage): boolean {
  const next = state.nextSeq[m.frame.sender];
  // Senders absent from nextSeq left before the snapshot; everything of theirs counts.
  return next === undefined || m.frame.seq < next;
}

export function toHistoryItem(m: StoredMessage, senderKey: string | null): HistoryItem {
  const key = m.senderKey ?? senderKey;
  return {
    frame: m.frame,
    order: m.order,
    senderName: m.senderName,
    ...(key === null ? {} : { senderKey: key }),
  };
}

export async function readHistoryPage(
  store: MessageStore,
  groupId: GroupId,
  state: JoinerState,
  cursor: string | null,
  limit: number,
  keyOf: (m: StoredMessage) => string | null,
): Promise<HistoryResponseFrame> {
  const stateBytes = utf8ByteLength(JSON.stringify(state));
  const cap = Math.max(1, Math.min(limit, HISTORY_PAGE_ITEMS));
  const items: HistoryItem[] = [];
  let bytes = 0;
  let after = cursor;
  let done = false;
  for (;;) {
    const page = await store.page(groupId, { after, limit: cap });
    let full = false;
    for (const m of page.items) {
      if (!deliveredBefore(state, m)) continue;
      const item = toHistoryItem(m, keyOf(m));
      const size = utf8ByteLength(JSON.stringify(item));
      if (items.length >= cap || (items.length > 0 && bytes + size > HISTORY_PAGE_BYTES)) {
        full = true;
        break;
      }
      items.push(item);
      bytes += size;
    }
    if (full) break;
    if (page.next === null) {
      done = true;
      break;
    }
    after = page.next;
  }
  // A large state goes on a page of its own (SessionCore cuts it into parts if one frame cannot hold
  // it, splitStatePage): the joiner asks again after these items and gets it then.
  if (done && items.length > 0 && bytes + stateBytes > HISTORY_PAGE_BYTES) done = false;
  return done ? { t: 'history-res', groupId, items, done, state } : { t: 'history-res', groupId, items, done };
}
