// Diagnostic (issue 15, Chromium history): what writing a joiner's history
// into IndexedDB costs per record shape and index set. One page of headless
// Chromium writes N history-shaped messages in pages of P (one readwrite
// transaction per page, as IdbStore writes a history page), each shape on a
// fresh database, the shapes in alternating order over R rounds. Prints per
// shape the wall time until the last transaction committed and the main
// thread's time inside the calls that issue the writes (structured clone and
// the request), the part that competes with verification on the page.
//   npx tsx bench/tools/idb-shapes.ts [messages=10000] [page=200] [rounds=2]
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../lib/browser.ts';
import { freePort } from '../lib/free-port.ts';

const messages = Number(process.argv[2] ?? 10_000);
const perPage = Number(process.argv[3] ?? 200);
const rounds = Number(process.argv[4] ?? 2);

/**
 * The shapes measured. nested-2: today's record (schema 3: the frame as an object, indexes by [group, order] and
 * [group, frame.sentAt], one `add` per message). The others change one thing each.
 */
const ONLY = process.env['SHAPES']?.split(',');
const ALL_SHAPES = [
  'nested-2', // schema 3 as it is
  'nested-1', // same record, only the by-group-order index
  'nested-0', // same record, no index (a floor)
  'put-2', // today's record and indexes, `put` with no request handlers (not first-write-wins: what a request costs)
  'flat-2', // frame as its wire text, sentAt and sender copied flat, both indexes
  'flat-1', // flat, only by-group-order
  'page-nested', // one record per history page: the page's items as objects, no per-message index
  'page-text', // one record per history page: the page's items as one JSON text
  'page-indexed', // page-nested plus multiEntry indexes of its items' ids, [group, order, id], [group, sentAt, id]
  'page-text-indexed', // page-text with the same three multiEntry indexes
  'page-ids', // page-nested with the ids index only
  'cols-indexed', // one record per page, its messages as columns (one array per field), the three indexes
  'cols-strkeys', // cols-indexed, order and sentAt index keys as one string each (group, key, id joined)
] as const;
const SHAPES = ALL_SHAPES.filter((s) => ONLY === undefined || ONLY.includes(s));

const port = await freePort();
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>idb shapes</title>');
}).listen(port, '127.0.0.1');
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const page = await (await browser.newContext()).newPage();
  await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  await page.goto(`http://127.0.0.1:${port}/`);
  const results = new Map<string, { wall: number[]; issue: number[] }>();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [...SHAPES] : [...SHAPES].reverse();
    for (const shape of order) {
      const r = await page.evaluate(writeShape, { shape, messages, perPage, tag: `${round}` });
      const acc = results.get(shape) ?? { wall: [], issue: [] };
      acc.wall.push(r.wallMs);
      acc.issue.push(r.issueMs);
      results.set(shape, acc);
      console.log(
        `round ${round + 1} ${shape.padEnd(12)} wall ${r.wallMs.toFixed(0).padStart(5)} ms  issue ${r.issueMs.toFixed(0).padStart(5)} ms  (${r.stored} stored)`,
      );
    }
  }
  console.log(`\n${messages} messages in pages of ${perPage}, ${rounds} round(s); per message, µs (wall / issuing):`);
  for (const [shape, { wall, issue }] of results) {
    const us = (xs: number[]): string => xs.map((x) => ((x * 1_000) / messages).toFixed(0)).join(' / ');
    console.log(`  ${shape.padEnd(12)} wall ${us(wall).padEnd(12)} issue ${us(issue)}`);
  }
} finally {
  await browser.close();
  server.close();
}

/** In the page: one shape on a fresh database; all of the page's own, nothing imported. */
async function writeShape(args: {
  shape: string;
  messages: number;
  perPage: number;
  tag: string;
}): Promise<{ wallMs: number; issueMs: number; stored: number }> {
  const { shape, messages, perPage, tag } = args;
  const name = `shapes-${shape}-${tag}-${Math.random().toString(36).slice(2)}`;
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open(name, 1);
    open.onupgradeneeded = () => {
      const d = open.result;
      if (shape.startsWith('page-') || shape.startsWith('cols-')) {
        const p = d.createObjectStore('pages', { keyPath: ['groupId', 'first'] });
        if (shape.endsWith('-indexed') || shape === 'page-ids' || shape === 'cols-strkeys')
          p.createIndex('ids', 'ids', { multiEntry: true, unique: true });
        if (shape.endsWith('-indexed') || shape === 'cols-strkeys') {
          p.createIndex('orders', 'orders', { multiEntry: true });
          p.createIndex('sents', 'sents', { multiEntry: true });
        }
        return;
      }
      const s = d.createObjectStore('messages', { keyPath: 'id' });
      const flat = shape.startsWith('flat-');
      const indexes = Number(shape.slice(-1));
      if (indexes >= 1) s.createIndex('by-group-order', ['groupId', 'order']);
      if (indexes >= 2) s.createIndex('by-group-sent', ['groupId', flat ? 'sentAt' : 'frame.sentAt']);
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const b64 = (n: number, seed: number): string => {
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let s = '';
    for (let i = 0; i < n; i++) s += abc[(seed * 31 + i * 7) % 64];
    return s;
  };
  const groupId = b64(22, 1);
  const senders = [b64(43, 2), b64(43, 3)];
  const pad = (n: number): string => String(n).padStart(16, '0');
  // Built before timing: the joiner has its parsed frames in hand when it writes.
  const items = Array.from({ length: messages }, (_, i) => {
    const sender = senders[i % 2]!;
    const seq = Math.floor(i / 2) + 1;
    const frame = {
      t: 'data',
      groupId,
      viewId: 3,
      sender,
      seq,
      lamport: i + 1,
      sentAt: 1_760_000_000_000 + i,
      body: `history message ${i + 1}`,
      prev: b64(44, i),
      sig: b64(88, i + 5),
    };
    return {
      id: `${groupId}/${sender}:${seq}`,
      groupId,
      senderName: `Member ${i % 2}`,
      senderKey: b64(44, i % 2),
      deliveredAt: 1_760_000_100_000 + i,
      order: `${pad(i + 1)}:${sender}:${pad(seq)}`,
      frame,
      wire: JSON.stringify(frame),
    };
  });
  const records = items.map((m) => {
    const { wire, ...nested } = m;
    if (!shape.startsWith('flat-')) return nested;
    return {
      id: m.id,
      groupId: m.groupId,
      order: m.order,
      sentAt: m.frame.sentAt,
      senderName: m.senderName,
      senderKey: m.senderKey,
      deliveredAt: m.deliveredAt,
      frame: wire,
    };
  });
  let issueMs = 0;
  const t0 = performance.now();
  for (let from = 0; from < messages; from += perPage) {
    const slice = records.slice(from, from + perPage);
    await new Promise<void>((resolve, reject) => {
      const s = performance.now();
      if (shape.startsWith('cols-')) {
        const tx = db.transaction('pages', 'readwrite');
        type M = {
          id: string;
          order: string;
          senderName: string;
          senderKey: string;
          deliveredAt: number;
          frame: Record<string, string | number>;
        };
        const ms = slice as M[];
        const col = <T>(f: (m: M) => T): T[] => ms.map(f);
        const strKeys = shape === 'cols-strkeys';
        tx.objectStore('pages').add({
          groupId,
          first: ms[0]!.order,
          ids: col((m) => m.id),
          order: col((m) => m.order),
          senderName: col((m) => m.senderName),
          senderKey: col((m) => m.senderKey),
          deliveredAt: col((m) => m.deliveredAt),
          sender: col((m) => m.frame['sender']),
          seq: col((m) => m.frame['seq']),
          viewId: col((m) => m.frame['viewId']),
          lamport: col((m) => m.frame['lamport']),
          sentAt: col((m) => m.frame['sentAt']),
          body: col((m) => m.frame['body']),
          prev: col((m) => m.frame['prev']),
          sig: col((m) => m.frame['sig']),
          orders: strKeys
            ? col((m) => `${groupId}\u0000${m.order}\u0000${m.id}`)
            : col((m) => [groupId, m.order, m.id]),
          sents: strKeys
            ? col((m) => `${groupId}\u0000${String(m.frame['sentAt']).padStart(16, '0')}\u0000${m.id}`)
            : col((m) => [groupId, m.frame['sentAt'], m.id]),
        });
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      } else if (shape.startsWith('page-')) {
        const tx = db.transaction('pages', 'readwrite');
        const first = (slice[0] as { order: string }).order;
        tx.objectStore('pages').add({
          groupId,
          first,
          items: shape.startsWith('page-text') ? JSON.stringify(slice) : slice,
          ...(shape.endsWith('-indexed') || shape === 'page-ids'
            ? { ids: slice.map((m) => (m as { id: string }).id) }
            : {}),
          ...(shape.endsWith('-indexed')
            ? {
                orders: slice.map((m) => [groupId, (m as { order: string }).order, (m as { id: string }).id]),
                sents: slice.map((m) => [
                  groupId,
                  (m as { frame: { sentAt: number } }).frame.sentAt,
                  (m as { id: string }).id,
                ]),
              }
            : {}),
        });
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      } else {
        const tx = db.transaction('messages', 'readwrite');
        const store = tx.objectStore('messages');
        if (shape === 'put-2') for (const r of slice) store.put(r);
        else
          for (const r of slice) {
            const req = store.add(r);
            req.onsuccess = () => {};
            req.onerror = (e) => {
              // first write wins, as IdbStore's addOnce
              e.preventDefault();
              e.stopPropagation();
            };
          }
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      }
      issueMs += performance.now() - s;
    });
  }
  const wallMs = performance.now() - t0;
  const stored = await new Promise<number>((resolve) => {
    const store = shape.startsWith('page-') || shape.startsWith('cols-') ? 'pages' : 'messages';
    const req = db.transaction(store).objectStore(store).count();
    req.onsuccess = () => resolve(req.result);
  });
  db.close();
  indexedDB.deleteDatabase(name);
  return { wallMs, issueMs, stored };
}
