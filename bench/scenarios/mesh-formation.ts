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
import { closeFloor, connectChorus, forgetChorus, formGroup, leaveGroup, openFloor } from '../lib/node-paths.ts';
import { checkTarget, putSpread, ScenarioBuilder, type Row, type ScenarioReport, errorText } from '../lib/report.ts';
import { ascending, percentileSorted } from '../lib/stats.ts';
import { wallNowMs, withTimeout } from '../lib/wall-clock.ts';
import { HISTORY_RETRY_MS } from '@chorus/peer';

/** The target: a group of 8 is mesh-ready within 1.5 s. */
const TARGET_SIZE = 8;
const TARGET_MS = 1_500;
/** A peer that does not close its session in this long is stuck; its process is restarted. */
const RESET_TIMEOUT_MS = 5_000;

export const runMeshFormation = async (ctx: BenchContext): Promise<ScenarioReport> => {
  const nodeSizes = ctx.smoke ? [2] : ctx.quick ? [2, 8] : [2, 4, 8, 16];
  const browserSizes = ctx.smoke ? [2] : ctx.quick ? [2, 8] : [2, 4, 8];
  // Everyone joining at the same moment: tried once per size (it is the case that exposes join races).
  const atOnceNode = ctx.smoke ? [] : [8];
  const atOnceBrowser = ctx.smoke || ctx.quick ? [] : [8];
  const atOnceTimeoutMs = ctx.quick ? 8_000 : 15_000;
  const wanted = ctx.smoke ? 1 : ctx.quick ? 2 : 4;
  const b = new ScenarioBuilder(
    'mesh-formation',
    '3. Mesh formation',
    ctx.mode,
    [
      { key: 'where', header: 'peers in', kind: 'text' },
      { key: 'group_size', header: 'group', kind: 'value', digits: 0 },
      { key: 'pattern', header: 'joins', kind: 'text' },
      { key: 'formations', header: 'formations', kind: 'value', digits: 0 },
      { key: 'mesh_ready_ms', header: 'mesh ready ms', kind: 'spread', digits: 0 },
      { key: 'join_to_view_p50_ms', header: 'join → own view (joiner p50)', kind: 'spread', digits: 0 },
      { key: 'join_to_view_max_ms', header: 'join → own view (slowest joiner)', kind: 'spread', digits: 0 },
      {
        key: 'first_message_last_joiner_ms',
        header: 'join → first message (slowest joiner)',
        kind: 'spread',
        digits: 0,
      },
      { key: 'floor_channel_open_ms', header: 'one raw channel opens (baseline)', kind: 'spread', digits: 0 },
    ],
    [
      'One member creates the group and joins alone; then the others join through the real tracker (two-phase join: signaling, data channels to every member, links-ready, view installed, history from a sponsor). "one by one": each calls join() when the previous join() resolved (people arriving in a room); "all at once": every joiner calls join() at the same moment. Mesh ready = first join() call → the moment the last member installed the view with everyone.',
      "join → own view: a joiner's join() call → the first installed view that contains it. join → first message: the creator sends a message every 20 ms from before the joins; the figure is the slowest joiner's join() call → the first of those messages delivered to it (history sync included).",
      'Baseline: the time to open one raw simple-peer data channel between two of the same peers, offer/answer/candidates relayed by the driver (no tracker, no membership), measured in the same run.',
      `Each formation is one sample; spread is min–max over formations (FIFO and total groups alike: the join path is the same). One-by-one groups formed by the latency scenario in the same run are included. An all-at-once formation that does not complete within ${atOnceTimeoutMs / 1000} s is reported with every peer's view of the group.`,
    ],
  );
  let trackerUrl: string;
  try {
    trackerUrl = await ctx.trackerUrl();
  } catch (e) {
    b.failRow({ where: 'node' }, `tracker did not start: ${errorText(e)}`);
    return b.finish();
  }

  const floorOpen = async (drivers: readonly PeerDriver[]): Promise<number[]> => {
    const out: number[] = [];
    const [a, c] = drivers;
    for (let i = 0; i < Math.min(3, wanted) && a !== undefined && c !== undefined; i++) {
      const t0 = wallNowMs();
      await openFloor(a, c);
      out.push(wallNowMs() - t0);
      await closeFloor(a, c);
    }
    return out;
  };

  const oneByOne = async (where: 'node' | 'chromium', drivers: readonly PeerDriver[]): Promise<void> => {
    const size = drivers.length;
    const label: Row = { where, group_size: size, pattern: 'one by one' };
    const problems: string[] = [];
    try {
      await connectChorus(drivers, trackerUrl);
    } catch (e) {
      b.failRow(label, errorText(e));
      return;
    }
    const have = ctx.formations.filter((f) => f.where === where && f.size === size && f.pattern === 'one-by-one');
    // A formation that fails is noted and the next one still tried (up to twice the wanted number of tries).
    for (let i = have.length, tries = 0; i < wanted && tries < 2 * wanted; tries++) {
      const ordering = i % 2 === 0 ? 'fifo' : 'total';
      try {
        const f = await formGroup(drivers, ordering, `form-${where}-${size}-${i}-${Date.now().toString(36)}`);
        ctx.formations.push({ ...f, ordering, where });
        await leaveGroup(drivers, f.groupId);
        i++;
      } catch (e) {
        problems.push(errorText(e));
        await resetPeers(drivers);
        await connectChorus(drivers, trackerUrl).catch(() => undefined);
      }
    }
    const samples = ctx.formations.filter((f) => f.where === where && f.size === size && f.pattern === 'one-by-one');
    if (samples.length === 0) {
      b.failRow(label, problems.join('; ') || 'no formation completed');
      return;
    }
    let floorMs: number[] = [];
    try {
      floorMs = await floorOpen(drivers);
    } catch (e) {
      problems.push(`baseline: ${errorText(e)}`);
    }
    const row = rowFor(label, samples, floorMs);
    if (problems.length > 0) {
      row['problems'] = problems.join('; ');
      b.notes.push(`${where}, ${size}, one by one: ${problems.length} formation(s) failed: ${problems.join('; ')}`);
    }
    b.rows.push(row);
  };

  /** One all-at-once formation; the peers are reset afterwards, since a stuck join may leave them unusable. */
  const allAtOnce = async (where: 'node' | 'chromium', drivers: readonly PeerDriver[]): Promise<void> => {
    const size = drivers.length;
    const label: Row = { where, group_size: size, pattern: 'all at once' };
    try {
      await connectChorus(drivers, trackerUrl);
      const f = await formGroup(
        drivers,
        'fifo',
        `form-once-${where}-${size}-${Date.now().toString(36)}`,
        'all-at-once',
        atOnceTimeoutMs,
      );
      ctx.formations.push({ ...f, ordering: 'fifo', where });
      await leaveGroup(drivers, f.groupId);
      b.rows.push(rowFor(label, [{ ...f, ordering: 'fifo', where }], []));
    } catch (e) {
      b.failRow(label, `did not form within ${atOnceTimeoutMs / 1000} s: ${errorText(e)}`);
      await resetPeers(drivers);
    }
  };

  const workers = await ctx.cluster.ensure(Math.max(...nodeSizes, ...atOnceNode));
  for (const size of nodeSizes) {
    console.log(`  mesh formation: ${size} Node peers, one by one`);
    await oneByOne('node', workers.slice(0, size));
  }
  for (const size of atOnceNode) {
    console.log(`  mesh formation: ${size} Node peers, all at once`);
    await allAtOnce('node', await ctx.cluster.ensure(size));
  }
  for (const size of browserSizes) {
    const pages: PagePeer[] = [];
    try {
      const browser = await ctx.browser();
      for (let i = 0; i < size; i++) pages.push(await browser.newPeer(`form-page-${i + 1}`));
      console.log(`  mesh formation: ${size} Chromium peers, one by one`);
      await oneByOne('chromium', pages);
      if (atOnceBrowser.includes(size)) {
        console.log(`  mesh formation: ${size} Chromium peers, all at once`);
        await allAtOnce('chromium', pages);
      }
    } catch (e) {
      b.failRow({ where: 'chromium', group_size: size }, errorText(e));
    } finally {
      await Promise.all(pages.map((p) => p.close().catch(() => undefined)));
    }
  }
  // A join that took about one history retry longer than usual points at a lost first history request.
  const slow = ctx.formations.filter((f) => f.joinToViewMs.some((ms) => ms >= HISTORY_RETRY_MS * 0.9));
  if (slow.length > 0) {
    b.notes.push(
      `${slow.length} of ${ctx.formations.length} formations had a joiner whose join → own view took ≥ ${HISTORY_RETRY_MS / 1000} s (HISTORY_RETRY_MS): ${slow
        .map(
          (f) =>
            `${f.where} ${f.size} (${f.joinToViewMs
              .filter((ms) => ms >= HISTORY_RETRY_MS * 0.9)
              .map((ms) => Math.round(ms))
              .join(', ')} ms)`,
        )
        .join(
          '; ',
        )} — the joiner's first history request went unanswered and it asked again after the retry timer. These are the max values of the spreads above.`,
    );
  }
  for (const r of b.rows) {
    if (r['group_size'] !== TARGET_SIZE) continue;
    const who = `${r['where'] === 'chromium' ? 'Chromium' : 'Node'}, ${String(r['pattern'])}`;
    // A group that never formed misses the target; there is no figure to print, only the verdict.
    if (r['not_run'] !== undefined)
      b.targets.push({
        ...checkTarget('8 peers mesh-ready ≤ 1.5 s', `${who}: did not form`, null, '<=', TARGET_MS),
        met: false,
      });
    else
      b.targets.push(
        checkTarget(
          '8 peers mesh-ready ≤ 1.5 s',
          `${who}, median of ${String(r['formations'])} (ms)`,
          r['mesh_ready_ms'],
          '<=',
          TARGET_MS,
        ),
      );
  }
  if (nodeSizes.includes(16))
    b.notes.push(
      '16 Node peers: 16 processes on 2 cores; each new member runs ICE/DTLS/SCTP handshakes with every member, so this row is dominated by CPU contention.',
    );
  return b.finish();
};

/** Close each peer's Chorus session (a worker that does not answer is stopped; the pool restarts it). */
const resetPeers = async (drivers: readonly PeerDriver[]): Promise<void> => {
  await Promise.all(
    drivers.map(async (d) => {
      forgetChorus(d);
      try {
        await withTimeout(d.call('chorus-close'), RESET_TIMEOUT_MS, `${d.name} close`);
      } catch {
        if ('stop' in d && typeof d.stop === 'function') await (d as unknown as { stop: () => Promise<void> }).stop();
      }
    }),
  );
};

const rowFor = (label: Row, samples: readonly FormationSample[], floorMs: readonly number[]): Row => {
  const row: Row = { ...label, formations: samples.length };
  putSpread(
    row,
    'mesh_ready_ms',
    samples.map((f) => f.meshReadyMs),
  );
  putSpread(
    row,
    'join_to_view_p50_ms',
    samples.map((f) => percentileSorted(ascending(f.joinToViewMs), 0.5)),
  );
  putSpread(
    row,
    'join_to_view_max_ms',
    samples.map((f) => Math.max(...f.joinToViewMs)),
  );
  putSpread(
    row,
    'first_message_last_joiner_ms',
    samples.map((f) => Math.max(...f.joinToFirstMessageMs)),
  );
  if (floorMs.length > 0) putSpread(row, 'floor_channel_open_ms', floorMs);
  return row;
};
