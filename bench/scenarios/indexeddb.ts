// Scenario 6: IndexedDB in Chromium — the real store's batched writes and
// paged reads against one transaction per message / per key, on fresh
// databases of the same schema, in the same page and run.
import type { BenchContext } from '../lib/context.ts';
import { putSpread, ScenarioBuilder, type Row, type ScenarioReport, errorText } from '../lib/report.ts';
import { ratio } from '../lib/stats.ts';

/** Messages handed to the store per putMessages call: a history page (peer.ts and sponsors use 500). */
const BATCH = 500;

interface Rates {
  writesPerSec: number;
  readsPerSec: number;
  stored: number;
  read: number;
}

export const runIndexedDb = async (ctx: BenchContext): Promise<ScenarioReport> => {
  const count = ctx.smoke ? 1_000 : ctx.quick ? 5_000 : 20_000;
  const rawCount = ctx.smoke ? 200 : ctx.quick ? 500 : 2_000;
  const runs = ctx.smoke ? 1 : ctx.quick ? 2 : 3;
  const b = new ScenarioBuilder(
    'indexeddb',
    '6. IndexedDB in Chromium',
    ctx.mode,
    [
      { key: 'path', header: 'path', kind: 'text' },
      { key: 'messages', header: 'messages', kind: 'value', digits: 0 },
      { key: 'writes_per_sec', header: 'writes/s', kind: 'spread', digits: 0 },
      { key: 'reads_per_sec', header: 'reads/s', kind: 'spread', digits: 0 },
      { key: 'writes_over_baseline', header: 'writes ÷ baseline', kind: 'spread', digits: 1 },
      { key: 'reads_over_baseline', header: 'reads ÷ baseline', kind: 'spread', digits: 1 },
    ],
    [
      `One page of headless Chromium (Debian /usr/bin/chromium). Store: packages/peer IdbStore (the app's store: batched, idempotent writes keyed by message id, indexes by group+order and group+sentAt), ${count} messages of ~250 bytes handed over in putMessages calls of ${BATCH}, timed until all are durable; reads walk the group page by page (${BATCH} per page) as a reload or a sponsor does.`,
      `Baseline: the same records and schema written with one readwrite transaction per message, and read with one get per key (what a store without batching does per delivered message), ${rawCount} messages.`,
      `${runs} run(s), each on fresh databases.`,
    ],
  );
  let page;
  try {
    page = await (await ctx.browser()).newPeer('idb');
  } catch (e) {
    b.failRow({ path: 'IdbStore' }, `Chromium could not start the bench page: ${errorText(e)}`);
    return b.finish();
  }
  const store: Rates[] = [];
  const raw: Rates[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      store.push(await page.call<Rates>('idb-store-write', { count, batch: BATCH }));
      raw.push(await page.call<Rates>('idb-raw-single', { count: rawCount }));
    }
  } catch (e) {
    b.failRow({ path: 'IdbStore' }, errorText(e));
  } finally {
    await page.close();
  }
  if (store.length === 0) return b.finish();
  const lost = store.filter((s) => s.stored !== count || s.read !== count);
  if (lost.length > 0)
    b.notes.push(`Some runs stored or read back fewer than ${count} messages: ${JSON.stringify(lost)}.`);
  const rowStore: Row = { path: `IdbStore, ${BATCH} per putMessages`, messages: count };
  putSpread(
    rowStore,
    'writes_per_sec',
    store.map((s) => s.writesPerSec),
  );
  putSpread(
    rowStore,
    'reads_per_sec',
    store.map((s) => s.readsPerSec),
  );
  putSpread(
    rowStore,
    'writes_over_baseline',
    store.map((s, i) => ratio(s.writesPerSec, raw[i]?.writesPerSec ?? Number.NaN)),
  );
  putSpread(
    rowStore,
    'reads_over_baseline',
    store.map((s, i) => ratio(s.readsPerSec, raw[i]?.readsPerSec ?? Number.NaN)),
  );
  const rowRaw: Row = { path: 'one transaction per message (baseline)', messages: rawCount };
  putSpread(
    rowRaw,
    'writes_per_sec',
    raw.map((s) => s.writesPerSec),
  );
  putSpread(
    rowRaw,
    'reads_per_sec',
    raw.map((s) => s.readsPerSec),
  );
  b.rows.push(rowStore, rowRaw);
  return b.finish();
};
