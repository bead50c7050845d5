// History hand-over between a sponsor and a joiner (or any two members that
// compare logs), as pure functions over arrays of HistoryItem. The store
// (IndexedDB or memory) and the transport live in packages/peer; signatures
// are checked by the runtime before `mergeHistory` sees an item.

import { frameMessageId } from '../ids.ts';
import type { MessageId } from '../ids.ts';
import type { ProtocolError } from '../result.ts';
import type { HistoryItem } from '../wire/frames.ts';

/** Items per history page: a page of 64 KiB messages stays well under what a data channel buffers comfortably. */
export const HISTORY_PAGE_LIMIT = 200;

export interface HistoryPageOut {
  readonly items: readonly HistoryItem[];
  /** True when nothing after the last item remains. */
  readonly done: boolean;
}

const byOrder = (a: HistoryItem, b: HistoryItem): number => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0);

/**
 * Sponsor side: the items of `log` strictly after `cursor` (an order key; null
 * = from the start), oldest first, at most `limit` of them.
 */
export const historyAfter = (
  log: readonly HistoryItem[],
  cursor: string | null,
  limit: number = HISTORY_PAGE_LIMIT,
): HistoryPageOut => {
  const cap = Math.max(1, Math.min(Math.floor(limit), HISTORY_PAGE_LIMIT));
  const after = [...log].filter((i) => cursor === null || i.order > cursor).sort(byOrder);
  return { items: after.slice(0, cap), done: after.length <= cap };
};

export interface RejectedItem {
  readonly item: HistoryItem;
  readonly error: ProtocolError;
}

export interface MergeResult {
  /** The merged log, sorted by order key. */
  readonly log: readonly HistoryItem[];
  /** Items that were new. */
  readonly added: readonly HistoryItem[];
  /** Items refused: the log already places the same message elsewhere, or another message at the same place. */
  readonly rejected: readonly RejectedItem[];
}

/**
 * Joiner side: merge received items into `log`. Idempotent (an item already
 * present at the same order key is skipped); an item whose order key
 * disagrees with what the log has is rejected, and nothing already in the
 * log changes.
 */
export const mergeHistory = (log: readonly HistoryItem[], incoming: readonly HistoryItem[]): MergeResult => {
  const byId = new Map<MessageId, HistoryItem>();
  const byKey = new Map<string, MessageId>();
  for (const i of log) {
    const id = frameMessageId(i.frame);
    byId.set(id, i);
    byKey.set(i.order, id);
  }
  const added: HistoryItem[] = [];
  const rejected: RejectedItem[] = [];
  for (const item of incoming) {
    const id = frameMessageId(item.frame);
    const had = byId.get(id);
    if (had !== undefined) {
      if (had.order !== item.order)
        rejected.push({
          item,
          error: { code: 'bad-state', message: `Message ${id} is at ${had.order} here but was sent at ${item.order}.` },
        });
      continue;
    }
    const other = byKey.get(item.order);
    if (other !== undefined) {
      rejected.push({
        item,
        error: { code: 'bad-state', message: `Order key ${item.order} already belongs to message ${other}.` },
      });
      continue;
    }
    byId.set(id, item);
    byKey.set(item.order, id);
    added.push(item);
  }
  return { log: [...byId.values()].sort(byOrder), added, rejected };
};
