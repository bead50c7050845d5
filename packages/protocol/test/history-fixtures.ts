// Records and a plain store for the history reader's tests (history-reader,
// history-older-pages): stored DATA of group `g` with made-up signatures, and
// a store that pages forward by order key in small reads.

import { asGroupId, asViewId, type PeerId } from '../src/ids.ts';
import type { HistoryRecord, HistorySource, StorePage } from '../src/history/history-reader.ts';
import type { DataFrame } from '../src/wire/frames.ts';

export const G = asGroupId('g');

/** `sender`'s message `seq` stored at `order`. */
export const rec = (
  sender: PeerId,
  seq: number,
  order: string,
  viewId = 3,
  body = `${sender}${seq}`,
): HistoryRecord => ({
  frame: {
    t: 'data',
    groupId: G,
    viewId: asViewId(viewId),
    sender,
    seq,
    lamport: 1,
    sentAt: 0,
    body,
    sig: 's',
  } satisfies DataFrame,
  order,
});

/**
 * A store over `records` that pages forward only (as the CLI's SQLite store), in reads of at most `max`
 * (to cross read boundaries).
 */
export const forwardStore = (records: readonly HistoryRecord[], max: number): HistorySource => ({
  page: (_g, read): StorePage => {
    const rest = [...records]
      .sort((a, b) => (a.order < b.order ? -1 : 1))
      .filter((r) => read.after === null || r.order > read.after);
    const items = rest.slice(0, Math.min(read.limit, max));
    return { items, next: rest.length > items.length ? (items.at(-1)?.order ?? null) : null };
  },
});
