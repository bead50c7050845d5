// One node's local history as the simulator models it: the key rules of the
// product's stores (packages/peer memory-store.ts and idb-store.ts) over plain
// maps. Records are keyed by their message id and the first copy wins (a
// total-order group's deliveries and history move a stored copy to their key: putHistory); a
// group's messages are paged by (order key, id); the cursor is the highest
// order key ever stored in the group; one record per group keeps the engine
// state of the last saved batch. Every session of the node (one per group,
// and both tabs of a tab pair) writes into the same store. What was written
// is durable: a crash or reload loses only what a session had not written yet.

import type { GroupId, MessageId, Ordering, PeerId } from '../src/ids.ts';
import type { HistorySource, StorePage, StoreRead } from '../src/history/history-reader.ts';
import type { EngineResume } from '../src/ordering/create-engine.ts';
import { resumePoint } from '../src/ordering/resume-point.ts';
import type { DataFrame, JoinerState } from '../src/wire/frames.ts';

export interface StoredRecord {
  /** The store's key (IdbStore's keyPath `id`): the message id the session computed. */
  readonly id: string;
  readonly groupId: GroupId;
  readonly frame: DataFrame;
  readonly order: string;
}

/** What the store keeps about a group besides its messages (GroupRecord without name and ordering). */
export interface GroupRecordModel {
  readonly groupId: GroupId;
  readonly ordering: Ordering;
  /** Engine state at the last saved batch, without the unstable copies. */
  readonly state: Omit<JoinerState, 'unstable'> | null;
  /** Total order: per sender, the first seq delivered but not known to every member (SessionGroupRecord). */
  readonly tentative?: Readonly<Record<string, number>>;
  /** Per sender, seqs at or below it this store lacks will never be handed to it (SessionGroupRecord). */
  readonly floors?: Readonly<Record<string, number>>;
}

const before = (a: StoredRecord, b: StoredRecord): boolean => a.order < b.order || (a.order === b.order && a.id < b.id);

export class StoreModel implements HistorySource<StoredRecord> {
  private readonly byId = new Map<string, StoredRecord>();
  /** Per group, sorted by (order key, id): the index `by-group-order`. */
  private readonly byGroup = new Map<GroupId, StoredRecord[]>();
  private readonly cursors = new Map<GroupId, string>();
  private readonly records = new Map<GroupId, GroupRecordModel>();

  /**
   * Idempotent by id: a record whose key is taken is left out (the first copy wins), as in the
   * product's stores — except an item of `history` (a total-order group's agreed keys: a sponsor's
   * history or a live delivery, the product's `putHistory`), whose order key replaces the one stored for its id.
   */
  put(items: readonly StoredRecord[], history: ReadonlySet<string> = new Set()): void {
    for (const item of items) {
      const had = this.byId.get(item.id);
      if (had !== undefined) {
        // A history item takes the stored copy's place at its key; a re-issue (its sender signed it again
        // for a later view, PROTOCOL.md §3.1) takes it whole.
        const again = item.frame.viewId > had.frame.viewId;
        if (!history.has(item.id) || (had.order === item.order && !again)) continue;
        const old = this.byGroup.get(had.groupId) ?? [];
        old.splice(old.indexOf(had), 1);
      }
      this.byId.set(item.id, item);
      let list = this.byGroup.get(item.groupId);
      if (list === undefined) {
        list = [];
        this.byGroup.set(item.groupId, list);
      }
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (before(item, list[mid] as StoredRecord)) hi = mid;
        else lo = mid + 1;
      }
      list.splice(lo, 0, item);
      const c = this.cursors.get(item.groupId);
      if (c === undefined || item.order > c) this.cursors.set(item.groupId, item.order);
    }
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** A group's messages oldest first by order key (what a reload shows before the network is up). */
  list(groupId: GroupId): readonly StoredRecord[] {
    return this.byGroup.get(groupId) ?? [];
  }

  /** Strictly after `after` (an order key), as MessageStore.page. */
  after(groupId: GroupId, after: string | null): readonly StoredRecord[] {
    const list = this.list(groupId);
    if (after === null) return list;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as StoredRecord).order <= after) lo = mid + 1;
      else hi = mid;
    }
    return list.slice(lo);
  }

  /**
   * MessageStore.page: at most `limit` records strictly after `after`; `next` is the last one's key while more follow.
   */
  page(groupId: GroupId, read: StoreRead): StorePage<StoredRecord> {
    const rest = this.after(groupId, read.after);
    const items = rest.slice(0, Math.max(1, read.limit));
    return { items, next: rest.length > items.length ? (items.at(-1)?.order ?? null) : null };
  }

  /** MessageStore.before: the newest `limit` records strictly below `before` (null: the newest), oldest first. */
  before(groupId: GroupId, before: string | null, limit: number): readonly StoredRecord[] {
    const list = this.list(groupId);
    let end = list.length;
    if (before !== null) {
      let lo = 0;
      while (lo < end) {
        const mid = (lo + end) >>> 1;
        if ((list[mid] as StoredRecord).order < before) lo = mid + 1;
        else end = mid;
      }
    }
    return list.slice(Math.max(0, end - Math.max(1, limit)), end);
  }

  /** The highest order key ever stored in the group (MessageStore.lastOrder). */
  cursor(groupId: GroupId): string | null {
    return this.cursors.get(groupId) ?? null;
  }

  putGroup(record: GroupRecordModel): void {
    this.records.set(record.groupId, record);
  }

  getGroup(groupId: GroupId): GroupRecordModel | null {
    return this.records.get(groupId) ?? null;
  }

  /** Every group that has messages or a record here. */
  groups(): GroupId[] {
    return [...new Set([...this.byGroup.keys(), ...this.records.keys()])];
  }

  /** The record under `id` (for the checks). */
  get(id: MessageId | string): StoredRecord | undefined {
    return this.byId.get(id);
  }
}

/**
 * Where an earlier session of `self` stood in a group, from the store: the
 * product's rule (src/ordering/resume-point.ts, as packages/peer Peer uses
 * it), so a re-joined peer id does not reuse its seqs or order keys. Null for
 * a group new to this store.
 */
export const resumeFromStore = (
  store: StoreModel,
  groupId: GroupId,
  self: PeerId,
  ordering: Ordering,
): EngineResume | null =>
  resumePoint(
    {
      nextSeq: store.getGroup(groupId)?.state?.nextSeq ?? null,
      lastOrder: store.cursor(groupId),
      count: store.list(groupId).length,
    },
    self,
    ordering,
  );
