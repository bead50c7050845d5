// MessageStore in memory, with the semantics of the IndexedDB store in
// idb-store.ts: idempotent puts by message id (the first copy wins), pages
// by (group, order key), "since" by (group, sentAt) with ties broken by id
// (IndexedDB's index order), and a per-group cursor that is the highest order
// key ever stored; a write with a record of another group is refused whole.
// `reopen()` is a second connection to the same data (a reload, another tab).
// Used by Node peers (tests, the terminal client) and as the fallback where
// IndexedDB is unavailable.

import type { GroupId, MessageId } from '@chorus/protocol';
import {
  checkGroupRecords,
  reissues,
  type GroupRecord,
  type HistoryPage,
  type MessageStore,
  type StoredMessage,
} from './storage.ts';
import { MemoryBlobs, type BlobRecord, type BlobStore, type StoredChunk } from './files/blob-store.ts';

/** Same cap as the IndexedDB store, so a caller's typo cannot copy a whole history. */
export const MAX_PAGE = 5_000;

interface GroupMessages {
  readonly byId: Map<MessageId, StoredMessage>;
  /** Sorted by order key, then id; kept sorted on insert (binary search). */
  readonly byOrder: StoredMessage[];
  cursor: string | null;
}

/** What every connection of one MemoryStore shares (IndexedDB's database). */
interface MemoryData {
  readonly groups: Map<GroupId, GroupMessages>;
  readonly records: Map<GroupId, GroupRecord>;
  readonly blobs?: MemoryBlobs;
}

export class MemoryStore implements MessageStore, BlobStore {
  readonly #groups: Map<GroupId, GroupMessages>;
  readonly #records: Map<GroupId, GroupRecord>;
  readonly #blobs: MemoryBlobs;
  #closed = false;

  constructor(data: MemoryData = { groups: new Map(), records: new Map() }) {
    this.#groups = data.groups;
    this.#records = data.records;
    this.#blobs = data.blobs ?? new MemoryBlobs();
  }

  /** Another connection to the same data, as a reloaded page opens the same database; this one may be closed. */
  reopen(): MemoryStore {
    return new MemoryStore({ groups: this.#groups, records: this.#records, blobs: this.#blobs });
  }

  // Files' blobs (files/blob-store.ts), shared with the connections `reopen` makes.
  getBlob(hash: string): Promise<BlobRecord | null> {
    return this.#blobs.getBlob(hash);
  }
  putBlob(record: BlobRecord): Promise<void> {
    return this.#blobs.putBlob(record);
  }
  putChunk(hash: string, index: number, chunk: StoredChunk): Promise<void> {
    return this.#blobs.putChunk(hash, index, chunk);
  }
  getChunk(hash: string, index: number): Promise<StoredChunk | null> {
    return this.#blobs.getChunk(hash, index);
  }
  chunkIndexes(hash: string): Promise<readonly number[]> {
    return this.#blobs.chunkIndexes(hash);
  }

  async putMessages(groupId: GroupId, items: readonly StoredMessage[]): Promise<void> {
    this.#assertOpen();
    checkGroupRecords(groupId, items);
    if (items.length === 0) return;
    const g = this.#group(groupId);
    const fresh: StoredMessage[] = [];
    for (const item of items) {
      if (g.byId.has(item.id)) continue;
      g.byId.set(item.id, item);
      fresh.push(item);
      if (g.cursor === null || item.order > g.cursor) g.cursor = item.order;
    }
    insertSorted(g.byOrder, fresh);
  }

  async putHistory(groupId: GroupId, items: readonly StoredMessage[]): Promise<void> {
    this.#assertOpen();
    checkGroupRecords(groupId, items);
    for (const item of items) {
      const g = this.#group(item.groupId);
      const had = g.byId.get(item.id);
      if (had === undefined || (had.order === item.order && !reissues(item, had))) continue;
      g.byOrder.splice(g.byOrder.indexOf(had), 1);
      g.byId.delete(item.id);
      const moved = reissues(item, had) ? item : { ...had, order: item.order };
      g.byId.set(moved.id, moved);
      insertSorted(g.byOrder, [moved]);
      if (g.cursor === null || moved.order > g.cursor) g.cursor = moved.order;
    }
    await this.putMessages(groupId, items);
  }

  async page(groupId: GroupId, opts: { readonly after?: string | null; readonly limit: number }): Promise<HistoryPage> {
    this.#assertOpen();
    const list = this.#groups.get(groupId)?.byOrder ?? [];
    const limit = clampLimit(opts.limit);
    const after = opts.after ?? null;
    let start = 0;
    if (after !== null) {
      // First index whose order key is strictly greater than `after`.
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((list[mid] as StoredMessage).order <= after) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const items = list.slice(start, start + limit);
    const more = start + limit < list.length;
    return { items, next: more ? (items[items.length - 1]?.order ?? null) : null };
  }

  async before(groupId: GroupId, before: string | null, limit: number): Promise<readonly StoredMessage[]> {
    this.#assertOpen();
    const list = this.#groups.get(groupId)?.byOrder ?? [];
    // First index whose order key is >= `before`: everything below it is older.
    let end = list.length;
    if (before !== null) {
      let lo = 0;
      while (lo < end) {
        const mid = (lo + end) >>> 1;
        if ((list[mid] as StoredMessage).order < before) lo = mid + 1;
        else end = mid;
      }
    }
    return list.slice(Math.max(0, end - clampLimit(limit)), end);
  }

  async since(groupId: GroupId, since: number, limit: number): Promise<readonly StoredMessage[]> {
    this.#assertOpen();
    const list = this.#groups.get(groupId)?.byOrder ?? [];
    return list
      .filter((m) => m.frame.sentAt >= since)
      .sort((a, b) => a.frame.sentAt - b.frame.sentAt || cmp(a.id, b.id))
      .slice(0, clampLimit(limit));
  }

  async cursor(groupId: GroupId): Promise<string | null> {
    this.#assertOpen();
    return this.#groups.get(groupId)?.cursor ?? null;
  }

  /** Same as cursor: a memory store never misses messages below its last key. */
  async lastOrder(groupId: GroupId): Promise<string | null> {
    return this.cursor(groupId);
  }

  async count(groupId: GroupId): Promise<number> {
    this.#assertOpen();
    return this.#groups.get(groupId)?.byId.size ?? 0;
  }

  async putGroup(record: GroupRecord): Promise<void> {
    this.#assertOpen();
    this.#records.set(record.groupId, record);
  }

  async getGroup(groupId: GroupId): Promise<GroupRecord | null> {
    this.#assertOpen();
    return this.#records.get(groupId) ?? null;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #group(groupId: GroupId): GroupMessages {
    let g = this.#groups.get(groupId);
    if (!g) {
      g = { byId: new Map(), byOrder: [], cursor: null };
      this.#groups.set(groupId, g);
    }
    return g;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('The store is closed.');
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Items one splice moves in at most. */
const SPLICE_SLICE = 4_096;

/** By (order key, id): the list's order. */
const byOrderThenId = (a: StoredMessage, b: StoredMessage): number => cmp(a.order, b.order) || cmp(a.id, b.id);

/**
 * Keeps `list` sorted with `items` in it. Live deliveries nearly always land at
 * the end (no search, no splice); a backfill's older page lands as one run
 * below everything held, so the items that go to one place go in with one
 * splice (one move of the list per run, not per item: per item made a
 * 100 000-message backfill quadratic, bench/results/comparisons.md).
 */
function insertSorted(list: StoredMessage[], items: StoredMessage[]): void {
  items.sort(byOrderThenId);
  const first = items[0];
  const last = list[list.length - 1];
  if (first === undefined) return;
  if (last === undefined || byOrderThenId(last, first) <= 0) {
    for (const item of items) list.push(item);
    return;
  }
  // Each item's place in the list as it was; runs that share a place, from the highest place down.
  const places = items.map((item) => upperBound(list, item));
  for (let end = items.length; end > 0;) {
    let start = end - 1;
    while (start > 0 && places[start - 1] === places[end - 1]) start -= 1;
    // In slices, so a write of any size stays within the arguments a call may take.
    for (let at = start; at < end; at += SPLICE_SLICE)
      list.splice(places[end - 1]! + (at - start), 0, ...items.slice(at, Math.min(end, at + SPLICE_SLICE)));
    end = start;
  }
}

/** Index after every element that sorts <= item by (order, id). */
function upperBound(list: readonly StoredMessage[], item: StoredMessage): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = list[mid] as StoredMessage;
    if (cmp(m.order, item.order) < 0 || (m.order === item.order && cmp(m.id, item.id) <= 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function clampLimit(limit: number): number {
  return Number.isFinite(limit) && limit > 0 ? Math.min(Math.floor(limit), MAX_PAGE) : MAX_PAGE;
}
