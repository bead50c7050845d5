// A MessageStore that forwards to a real one (memory in Node, IndexedDB in
// Chromium) and notes the wall-clock moment a group's stored count reaches a
// number, so "history synced" means "durable in the joiner's store", not
// "arrived on the wire". No Node imports: the browser bench page uses it too.
import type { GroupId } from '@chorus/protocol';
import {
  MemoryBlobs,
  type BlobStore,
  type GroupRecord,
  type HistoryPage,
  type MessageStore,
  type StoredMessage,
} from '@chorus/peer';

const wallNow = (): number => performance.timeOrigin + performance.now();

export class CountingStore implements MessageStore {
  private readonly ids = new Map<string, Set<string>>();
  private readonly waiters: { groupId: string; count: number; resolve: (at: number) => void }[] = [];

  constructor(private readonly inner: MessageStore) {}

  /** Messages of the group durable in the inner store (counted here, synchronously). */
  stored(groupId: string): number {
    return this.ids.get(groupId)?.size ?? 0;
  }

  /** Resolves with the wall time the count was first reached (now if already), or null on timeout. */
  waitFor(groupId: string, count: number, timeoutMs: number): Promise<number | null> {
    if (this.stored(groupId) >= count) return Promise.resolve(wallNow());
    return new Promise((resolve) => {
      const w = {
        groupId,
        count,
        resolve: (at: number) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(null);
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  async putHistory(groupId: GroupId, items: readonly StoredMessage[]): Promise<void> {
    await this.inner.putHistory(groupId, items);
    this.#count(items);
  }

  async putMessages(groupId: GroupId, items: readonly StoredMessage[]): Promise<void> {
    await this.inner.putMessages(groupId, items);
    this.#count(items);
  }

  #count(items: readonly StoredMessage[]): void {
    // Counted only once durable in the inner store.
    for (const m of items) {
      const set = this.ids.get(m.groupId) ?? new Set<string>();
      set.add(m.id);
      this.ids.set(m.groupId, set);
    }
    const at = wallNow();
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w !== undefined && this.stored(w.groupId) >= w.count) {
        this.waiters.splice(i, 1);
        w.resolve(at);
      }
    }
  }

  page(groupId: GroupId, opts: { readonly after?: string | null; readonly limit: number }): Promise<HistoryPage> {
    return this.inner.page(groupId, opts);
  }
  /** A sponsor pages backwards (PROTOCOL.md §4): without this a store is read by a forward scan per page. */
  before(groupId: GroupId, before: string | null, limit: number): Promise<readonly StoredMessage[]> {
    if (this.inner.before === undefined) throw new Error('the wrapped store cannot read backwards');
    return this.inner.before(groupId, before, limit);
  }
  since(groupId: GroupId, since: number, limit: number): Promise<readonly StoredMessage[]> {
    return this.inner.since(groupId, since, limit);
  }
  cursor(groupId: GroupId): Promise<string | null> {
    return this.inner.cursor(groupId);
  }
  lastOrder(groupId: GroupId): Promise<string | null> {
    return this.inner.lastOrder?.(groupId) ?? this.inner.cursor(groupId);
  }
  count(groupId: GroupId): Promise<number> {
    return this.inner.count(groupId);
  }
  putGroup(record: GroupRecord): Promise<void> {
    return this.inner.putGroup(record);
  }
  getGroup(groupId: GroupId): Promise<GroupRecord | null> {
    return this.inner.getGroup(groupId);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  /** Files' blobs where the inner store keeps them (IdbStore's object stores; a MemoryStore is one itself). */
  blobs(): BlobStore {
    const inner = this.inner as MessageStore & Partial<BlobStore> & { blobs?: () => BlobStore };
    if (typeof inner.blobs === 'function') return inner.blobs();
    return typeof inner.putChunk === 'function' ? (inner as MessageStore & BlobStore) : new MemoryBlobs();
  }
}
