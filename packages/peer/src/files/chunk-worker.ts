// The dedicated worker behind ChunkWorker (chunk-worker-client.ts): checks a
// received file chunk against its file's signed Merkle root and stores the
// good ones in the `blobChunks` object store over a connection of its own, so
// a page's main thread does neither (PROTOCOL.md §10 "Swarming"). Chunks that
// arrive while a batch commits go together in the next transaction, and each
// batch's answers go back in one message: the main thread handles one
// message per transaction, not a hash and two requests per chunk.
//
// In:  { k: 'open', name } once, then { k: 'check', id, hash, root, index, count, data, proof }
//      or { k: 'put', id, record } (a chunk of our own file, stored unchecked).
// Out: { k: 'ready' } once the database is open, { k: 'open-failed', message },
//      { k: 'done', good: id[], bad: id[] }, { k: 'failed', ids, name, message } (a failed transaction).

import { openDB } from 'idb';
import { fromHex, verifyChunk, type ProvenNodes } from '@chorus/protocol';
import { IDB_VERSION, upgradeSchema, type BlobChunkRecord, type ChorusDb, type Db } from '../idb-schema.ts';
import type { ChunkCheck } from './chunk-worker-client.ts';
import { proofTexts } from './file-chunks.ts';

/** A chunk to check, as the client sends it: what it was asked to check, and the answer's id. */
type Check = ChunkCheck & { readonly id: number };

interface Scope {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
}
const scope = globalThis as unknown as Scope;

let db: Promise<Db> | null = null;
let dbName = '';
/** Per file (by root): the nodes earlier chunks proved, so a path is hashed only up to the first of them. */
const proven = new Map<string, { root: Uint8Array; nodes: ProvenNodes; lastUsed: number }>();
const pending: { id: number; record: BlobChunkRecord }[] = [];
let writing = false;
let bad: number[] = [];

const open = (): Promise<Db> => {
  db ??= openDB<ChorusDb>(dbName, IDB_VERSION, {
    upgrade: (d, oldVersion, _newVersion, tx) => upgradeSchema(d, oldVersion, tx),
    // Another tab upgrades the schema: step aside; the next write opens again.
    blocking: () => {
      const closing = db;
      db = null;
      void closing?.then((d) => d.close()).catch(() => {});
    },
    terminated: () => {
      db = null;
    },
  });
  const opening = db;
  opening.catch(() => {
    if (db === opening) db = null;
  });
  return opening;
};

const treeOf = (rootHex: string): { root: Uint8Array; nodes: ProvenNodes } => {
  let t = proven.get(rootHex);
  if (t === undefined) {
    // A few files at a time at most; forget the least recently used past that.
    if (proven.size >= 8) {
      const oldest = [...proven.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      if (oldest) proven.delete(oldest[0]);
    }
    proven.set(rootHex, (t = { root: fromHex(rootHex), nodes: new Map(), lastUsed: 0 }));
  }
  t.lastUsed = performance.now();
  return t;
};

const check = async (c: Check): Promise<void> => {
  const tree = treeOf(c.root);
  let good = false;
  try {
    good = await verifyChunk(tree.root, c.index, c.count, c.data, c.proof, tree.nodes);
  } catch {
    good = false;
  }
  if (!good) {
    bad.push(c.id);
    if (!writing) void writeBatches();
    return;
  }
  pending.push({ id: c.id, record: { hash: c.hash, index: c.index, bytes: c.data, proof: proofTexts(c.proof) } });
  if (!writing) void writeBatches();
};

async function writeBatches(): Promise<void> {
  writing = true;
  while (pending.length > 0 || bad.length > 0) {
    const batch = pending.splice(0);
    const refused = bad;
    bad = [];
    if (batch.length === 0) {
      scope.postMessage({ k: 'done', good: [], bad: refused });
      continue;
    }
    try {
      const tx = (await open()).transaction('blobChunks', 'readwrite');
      // A chunk already stored stays as it is (the first write wins).
      for (const { record } of batch) {
        tx.store
          .getKey([record.hash, record.index])
          .then((k) => (k === undefined ? tx.store.put(record) : undefined))
          .catch(() => {}); // tx.done rejects for it
      }
      await tx.done;
      scope.postMessage({ k: 'done', good: batch.map((p) => p.id), bad: refused });
    } catch (e) {
      const { name, message } = e instanceof Error ? e : { name: 'Error', message: String(e) };
      scope.postMessage({ k: 'failed', ids: batch.map((p) => p.id), name, message });
      if (refused.length > 0) scope.postMessage({ k: 'done', good: [], bad: refused });
    }
  }
  writing = false;
}

scope.onmessage = (event: MessageEvent) => {
  const m = event.data as
    { k: 'open'; name: string } | ({ k: 'check' } & Check) | { k: 'put'; id: number; record: BlobChunkRecord };
  if (m.k === 'put') {
    pending.push({ id: m.id, record: m.record });
    if (!writing) void writeBatches();
    return;
  }
  if (m.k === 'open') {
    dbName = m.name;
    open().then(
      () => scope.postMessage({ k: 'ready' }),
      (e: unknown) => scope.postMessage({ k: 'open-failed', message: e instanceof Error ? e.message : String(e) }),
    );
    return;
  }
  void check(m);
};
