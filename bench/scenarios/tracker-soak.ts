// Scenario 5's soak row (issue 12): the tracker in its own process with its
// default caps, flooded from several loopback addresses by authenticated
// scripts (group creates until the caps refuse them, metrics and link reports
// for groups they are not in, idle sockets up to the per-address connection
// cap plus one) with the per-session event rate limit lifted, as a script
// with many sockets would spread its events. Measured: an honest client's
// round trip (hello → create → join → a signal to a member) during the flood
// against the same round trip on the same tracker before it; the tracker's
// heap after the flood minus before (both after a forced GC). The test that
// asserts the caps is apps/tracker/test/soak.test.ts.
import type { BenchContext } from '../lib/context.ts';
import { type Column, errorText, putSpread, type Row, type ScenarioBuilder } from '../lib/report.ts';
import { spawnWorker, type Worker } from '../lib/rpc.ts';
import { ratio, spreadOf } from '../lib/stats.ts';

const FLOOD_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const FLOODERS_PER_ADDRESS = 3;
const REPORTS_PER_CREATE = 4;
const IDLE_ADDRESS = '127.0.0.9';
/** The tracker's default (config.ts DEFAULT_MAX_CONNECTIONS_PER_ADDRESS); tracker-host lifts it unless told. */
const CONNECTIONS_PER_ADDRESS = 64;
const LIFTED = { burst: 1e6, perSecond: 1e6 };

export const SOAK_COLUMNS: readonly Column[] = [
  { key: 'rtt_quiet_ms', header: 'honest round trip ms, no flood', kind: 'spread', digits: 1 },
  { key: 'rtt_flood_ms', header: 'honest round trip ms, flood', kind: 'spread', digits: 1 },
  { key: 'rtt_over_quiet', header: 'flood / no flood (p50)', kind: 'spread', digits: 2 },
  { key: 'heap_growth_kib', header: 'tracker heap growth KiB', kind: 'spread', digits: 0 },
  { key: 'groups_held', header: 'groups held', kind: 'spread', digits: 0 },
  { key: 'creates_sent', header: 'creates sent', kind: 'spread', digits: 0 },
  { key: 'creates_refused', header: 'refused too-many', kind: 'spread', digits: 0 },
];

export const SOAK_METHOD = `Soak: the tracker (default caps: 20 groups per key, 100 per address, 10 000 in all, ${CONNECTIONS_PER_ADDRESS} connections per address) alone in its own process, per-session event and password rate limits lifted. Flood process: ${FLOOD_ADDRESSES.length * FLOODERS_PER_ADDRESS} authenticated flooders, ${FLOODERS_PER_ADDRESS} from each of ${FLOOD_ADDRESSES.length} loopback addresses, each creating (and joining) groups in a loop and sending ${REPORTS_PER_CREATE} × (2 metrics reports, one for a group it is not in, and a link report for a made-up group) after each create; ${CONNECTIONS_PER_ADDRESS} idle authenticated sockets that never heartbeat from one more address, plus one refused. Honest process: Bob stays connected; each round a new Alice says hello, creates a group, joins it, Bob joins, Alice signals Bob; the round trip ends when Bob receives the signal. Baseline: the same rounds on the same tracker before the flood starts. Heap: the tracker's heapUsed after two forced GCs, after the flood (flooders and idle sockets still connected; groups held include the honest rounds' own) minus before it, the before read once the baseline rounds are done.`;

interface FloodCounts {
  creates: number;
  accepted: number;
  tooMany: number;
  reports: number;
  flooders: number;
}

export const measureSoak = async (ctx: BenchContext, b: ScenarioBuilder): Promise<void> => {
  const rounds = ctx.smoke ? 3 : 10;
  const runs = ctx.smoke || ctx.quick ? 1 : 2;
  const label: Row = {
    table: 'soak',
    measure: 'honest round trip under a capped flood',
    clients: FLOOD_ADDRESSES.length * FLOODERS_PER_ADDRESS + CONNECTIONS_PER_ADDRESS,
  };
  const per = { quiet: [] as number[], flood: [] as number[], ratio: [] as number[], heap: [] as number[] };
  const held: number[] = [];
  const sent: number[] = [];
  const refused: number[] = [];
  let problem: string | null = null;
  console.log('  tracker soak');
  for (let run = 1; run <= runs && problem === null; run++) {
    const workers: Worker[] = [];
    try {
      const tracker = spawnWorker('tracker-soak', 'tracker-host.ts', { nodeArgs: ['--expose-gc'] });
      const honest = spawnWorker('soak-honest', 'tracker-flood.ts');
      const flood = spawnWorker('soak-flood', 'tracker-flood.ts');
      workers.push(tracker, honest, flood);
      const { url } = await tracker.call<{ url: string }>('start', {
        overrides: {
          eventRateLimit: LIFTED,
          passwordRateLimit: LIFTED,
          maxConnectionsPerAddress: CONNECTIONS_PER_ADDRESS,
        },
      });
      await honest.call('honest-setup', { url });
      const quiet: number[] = [];
      for (let i = 0; i < rounds; i++)
        quiet.push(await honest.call<number>('round-trip', { url, tag: `q${run}-${i}` }));
      const before = await tracker.call<{ heapUsed: number }>('mem');
      await flood.call('flood-start', {
        url,
        addresses: FLOOD_ADDRESSES,
        perAddress: FLOODERS_PER_ADDRESS,
        reportsPerCreate: REPORTS_PER_CREATE,
      });
      const idle = await flood.call<{ opened: number; extra: string }>('idle-open', {
        url,
        localAddress: IDLE_ADDRESS,
        count: CONNECTIONS_PER_ADDRESS,
      });
      if (idle.extra !== 'too-many') problem = `the socket past the connection cap was told "${idle.extra}"`;
      const flooded: number[] = [];
      for (let i = 0; i < rounds; i++)
        flooded.push(await honest.call<number>('round-trip', { url, tag: `f${run}-${i}` }));
      const counts = await flood.call<FloodCounts>('flood-stop');
      const after = await tracker.call<{ heapUsed: number }>('mem');
      const stats = (await (await fetch(`${url}/api/stats`)).json()) as { groups: number };
      per.quiet.push(spreadOf(quiet).median);
      per.flood.push(spreadOf(flooded).median);
      per.ratio.push(ratio(spreadOf(flooded).median, spreadOf(quiet).median));
      per.heap.push((after.heapUsed - before.heapUsed) / 1024);
      held.push(stats.groups);
      sent.push(counts.creates);
      refused.push(counts.tooMany);
      b.notes.push(
        `Soak run ${run}: ${counts.flooders} flooders sent ${counts.creates} creates (${counts.accepted} accepted, ${counts.tooMany} refused too-many) and ${counts.reports} reports; the tracker held ${stats.groups} groups; honest round trips ${quiet.map((x) => x.toFixed(0)).join(', ')} ms before, ${flooded.map((x) => x.toFixed(0)).join(', ')} ms during the flood.`,
      );
    } catch (e) {
      problem = errorText(e);
    } finally {
      await Promise.all(
        workers.filter((w) => w.name !== 'tracker-soak').map((w) => w.call('close').catch(() => undefined)),
      );
      await Promise.all(workers.map((w) => w.stop()));
    }
  }
  if (per.quiet.length === 0) {
    b.failRow(label, problem ?? 'no run completed');
    return;
  }
  const row: Row = { ...label };
  putSpread(row, 'rtt_quiet_ms', per.quiet);
  putSpread(row, 'rtt_flood_ms', per.flood);
  putSpread(row, 'rtt_over_quiet', per.ratio);
  putSpread(row, 'heap_growth_kib', per.heap);
  putSpread(row, 'groups_held', held);
  putSpread(row, 'creates_sent', sent);
  putSpread(row, 'creates_refused', refused);
  if (problem !== null) row['problems'] = problem;
  b.rows.push(row);
};
