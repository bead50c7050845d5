// The IndexedDB schema of the `chorus` database and its upgrades: object
// stores, indexes, record shapes and the migration steps from each older
// version. What belongs here: anything that changes when IDB_VERSION does.
// Reading and writing messages is idb-store.ts, identities idb-key-store.ts.
// A message id names its group (`group/sender:seq`): version 1 of the schema
// keyed messages by `sender:seq`, so a sender's message in one group hid its
// message of the same seq in another; version 2 rewrites those keys in place
// and has groups that show gaps sync their history again from the start.
// Version 4 keeps messages in `batches`, one record per write of a group
// (idb-batches.ts says why); idb-schema-batches.ts moves older databases'
// `messages` records there.

import type { DBSchema, IDBPDatabase, IDBPTransaction } from 'idb';
import { messageId, type GroupId, type MessageId } from '@chorus/protocol/light';
import type { GroupRecord, StoredMessage } from './storage.ts';
import type { BlobRecord, StoredChunk } from './files/blob-store.ts';
import type { BatchRecord, OrderKey, SentKey } from './idb-batches.ts';
import { moveMessagesToBatches } from './idb-schema-batches.ts';

export const IDB_NAME = 'chorus';
/**
 * Bump with a migration step in upgradeSchema whenever the schema below changes.
 * 1: messages keyed `sender:seq`. 2: keyed `group/sender:seq` (rewritten in place).
 * 3: adds `blobs` and `blobChunks` (files, PROTOCOL.md §10); nothing else changes.
 * 4: messages move from `messages` (one record each) to `batches` (one record per write, idb-batches.ts);
 *    `messages` is deleted, or keeps only records that could not be read (reported on open, never dropped).
 */
export const IDB_VERSION = 4;

export interface IdentityRecord {
  readonly name: string;
  readonly keyPair: CryptoKeyPair;
  readonly createdAt: number;
}

export interface CursorRecord {
  readonly groupId: GroupId;
  /** Highest order key stored for the group. */
  readonly order: string;
  /**
   * Set by the schema 2 upgrade on a group whose stored messages show gaps
   * (schema 1 dropped them as duplicates of another group's): until a write
   * reaches this order key again, `cursor()` is null, so the next history
   * sync asks for everything and refills them (writes are idempotent).
   */
  readonly resyncUntil?: string;
}

export interface ChorusDb extends DBSchema {
  identities: { key: string; value: IdentityRecord };
  groups: { key: GroupId; value: GroupRecord };
  /** Schema 1-3's one record per message; since 4 only in an upgrade, or holding records that could not be read. */
  messages: {
    key: MessageId;
    value: StoredMessage;
    indexes: { 'by-group-order': [GroupId, string]; 'by-group-sent': [GroupId, number] };
  };
  /** Since schema 4: messages, one record per write of one group (idb-batches.ts). */
  batches: {
    key: number;
    value: BatchRecord;
    indexes: { 'by-id': MessageId; 'by-order': OrderKey; 'by-sent': SentKey };
  };
  cursors: { key: GroupId; value: CursorRecord };
  /** A file's blob by the SHA-256 of its bytes (files/blob-store.ts). */
  blobs: { key: string; value: BlobRecord };
  /** One stored chunk of a blob, keyed [hash, index]. */
  blobChunks: { key: [string, number]; value: BlobChunkRecord };
}

export interface BlobChunkRecord extends StoredChunk {
  readonly hash: string;
  readonly index: number;
}

export type Db = IDBPDatabase<ChorusDb>;
export type UpgradeTx = IDBPTransaction<
  ChorusDb,
  ('identities' | 'groups' | 'messages' | 'batches' | 'cursors' | 'blobs' | 'blobChunks')[],
  'versionchange'
>;

/** `openDB`'s upgrade step: brings a database at `oldVersion` (0 when new) to IDB_VERSION inside `tx`. */
export function upgradeSchema(db: Db, oldVersion: number, tx: UpgradeTx): void {
  // Version 1: the whole schema of the time (object stores and indexes unchanged until 4; `messages` is made
  // only by versions before 4, so a new database has none).
  if (!db.objectStoreNames.contains('identities')) db.createObjectStore('identities', { keyPath: 'name' });
  if (!db.objectStoreNames.contains('groups')) db.createObjectStore('groups', { keyPath: 'groupId' });
  if (!db.objectStoreNames.contains('cursors')) db.createObjectStore('cursors', { keyPath: 'groupId' });
  // Version 3: files' blobs, two new object stores (nothing to migrate).
  if (!db.objectStoreNames.contains('blobs')) db.createObjectStore('blobs', { keyPath: 'hash' });
  if (!db.objectStoreNames.contains('blobChunks')) db.createObjectStore('blobChunks', { keyPath: ['hash', 'index'] });
  // Version 4: messages in batches (idb-batches.ts), one index entry per message in each index.
  if (!db.objectStoreNames.contains('batches')) {
    const batches = db.createObjectStore('batches', { keyPath: 'n', autoIncrement: true });
    batches.createIndex('by-id', 'ids', { multiEntry: true, unique: true });
    batches.createIndex('by-order', 'orders', { multiEntry: true });
    batches.createIndex('by-sent', 'sents', { multiEntry: true });
  }
  if (oldVersion === 0 || oldVersion >= 4) return;
  // Version 2: message keys name their group; then version 4: the messages move to batches. If a step fails,
  // abort: the database stays at its old version with everything in it, and opening reports the problem.
  const steps = async (): Promise<void> => {
    if (oldVersion < 2) {
      await rewriteMessageIds(tx);
      await resyncGroupsWithGaps(tx);
    }
    await moveMessagesToBatches(db, tx);
  };
  steps().catch(() => {
    try {
      tx.abort();
    } catch {
      // the transaction already failed on its own
    }
  });
}

/**
 * Version 1 → 2, inside the upgrade transaction: every message stored as
 * `sender:seq` is put back as `group/sender:seq` (the group it is filed
 * under; its indexes are unchanged). Mutating while walking is safe here: a
 * rewritten record that the cursor meets again already has its new id. If a
 * record already exists under the new id (a build that wrote new ids into a
 * version 1 database), that first copy is kept, as every write here does.
 * Messages version 1 never stored (dropped as a "duplicate" of another
 * group's message) are not here to rewrite: see resyncGroupsWithGaps.
 */
async function rewriteMessageIds(tx: UpgradeTx): Promise<void> {
  const messages = tx.objectStore('messages');
  let cursor = await messages.openCursor();
  while (cursor) {
    const m = cursor.value;
    const id = messageId(m.groupId, m.frame.sender, m.frame.seq);
    if (m.id !== id) {
      const taken = (await messages.getKey(id)) !== undefined;
      await cursor.delete();
      if (!taken) await messages.put({ ...m, id });
    }
    cursor = await cursor.continue();
  }
}

/**
 * Version 1 → 2, after the rewrite: a group in which some sender's stored
 * seqs do not run 1..n (n the highest stored, or delivered according to the
 * group's saved engine state) may have lost messages to schema 1's false
 * duplicates. Its cursor gets `resyncUntil`, so the next join asks a sponsor
 * for the whole history. A gap for another reason costs one extra sync.
 */
async function resyncGroupsWithGaps(tx: UpgradeTx): Promise<void> {
  /** Per group, per sender: how many seqs are stored and the highest seq known. */
  const seen = new Map<GroupId, Map<string, { count: number; top: number }>>();
  const of = (groupId: GroupId, sender: string) => {
    let g = seen.get(groupId);
    if (!g) seen.set(groupId, (g = new Map()));
    let s = g.get(sender);
    if (!s) g.set(sender, (s = { count: 0, top: 0 }));
    return s;
  };
  let walk = await tx.objectStore('messages').openCursor();
  while (walk) {
    const s = of(walk.value.groupId, walk.value.frame.sender);
    s.count += 1;
    s.top = Math.max(s.top, walk.value.frame.seq);
    walk = await walk.continue();
  }
  for (const record of await tx.objectStore('groups').getAll()) {
    for (const [sender, next] of Object.entries(record.state?.nextSeq ?? {})) {
      if (typeof next === 'number' && Number.isSafeInteger(next) && next > 1) {
        const s = of(record.groupId, sender);
        s.top = Math.max(s.top, next - 1);
      }
    }
  }
  const cursors = tx.objectStore('cursors');
  for (const [groupId, senders] of seen) {
    if (![...senders.values()].some((s) => s.count < s.top)) continue;
    const cur = await cursors.get(groupId);
    if (cur) await cursors.put({ ...cur, resyncUntil: cur.order });
  }
}
