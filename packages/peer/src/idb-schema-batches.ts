// Schema 3 → 4, inside the upgrade transaction: every message record of the
// old `messages` object store moves into `batches` (idb-batches.ts), group by
// group in order-key order, BATCH_RECORD_MAX to a record, so a page read
// after the upgrade touches one or two records as a page written since does.
// A record that is not a readable message stays in `messages`, untouched:
// IdbStore reports it on open (nothing stored is dropped by an upgrade).

import type { GroupId, MessageId } from '@chorus/protocol/light';
import type { StoredMessage } from './storage.ts';
import { batchRecords, BATCH_RECORD_MAX, unreadable } from './idb-batches.ts';
import type { Db, UpgradeTx } from './idb-schema.ts';

/** Moves `messages` into `batches`; deletes `messages` when every record moved. */
export async function moveMessagesToBatches(db: Db, tx: UpgradeTx): Promise<void> {
  const messages = tx.objectStore('messages');
  const batches = tx.objectStore('batches');
  const index = messages.index('by-group-order');
  const moved = new Set<MessageId>();
  let from: IDBKeyRange | undefined;
  for (let done = false; !done;) {
    const slice = await index.getAll(from, BATCH_RECORD_MAX);
    const last = slice[slice.length - 1];
    if (last === undefined) break;
    let take = slice;
    done = slice.length < BATCH_RECORD_MAX;
    if (!done) {
      // The next slice starts at the last order key, inclusive (several messages may share one): its messages
      // are left to it, unless the whole slice has that key; then every message with it is taken now.
      const key: [GroupId, string] = [last.groupId, last.order];
      take = slice.filter((m) => m.groupId !== last.groupId || m.order !== last.order);
      const ties = take.length === 0;
      if (ties) take = await index.getAll(IDBKeyRange.only(key));
      from = IDBKeyRange.lowerBound(key, ties);
    }
    const byGroup = new Map<GroupId, StoredMessage[]>();
    for (const m of take) {
      if (unreadable(m) !== null) continue;
      let list = byGroup.get(m.groupId);
      if (!list) byGroup.set(m.groupId, (list = []));
      list.push(m);
    }
    for (const [groupId, list] of byGroup)
      for (const record of batchRecords(groupId, list)) {
        await batches.add(record);
        for (const id of record.ids) moved.add(id);
      }
  }
  // Whatever did not move (no group or order key to be indexed by, or not a message) stays where it was.
  if ((await messages.count()) === moved.size) db.deleteObjectStore('messages');
  else for (const id of moved) await messages.delete(id);
}

/** What the schema 4 upgrade left in `messages` (records that are not messages), said in a sentence; null: none. */
export async function leftovers(db: Db): Promise<string | null> {
  if (!db.objectStoreNames.contains('messages')) return null;
  const first = await db.transaction('messages').store.openCursor();
  if (first === null) return null;
  const why = unreadable(first.value) ?? 'no group or order key';
  return `${await db.count('messages')} message record(s) from an older version could not be read (the first, ${String(first.key)}: ${why}). They are kept as they were and left out of the history shown.`;
}
