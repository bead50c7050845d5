// Reproduces the concurrent-join hang seen by the mesh-formation bench:
// `npx tsx bench/tools/concurrent-joins.ts <group size> [one-by-one|all-at-once]`
// starts a tracker and <size> Node peer processes, has peer-1 create and join
// a group, then the others join (all at once by default) and prints how long
// each join took and, if the group did not form, every peer's state.
import { BenchContext } from '../lib/context.ts';
import { connectChorus, formGroup, type JoinPattern } from '../lib/node-paths.ts';

/** Long enough for a healthy 16-peer formation on a busy 2-core machine. */
const TIMEOUT_MS = 30_000;

const size = Number(process.argv[2] ?? 3);
const pattern = (process.argv[3] ?? 'all-at-once') as JoinPattern;
if (!Number.isInteger(size) || size < 2 || !['one-by-one', 'all-at-once'].includes(pattern)) {
  console.error('usage: concurrent-joins.ts <group size ≥ 2> [one-by-one|all-at-once]');
  process.exit(2);
}
const ctx = new BenchContext('quick');
try {
  const workers = await ctx.cluster.ensure(size);
  await connectChorus(workers, await ctx.trackerUrl());
  const f = await formGroup(workers, 'fifo', `join-race-${Date.now().toString(36)}`, pattern, TIMEOUT_MS);
  console.log(
    `formed (${pattern}): mesh ready in ${Math.round(f.meshReadyMs)} ms; join → own view per joiner: ${f.joinToViewMs.map((ms) => Math.round(ms)).join(', ')} ms`,
  );
} catch (e) {
  console.log(`did not form (${pattern}): ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
} finally {
  await ctx.close();
}
