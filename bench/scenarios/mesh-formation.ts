// Scenario 3: how long a group takes to become a fully connected mesh. One
// member creates the group, the others call join() at the same moment; we
// time join() → the last member's installed view with everyone (mesh
// ready), each joiner's join() → its installed view, and join() → the first
// message delivered to it (the creator sends one every 20 ms). Groups
// formed by the latency scenario are counted here too (same procedure).
// Baseline: opening one raw data channel between two of the same peers
// (signaling through the driver, no tracker): the floor of any join.
import type { BenchContext, FormationSample } from '../lib/context.ts';
import type { PagePeer, PeerDriver } from '../lib/browser.ts';
import { closeFloor, connectChorus, formGroup, leaveGroup, openFloor } from '../lib/node-paths.ts';
import { checkTarget, putSpread, ScenarioBuilder, type Row, type ScenarioReport, errorText } from '../lib/report.ts';
import { ascending, percentileSorted } from '../lib/stats.ts';
import { wallNowMs } from '../lib/wall-clock.ts';

/** The target: a group of 8 is mesh-ready within 1.5 s. */
const TARGET_SIZE = 8;
const TARGET_MS = 1_500;

export const runMeshFormation = async (ctx: BenchContext): Promise<ScenarioReport> => {
  const nodeSizes = ctx.smoke ? [2] : ctx.quick ? [2, 8] : [2, 4, 8, 16];
  const browserSizes = ctx.smoke ? [2] : ctx.quick ? [2, 8] : [2, 4, 8];
  const wanted = ctx.smoke ? 1 : ctx.quick ? 2 : 4;
  const b = new ScenarioBuilder('mesh-formation', '3. Mesh formation', ctx.mode, [
    { key: 'where', header: 'peers in', kind: 'text' },
    { key: 'group_size', header: 'group', kind: 'value', digits: 0 },
    { key: 'formations', header: 'formations', kind: 'value', digits: 0 },
    { key: 'mesh_ready_ms', header: 'mesh ready ms', kind: 'spread', digits: 0 },
    { key: 'join_to_view_p50_ms', header: 'join → view (joiner p50)', kind: 'spread', digits: 0 },
    { key: 'first_message_last_joiner_ms', header: 'join → first message (last joiner)', kind: 'spread', digits: 0 },
    { key: 'floor_channel_open_ms', header: 'one raw channel opens (baseline)', kind: 'spread', digits: 0 },
  ], [
    'One member creates the group and joins alone; the others call join() at once through the real tracker (two-phase join: signaling, data channels to every member, links-ready, view installed). Mesh ready = first join() call → the moment the last member installed the view with everyone.',
    'join → first message: the creator sends a message every 20 ms from before the joins; the figure is the slowest joiner\'s join() call → the first of those messages delivered to it (a joiner may get its first one through history sync, just before its view event).',
    'Baseline: the time to open one raw simple-peer data channel between two of the same peers, offer/answer/candidates relayed by the driver (no tracker, no membership), measured in the same run.',
    'Each formation is one sample; spread is min–max over formations (FIFO and total groups alike: the join path is the same).',
  ]);
  let trackerUrl: string;
  try {
    trackerUrl = await ctx.trackerUrl();
  } catch (e) {
    b.failRow({ where: 'node' }, `tracker did not start: ${errorText(e)}`);
    return b.finish();
  }

  const measureFor = async (where: 'node' | 'chromium', drivers: readonly PeerDriver[]): Promise<void> => {
    const size = drivers.length;
    const have = ctx.formations.filter((f) => f.where === where && f.size === size);
    const floorMs: number[] = [];
    try {
      await connectChorus(drivers, trackerUrl);
      for (let i = have.length; i < wanted; i++) {
        const ordering = i % 2 === 0 ? 'fifo' : 'total';
        const f = await formGroup(drivers, ordering, `form-${where}-${size}-${i}-${Date.now().toString(36)}`);
        ctx.formations.push({ ...f, ordering, where });
        await leaveGroup(drivers, f.groupId);
      }
      const [a, c] = drivers;
      for (let i = 0; i < Math.min(3, wanted) && a !== undefined && c !== undefined; i++) {
        const t0 = wallNowMs();
        await openFloor(a, c);
        floorMs.push(wallNowMs() - t0);
        await closeFloor(a, c);
      }
    } catch (e) {
      b.failRow({ where, group_size: size }, errorText(e));
      return;
    }
    const samples = ctx.formations.filter((f) => f.where === where && f.size === size);
    b.rows.push(rowFor(where, size, samples, floorMs));
  };

  const workers = await ctx.cluster.ensure(Math.max(...nodeSizes));
  for (const size of nodeSizes) {
    console.log(`  mesh formation: ${size} Node peers`);
    await measureFor('node', workers.slice(0, size));
  }
  for (const size of browserSizes) {
    console.log(`  mesh formation: ${size} Chromium peers`);
    const pages: PagePeer[] = [];
    try {
      const browser = await ctx.browser();
      for (let i = 0; i < size; i++) pages.push(await browser.newPeer(`form-page-${i + 1}`));
      await measureFor('chromium', pages);
    } catch (e) {
      b.failRow({ where: 'chromium', group_size: size }, errorText(e));
    } finally {
      await Promise.all(pages.map((p) => p.close().catch(() => undefined)));
    }
  }
  for (const r of b.rows) {
    if (r['group_size'] !== TARGET_SIZE || r['not_run'] !== undefined) continue;
    b.targets.push(checkTarget('8 peers mesh-ready ≤ 1.5 s', `${r['where'] === 'chromium' ? 'Chromium' : 'Node'}, median of ${String(r['formations'])} formations (ms)`, r['mesh_ready_ms'], '<=', TARGET_MS));
  }
  if (nodeSizes.includes(16)) b.notes.push('16 Node peers: 16 processes on 2 cores; each joiner runs 15 ICE/DTLS/SCTP handshakes at once, so this row is dominated by CPU contention.');
  return b.finish();
};

const rowFor = (where: string, size: number, samples: readonly FormationSample[], floorMs: readonly number[]): Row => {
  const row: Row = { where, group_size: size, formations: samples.length };
  putSpread(row, 'mesh_ready_ms', samples.map((f) => f.meshReadyMs));
  putSpread(row, 'join_to_view_p50_ms', samples.map((f) => percentileSorted(ascending(f.joinToViewMs), 0.5)));
  putSpread(row, 'first_message_last_joiner_ms', samples.map((f) => Math.max(...f.joinToFirstMessageMs)));
  putSpread(row, 'floor_channel_open_ms', floorMs);
  return row;
};
