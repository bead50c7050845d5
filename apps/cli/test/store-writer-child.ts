// Child process for the SIGKILL test: appends batches of messages to a
// store as fast as it can and prints `stored <id>,<id>,…` after each batch
// is committed (putMessages resolved), the way the archivist reports what it
// stored. The parent kills it with SIGKILL at a moment of its choosing.
import { SqliteStore } from '../src/sqlite-store.ts';
import { stored } from './fixtures.ts';

const [file, group = 'gCrash', batchText = '50'] = process.argv.slice(2);
if (!file) throw new Error('usage: store-writer-child.ts <db file> [group] [batch]');
const batch = Number(batchText);
const store = new SqliteStore(file);
let k = (await store.count(group as never)) + 1;
// A body of a few KiB makes each transaction span several pages, so a kill can land mid-write.
const padding = 'x'.repeat(3_000);
for (;;) {
  const items = Array.from({ length: batch }, () => {
    const m = stored(group, 'writer', k, k, Date.now(), `${k} ${padding}`);
    k += 1;
    return m;
  });
  await store.putMessages(group as never, items);
  process.stdout.write(`stored ${items.map((m) => m.id).join(',')}\n`);
}
