// The requests IdbStore makes on `batches` (schema 4, idb-batches.ts): writing
// one group's queued messages inside the store's transaction, first copy of
// an id kept; and fetching the records an index walk named. Knows nothing of
// queues, retries or problems: idb-store.ts owns those.

import type { GroupId, MessageId } from '@chorus/protocol/light';
import { reissues, type StoredMessage } from './storage.ts';
import { batchRecord, batchRecords, type BatchRecord } from './idb-batches.ts';

/**
 * Writes `items` of `groupId` into `batches` (raw store of a readwrite transaction). Usually one `add` per
 * record (a history page: one request, not one per message). A record naming an id already stored is refused
 * by the unique `by-id` index; then each of its messages is looked up: a new one is written, a stored one is
 * left as it is, except for an id in `rekey` (putHistory): a re-issue replaces it whole, another order key
 * moves it there (storage.ts).
 */
export async function writeGroupBatch(
  batches: IDBObjectStore,
  groupId: GroupId,
  items: readonly StoredMessage[],
  rekey: ReadonlySet<MessageId>,
): Promise<void> {
  const records = batchRecords(groupId, items);
  const added = await Promise.all(records.map((r) => addUnlessTaken(batches, r)));
  const again = records.filter((_, i) => !added[i]).flatMap((r) => r.items);
  if (again.length === 0) return;
  const byId = batches.index('by-id');
  const stored = await Promise.all(again.map((m) => request(byId.getKey(m.id)) as Promise<number | undefined>));
  const fresh: StoredMessage[] = [];
  const moves = new Map<number, StoredMessage[]>();
  again.forEach((m, i) => {
    const at = stored[i];
    if (at === undefined) fresh.push(m);
    else if (rekey.has(m.id)) moves.set(at, [...(moves.get(at) ?? []), m]);
  });
  await Promise.all([
    ...batchRecords(groupId, fresh).map((r) => request(batches.add(r))),
    ...[...moves].map(async ([n, wanted]) => {
      const record = (await request(batches.get(n))) as BatchRecord;
      const by = new Map(wanted.map((m) => [m.id, m]));
      let changed = false;
      const next = record.items.map((had) => {
        const item = by.get(had.id);
        if (item === undefined) return had;
        if (reissues(item, had)) return ((changed = true), item);
        if (had.order !== item.order) return ((changed = true), { ...had, order: item.order });
        return had;
      });
      if (changed) await request(batches.put({ ...batchRecord(record.groupId, next), n }));
    }),
  ]);
}

/** Adds `record`; false when the unique `by-id` index refused it (an id is stored), without failing the transaction. */
function addUnlessTaken(store: IDBObjectStore, record: BatchRecord): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = store.add(record);
    req.onsuccess = () => resolve(true);
    req.onerror = (e) => {
      if (req.error?.name !== 'ConstraintError') return reject(req.error ?? new Error('The write failed.'));
      e.preventDefault();
      e.stopPropagation();
      resolve(false);
    };
  });
}

/**
 * The records with keys `keys` (an index walk's primary keys, repeats allowed), in one request when they lie
 * close together (a group's records mostly do: getAll over their span), else one `get` each.
 */
export async function fetchBatches(store: IDBObjectStore, keys: readonly IDBValidKey[]): Promise<BatchRecord[]> {
  const wanted = [...new Set(keys as number[])].sort((a, b) => a - b);
  const first = wanted[0];
  const last = wanted[wanted.length - 1];
  if (first === undefined || last === undefined) return [];
  if (last - first + 1 <= 2 * wanted.length) {
    const all = (await request(store.getAll(IDBKeyRange.bound(first, last)))) as BatchRecord[];
    const want = new Set(wanted);
    return all.filter((r) => want.has(r.n as number));
  }
  return (await Promise.all(wanted.map((n) => request(store.get(n))))) as BatchRecord[];
}

export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('The request failed.'));
  });
}
