// Reproduces the history-sync hang seen by the bench: a group whose members
// sent many messages since the last view change cannot admit a joiner.
// `npx tsx bench/tools/flush-size.ts <messages> [witness]`: peer-1 creates a
// group (with `witness`, peer-2 joins before the messages), sends the
// messages, then peer-3 joins; prints whether the join completed. Run with
// BENCH_VERBOSE=1 to see the peers' own reports (e.g. a refused FLUSH frame).
import { BenchContext } from '../lib/context.ts';
import { connectChorus } from '../lib/node-paths.ts';

/** A healthy join with a few thousand history items takes seconds; past this it is stuck. */
const JOIN_TIMEOUT_MS = 30_000;

const count = Number(process.argv[2] ?? 5_000);
const witness = process.argv[3] === 'witness';
const ctx = new BenchContext('quick');
try {
  const [sponsor, second, joiner] = await ctx.cluster.ensure(3);
  if (sponsor === undefined || second === undefined || joiner === undefined) throw new Error('no workers');
  const trackerUrl = await ctx.trackerUrl();
  // The witness counts what it stores, so the join can wait until it holds every message.
  await second.call('chorus-connect', { trackerUrl, name: 'witness', counting: true });
  await connectChorus([sponsor, joiner], trackerUrl);
  const groupId = await sponsor.call<string>('chorus-create', {
    name: `flush-${Date.now().toString(36)}`,
    ordering: 'fifo',
  });
  await sponsor.call('chorus-join', { groupId });
  if (witness) await second.call('chorus-join', { groupId });
  const fill = await sponsor.call<{ ms: number }>('chorus-fill', { groupId, count, batch: 200 });
  console.log(
    `${count} messages sent${witness ? ' with a second member present' : ' alone'} in ${Math.round(fill.ms)} ms`,
  );
  if (witness) {
    await second.call<number>('store-at', { groupId, count, timeoutMs: JOIN_TIMEOUT_MS });
    console.log(`the witness stored all ${count}`);
  }
  const t0 = Date.now();
  try {
    await Promise.race([
      joiner.call('chorus-join', { groupId }),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no join in ${JOIN_TIMEOUT_MS / 1000} s`)), JOIN_TIMEOUT_MS),
      ),
    ]);
    console.log(`joiner joined in ${Date.now() - t0} ms`);
  } catch (e) {
    console.log(
      `joiner did not join: ${e instanceof Error ? e.message : String(e)}; states: ${JSON.stringify(await Promise.all([sponsor, second, joiner].map((w) => w.call('chorus-state'))))}`,
    );
    process.exitCode = 1;
  }
} finally {
  await ctx.close();
}
