// Scenario 1: one-way delivery latency (p50, p99) for groups of 2–16 Node
// peers, each in its own process, over four paths measured in the same run
// and on the same processes: a single raw data channel (the floor), a
// Socket.IO broadcast server (the server-relay baseline), Chorus FIFO and
// Chorus total order (ISIS).
import type { BenchContext } from '../lib/context.ts';
import { runGroupLoad } from '../lib/group-load.ts';
import type { LoadOutcome, LoadPlan } from '../lib/load.ts';
import {
  closeFloor,
  closeRawMesh,
  connectChorus,
  formGroup,
  joinRelay,
  leaveGroup,
  leaveRelay,
  openFloor,
  openRawMesh,
} from '../lib/node-paths.ts';
import { checkTarget, putSpread, ScenarioBuilder, type Row, type ScenarioReport, errorText } from '../lib/report.ts';
import type { Worker } from '../lib/rpc.ts';
import { CHROMIUM_PATH, type PagePeer, type PeerDriver } from '../lib/browser.ts';
import { latencySummary, percentile, ratio } from '../lib/stats.ts';
import type { PathTimes } from '../lib/timing-transport.ts';
import { ed25519CostMs } from '../lib/crypto-cost.ts';
import { startCpuWindow } from '../lib/cpu-meter.ts';
import { checkClocks } from '../lib/clock-check.ts';

/**
 * Aggregate offered rate of the whole group: a lively chat (Slack's busiest
 * channels see a few messages per second), well below any saturation, so the
 * figure is the path's latency and not a queue's.
 */
const DEFAULT_GROUP_RATE_PER_SEC = 50;
/**
 * BENCH_LATENCY_RATE=800: the same runs at another offered rate, to count CPU, frames and channel
 * messages per message where the throughput ladder fails (a turn then carries many messages).
 */
const GROUP_RATE_PER_SEC = ((): number => {
  const r = Number(process.env['BENCH_LATENCY_RATE']);
  return Number.isFinite(r) && r > 0 ? r : DEFAULT_GROUP_RATE_PER_SEC;
})();
/** Samples stamped in the first part of a run are not timed: JIT warm-up, first SCTP window. */
const WARMUP_MS = 500;
/** After the last send, every receiver must have everything within this. */
const DRAIN_MS = 20_000;
/** BENCH_LOAD_PROFILE=/tmp/dir: every Node peer writes a CPU profile of each Chorus load window there. */
const LOAD_PROFILE_DIR = process.env['BENCH_LOAD_PROFILE'];
/** After each Chorus load window the peers' idle CPU is measured over this long and taken off their CPU per message. */
const IDLE_WINDOW_MS = 1_000;
/** The browser row: 8 pages, the group size of the mesh-ready target. */
const BROWSER_GROUP = 8;

interface Plan {
  readonly sizes: readonly number[];
  readonly runs: number;
  readonly durationMs: number;
}

/** BENCH_LATENCY_SIZES=4,8 overrides the group sizes (for looking into one size without a full run). */
const sizesOverride = process.env['BENCH_LATENCY_SIZES']
  ?.split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n >= 2);

const plan = (ctx: BenchContext): Plan => {
  const base = basePlan(ctx);
  return sizesOverride !== undefined && sizesOverride.length > 0 ? { ...base, sizes: sizesOverride } : base;
};

const basePlan = (ctx: BenchContext): Plan =>
  ctx.smoke
    ? { sizes: [2], runs: 1, durationMs: 1_000 }
    : ctx.quick
      ? { sizes: [2, 8], runs: 2, durationMs: 1_000 }
      : { sizes: [2, 4, 8, 16], runs: 3, durationMs: 2_000 };

type PathName = 'floor' | 'mesh' | 'relay' | 'fifo' | 'total';

/** Frames by kind and data-channel messages per message sent, per Chorus load window (Node), for the notes. */
const wireCounts: string[] = [];
/** Clock-agreement lines collected per group for the notes. */
const clocks: string[] = [];

export const runLatency = async (ctx: BenchContext): Promise<ScenarioReport> => {
  const p = plan(ctx);
  const b = new ScenarioBuilder(
    'latency',
    '1. Delivery latency',
    ctx.mode,
    [
      { key: 'where', header: 'peers in', kind: 'text' },
      { key: 'group_size', header: 'group', kind: 'value', digits: 0 },
      { key: 'floor_p50_ms', header: 'floor p50 ms', kind: 'spread', digits: 2 },
      { key: 'floor_p99_ms', header: 'floor p99', kind: 'spread', digits: 2 },
      { key: 'raw_mesh_p50_ms', header: 'raw mesh p50', kind: 'spread', digits: 2 },
      { key: 'raw_mesh_p99_ms', header: 'raw mesh p99', kind: 'spread', digits: 2 },
      { key: 'relay_p50_ms', header: 'relay p50', kind: 'spread', digits: 2 },
      { key: 'relay_p99_ms', header: 'relay p99', kind: 'spread', digits: 2 },
      { key: 'fifo_p50_ms', header: 'FIFO p50', kind: 'spread', digits: 2 },
      { key: 'fifo_p99_ms', header: 'FIFO p99', kind: 'spread', digits: 2 },
      { key: 'total_p50_ms', header: 'total p50', kind: 'spread', digits: 2 },
      { key: 'total_p99_ms', header: 'total p99', kind: 'spread', digits: 2 },
      { key: 'total_over_floor_p50', header: 'total/floor p50', kind: 'spread', digits: 2 },
      { key: 'fifo_over_floor_p50', header: 'FIFO/floor p50', kind: 'spread', digits: 2 },
      { key: 'fifo_over_relay_p50', header: 'FIFO/relay p50', kind: 'spread', digits: 2 },
      { key: 'fifo_over_relay_p99', header: 'FIFO/relay p99', kind: 'spread', digits: 2 },
      { key: 'fifo_over_raw_mesh_p50', header: 'FIFO/raw mesh p50', kind: 'spread', digits: 2 },
      { key: 'fifo_send_path_p50_ms', header: 'FIFO sender path p50', kind: 'spread', digits: 2 },
      { key: 'fifo_wire_p50_ms', header: 'FIFO mesh to mesh p50', kind: 'spread', digits: 2 },
      { key: 'fifo_receive_path_p50_ms', header: 'FIFO receiver path p50', kind: 'spread', digits: 2 },
      { key: 'total_send_path_p50_ms', header: 'total sender path p50', kind: 'spread', digits: 2 },
      { key: 'total_wire_p50_ms', header: 'total mesh to mesh p50', kind: 'spread', digits: 2 },
      { key: 'total_receive_path_p50_ms', header: 'total receiver path p50', kind: 'spread', digits: 2 },
      { key: 'floor_cpu_ms_per_msg', header: 'floor CPU ms per message', kind: 'spread', digits: 2 },
      { key: 'fifo_cpu_ms_per_msg', header: 'FIFO peer CPU ms per message', kind: 'spread', digits: 2 },
      { key: 'total_cpu_ms_per_msg', header: 'total peer CPU ms per message', kind: 'spread', digits: 2 },
      { key: 'fifo_channel_msgs_per_msg', header: 'FIFO channel messages per message', kind: 'spread', digits: 1 },
      { key: 'total_channel_msgs_per_msg', header: 'total channel messages per message', kind: 'spread', digits: 1 },
      { key: 'chorus_peers_cpu_cores', header: 'peer CPU (cores)', kind: 'spread', digits: 2 },
      { key: 'machine_busy_share', header: 'machine busy', kind: 'spread', digits: 2 },
    ],
    [
      `Every peer is its own Node ${process.version} process with @roamhq/wrtc; the driver only coordinates. One-way latency = receive time − send stamp, both read as performance.timeOrigin + performance.now(), which all processes on one host share (the wall clock at process start plus a monotonic offset).`,
      `Offered load: ${GROUP_RATE_PER_SEC} messages/s for the whole group, split evenly over the members, ${p.durationMs / 1000} s per run, ${p.runs} run(s) per path and size${p.sizes.includes(16) ? ' (2 for 16 peers, 1 for the Chromium row in the quick set)' : ctx.quick ? ' (1 for the Chromium row)' : ''}; ${WARMUP_MS} ms warm-up not timed. Body ${120} bytes. Every member receives every other member's messages; latencies of all receivers are pooled per run.`,
      'Paths, measured in the same run on the same processes: floor = one raw simple-peer data channel between two of the processes (one sender); relay = the same messages through a Socket.IO server that broadcasts to the room (a server-based chat, websocket only, no persistence); FIFO and total = Chorus groups (signed DATA, parser, engine, store) created fresh for each run.',
      'Raw mesh (groups of more than 2, full set only, a diagnostic beside the floor): the same group load over a full mesh of plain simple-peer channels between the same peers, no Chorus code on the path — it separates what many channels per process cost (the transport) from what Chorus adds.',
      "Second table, where a Chorus message spends its time (p50 of each stretch, pooled over receivers, per run): sender path = send() called → the signed DATA handed to the mesh (signing, engine, queue); mesh to mesh = handed to the sender's mesh → out of the receiver's mesh, parsed (encoding, chunking, the data channel, parsing; computed as p50(stamp → arrival) − p50(sender path)); receiver path = out of the mesh → delivered to the app (signature check, engine, hold-back for order; for total order this includes waiting for PROPOSE/FINAL). Timed by a pass-through around the peer's own WebRTC mesh (bench/lib/timing-transport.ts).",
      'Figures are the median over runs with min–max in brackets; ratios are computed per run (same run, same load) and then summarized.',
      `CPU per message: the CPU time (user + system) all Node peer processes used from just before a Chorus load window to its last delivery, less what the same processes use idle over as long (measured for ${IDLE_WINDOW_MS / 1000} s right after), divided by the messages sent in it — what one message costs the whole group (every hop, signature, engine step and data-channel call); for the floor, the two processes of the raw channel per message sent on it, so the difference is what Chorus adds. A busy machine stretches latency far more than this figure.`,
      'Contention: "peer CPU" is the CPU the Node peer processes used during the Chorus load windows, in cores (the machine has 2); "machine busy" is the share of all cores busy over those windows from /proc/stat, whoever used them (other jobs on a shared machine included).',
    ],
  );

  let workers: Worker[];
  let trackerUrl: string;
  let relayUrl: string;
  try {
    workers = await ctx.cluster.ensure(Math.max(...p.sizes));
    relayUrl = await ctx.relayUrl();
  } catch (e) {
    b.failRow({ where: 'node' }, `could not start worker processes or the relay: ${msg(e)}`);
    return b.finish();
  }
  let chorusError: string | null = null;
  try {
    trackerUrl = await ctx.trackerUrl();
  } catch (e) {
    chorusError = `tracker did not start: ${msg(e)}`;
    trackerUrl = '';
  }

  const breakdowns: Row[] = [];
  for (const size of p.sizes) {
    console.log(`  latency: ${size} Node peers`);
    // 16 processes take the longest per run on 2 cores: two runs there keep the full set in its window.
    const r = await measureGroup(
      ctx,
      workers.slice(0, size),
      'node',
      size >= 16 ? { ...p, runs: Math.min(p.runs, 2) } : p,
      relayUrl,
      trackerUrl,
      chorusError,
    );
    chorusError = r.chorusError;
    b.rows.push(r.row);
    breakdowns.push(r.breakdown);
    if (r.problems.length > 0) b.notes.push(`Node, ${size} peers: ${r.problems.join('; ')}`);
  }
  // One row in headless Chromium: 8 pages, each its own browser context (own IndexedDB).
  if (!ctx.smoke || process.env['BENCH_SMOKE_BROWSER'] === '1') {
    const size = ctx.smoke ? 2 : BROWSER_GROUP;
    console.log(`  latency: ${size} Chromium peers`);
    const pages: PagePeer[] = [];
    try {
      const browser = await ctx.browser();
      for (let i = 0; i < size; i++) pages.push(await browser.newPeer(`page-${i + 1}`));
      b.notes.push(
        `Chromium ${browser.version} (headless, ${CHROMIUM_PATH}), one browser context per peer; pages ${browser.isolated ? 'cross-origin isolated (5 µs timers)' : 'NOT cross-origin isolated (timers clamped to 100 µs or coarser)'}.`,
      );
      // One run in the quick set: eight pages are the costliest row there.
      const r = await measureGroup(
        ctx,
        pages,
        'chromium',
        ctx.quick ? { ...p, runs: 1 } : p,
        relayUrl,
        trackerUrl,
        chorusError,
      );
      b.rows.push(r.row);
      breakdowns.push(r.breakdown);
      if (r.problems.length > 0) b.notes.push(`Chromium, ${size} peers: ${r.problems.join('; ')}`);
    } catch (e) {
      b.failRow({ where: 'chromium', group_size: size }, `Chromium peers: ${msg(e)}`);
    } finally {
      await Promise.all(pages.map((pg) => pg.close().catch(() => undefined)));
    }
  }
  if (chorusError !== null) b.notes.push(`FIFO/total not run: ${chorusError}`);
  if (wireCounts.length > 0)
    b.notes.push(
      `Per message sent, all Node peers together (frames handed to the mesh, one per link; data-channel messages written, a batch being one): ${wireCounts.join('; ')}.`,
    );
  if (clocks.length > 0)
    b.notes.push(
      `Clock agreement (each peer's timeOrigin + now() against the driver's, offset known to ± half the IPC/page round trip): ${clocks.join('; ')}.`,
    );
  try {
    const c = await ed25519CostMs();
    b.facts['ed25519_sign_ms'] = c.sign;
    b.facts['ed25519_verify_ms'] = c.verify;
    b.notes.push(
      `Ed25519 through WebCrypto in Node on this machine, same run: sign ${c.sign.toFixed(3)} ms, verify ${c.verify.toFixed(3)} ms per message (every DATA is signed once and verified by every receiver).`,
    );
  } catch (e) {
    b.notes.push(`Ed25519 cost not measured: ${msg(e)}`);
  }
  // The breakdown is a second table under the main one.
  b.rows.push(...breakdowns);
  // Every group size is checked: a target met only by the smallest, least contended group would flatter.
  for (const r of b.rows) {
    if (r['not_run'] !== undefined || r['table'] === 'breakdown') continue;
    const label = `${r['where'] === 'chromium' ? 'Chromium' : 'Node'}, ${String(r['group_size'])} peers`;
    b.targets.push(checkTarget('total/floor ≤ 3.5 at p50', label, r['total_over_floor_p50'], '<=', 3.5));
    b.targets.push(checkTarget('fifo/relay < 1 at p50', label, r['fifo_over_relay_p50'], '<', 1));
  }
  if (p.sizes.includes(16)) {
    b.notes.push(
      '16 peers = 16 processes plus the tracker and the relay server on 2 cores: every receiver competes for CPU with 15 others, so the 16-peer figures include run-queue waiting; they show CPU contention on this machine as much as the protocol.',
    );
  }
  return b.finish();
};

interface GroupOutcome {
  readonly row: Row;
  readonly breakdown: Row;
  readonly problems: string[];
  readonly chorusError: string | null;
}

/** All four paths over one set of peers, `runs` times, interleaved so drift hits every path alike. */
const measureGroup = async (
  ctx: BenchContext,
  group: readonly PeerDriver[],
  where: 'node' | 'chromium',
  p: Plan,
  relayUrl: string,
  trackerUrl: string,
  chorusErrorIn: string | null,
): Promise<GroupOutcome> => {
  let chorusError = chorusErrorIn;
  const size = group.length;
  const perRun: Record<PathName, { p50: number[]; p99: number[] }> = {
    floor: { p50: [], p99: [] },
    mesh: { p50: [], p99: [] },
    relay: { p50: [], p99: [] },
    fifo: { p50: [], p99: [] },
    total: { p50: [], p99: [] },
  };
  const ratios = {
    fifoMesh: [] as number[],
    totalFloor: [] as number[],
    fifoFloor: [] as number[],
    fifoRelay50: [] as number[],
    fifoRelay99: [] as number[],
  };
  const problems: string[] = [];
  /**
   * Over the Chorus load windows: cores the peer processes used, and the machine's busy share (everything, other jobs
   * included).
   */
  const cpu = { peers: [] as number[], machine: [] as number[] };
  /** Per run, p50 of each stretch of a Chorus message's way (timing-transport.ts). */
  const split = {
    fifo: { send: [] as number[], wire: [] as number[], receive: [] as number[] },
    total: { send: [] as number[], wire: [] as number[], receive: [] as number[] },
  };
  /** Per run, CPU ms all Node peer processes used over the load window per message sent (to every other member). */
  const cpuPerMessage = { fifo: [] as number[], total: [] as number[] };
  /** The same for the floor: the two processes of the raw channel, per message sent on it. */
  const floorCpu: number[] = [];
  /** Per run, data-channel messages all Node peers wrote over the load window per message sent. */
  const channelPerMessage = { fifo: [] as number[], total: [] as number[] };
  try {
    const c = await checkClocks(group);
    clocks.push(`${where} ${size}: max |offset| ${c.maxOffsetMs.toFixed(3)} ms ± ${c.boundMs.toFixed(3)} ms`);
  } catch (e) {
    problems.push(`clock check: ${msg(e)}`);
  }
  try {
    await joinRelay(group, relayUrl, `lat-${where}-${size}`);
  } catch (e) {
    problems.push(`relay: ${msg(e)}`);
  }
  if (chorusError === null) {
    try {
      await connectChorus(group, trackerUrl);
    } catch (e) {
      chorusError = `Chorus peers could not connect: ${msg(e)}`;
    }
  }
  for (let run = 1; run <= p.runs; run++) {
    const got: Partial<Record<PathName, { p50: number; p99: number }>> = {};
    const measure = async (path: PathName, fn: () => Promise<{ p50: number; p99: number }>): Promise<void> => {
      try {
        const r = await fn();
        got[path] = r;
        perRun[path].p50.push(r.p50);
        perRun[path].p99.push(r.p99);
      } catch (e) {
        problems.push(`${path} run ${run}: ${msg(e)}`);
      }
    };
    const [a, bw] = group;
    if (a !== undefined && bw !== undefined) {
      await measure('floor', async () => {
        await openFloor(a, bw);
        try {
          const cpuBefore = where === 'node' ? await cpuTotal([a, bw]) : 0;
          const windowStart = performance.now();
          const outcome = await runGroupLoad({
            tag: `floor-${where}-${size}-${run}`,
            workers: [a, bw],
            senders: [a],
            ratePerSec: GROUP_RATE_PER_SEC,
            durationMs: p.durationMs,
            warmupMs: WARMUP_MS,
            drainMs: DRAIN_MS,
            send: (w, plan) => w.call<LoadOutcome>('floor-load', plan),
          });
          const sent = outcome.expected; // one receiver: one delivery per message sent
          if (where === 'node' && sent > 0) floorCpu.push((await busyCpuMs([a, bw], cpuBefore, windowStart)) / sent);
          return summarizeLoad(outcome);
        } finally {
          await closeFloor(a, bw);
        }
      });
    }
    if (size > 2 && !ctx.quick) {
      await measure('mesh', async () => {
        await openRawMesh(group);
        try {
          return summarizeLoad(
            await runGroupLoad({
              tag: `mesh-${where}-${size}-${run}`,
              workers: group,
              ratePerSec: GROUP_RATE_PER_SEC,
              durationMs: p.durationMs,
              warmupMs: WARMUP_MS,
              drainMs: DRAIN_MS,
              send: (w, plan) => w.call<LoadOutcome>('mesh-load', plan),
            }),
          );
        } finally {
          await closeRawMesh(group);
        }
      });
    }
    await measure('relay', async () =>
      summarizeLoad(
        await runGroupLoad({
          tag: `relay-${where}-${size}-${run}`,
          workers: group,
          ratePerSec: GROUP_RATE_PER_SEC,
          durationMs: p.durationMs,
          warmupMs: WARMUP_MS,
          drainMs: DRAIN_MS,
          send: (w, plan) => w.call<LoadOutcome>('relay-load', plan),
        }),
      ),
    );
    for (const ordering of ['fifo', 'total'] as const) {
      if (chorusError !== null) break;
      await measure(ordering, async () => {
        const name = `lat-${where}-${ordering}-${size}-${run}-${Date.now().toString(36)}`;
        const f = await formGroup(group, ordering, name);
        ctx.formations.push({ ...f, ordering, where });
        try {
          const profiled = where === 'node' && LOAD_PROFILE_DIR !== undefined;
          if (profiled) await Promise.all(group.map((w) => w.call('profile-start')));
          if (where === 'node') await Promise.all(group.map((w) => w.call('cpu')));
          if (where === 'node') await Promise.all(group.map((w) => w.call('wire-counts')));
          const cpuBefore = where === 'node' ? await cpuTotal(group) : 0;
          const windowStart = performance.now();
          const machine = startCpuWindow();
          let sentCount = 0;
          const result = summarizeLoad(
            await runGroupLoad({
              tag: name,
              workers: group,
              ratePerSec: GROUP_RATE_PER_SEC,
              durationMs: p.durationMs,
              warmupMs: WARMUP_MS,
              drainMs: DRAIN_MS,
              send: async (w, plan: LoadPlan) => {
                const o = await w.call<LoadOutcome>('chorus-load', { groupId: f.groupId, plan });
                sentCount += o.sent;
                return o;
              },
            }),
          );
          cpu.machine.push(machine());
          if (where === 'node' && sentCount > 0) {
            const busy = await busyCpuMs(group, cpuBefore, windowStart);
            const counts = await Promise.all(group.map((w) => w.call<WireCounts>('wire-counts')));
            const frames: Record<string, number> = {};
            for (const c of counts) for (const [t, n] of Object.entries(c.frames)) frames[t] = (frames[t] ?? 0) + n;
            const messages = counts.reduce((a, c) => a + (c.messages ?? 0), 0) / sentCount;
            channelPerMessage[ordering].push(messages);
            const kinds = Object.entries(frames)
              .sort((x, y) => y[1] - x[1])
              .map(([t, n]) => `${t} ${(n / sentCount).toFixed(2)}`);
            wireCounts.push(
              `${size} peers ${ordering} run ${run}: ${messages.toFixed(1)} channel messages, frames ${kinds.join(', ')}`,
            );
            cpuPerMessage[ordering].push(busy / sentCount);
          }
          if (profiled)
            await Promise.all(
              group.map((w) => w.call('profile-stop', { file: `${LOAD_PROFILE_DIR}/${name}-${w.name}.cpuprofile` })),
            );
          const times = await Promise.all(group.map((w) => w.call<PathTimes>('timing-take', { tag: name })));
          const pooled = (k: keyof PathTimes): number[] => times.flatMap((t) => t[k]);
          const sendP50 = percentile(pooled('sendPath'), 0.5);
          split[ordering].send.push(sendP50);
          split[ordering].wire.push(percentile(pooled('toArrival'), 0.5) - sendP50);
          split[ordering].receive.push(percentile(pooled('receivePath'), 0.5));
          if (where === 'node')
            cpu.peers.push((await Promise.all(group.map((w) => w.call<number>('cpu')))).reduce((a, c) => a + c, 0));
          return result;
        } finally {
          await leaveGroup(group, f.groupId);
        }
      });
    }
    const fl = got.floor;
    const re = got.relay;
    const fi = got.fifo;
    const to = got.total;
    if (to !== undefined && fl !== undefined) ratios.totalFloor.push(ratio(to.p50, fl.p50));
    if (fi !== undefined && fl !== undefined) ratios.fifoFloor.push(ratio(fi.p50, fl.p50));
    if (fi !== undefined && got.mesh !== undefined) ratios.fifoMesh.push(ratio(fi.p50, got.mesh.p50));
    if (fi !== undefined && re !== undefined) {
      ratios.fifoRelay50.push(ratio(fi.p50, re.p50));
      ratios.fifoRelay99.push(ratio(fi.p99, re.p99));
    }
  }
  await leaveRelay(group).catch(() => undefined);
  const row: Row = { where, group_size: size };
  for (const path of ['floor', 'relay', 'fifo', 'total'] as const) {
    putSpread(row, `${path}_p50_ms`, perRun[path].p50);
    putSpread(row, `${path}_p99_ms`, perRun[path].p99);
  }
  if (perRun.mesh.p50.length > 0) {
    putSpread(row, 'raw_mesh_p50_ms', perRun.mesh.p50);
    putSpread(row, 'raw_mesh_p99_ms', perRun.mesh.p99);
    putSpread(row, 'fifo_over_raw_mesh_p50', ratios.fifoMesh);
  }
  putSpread(row, 'total_over_floor_p50', ratios.totalFloor);
  putSpread(row, 'fifo_over_floor_p50', ratios.fifoFloor);
  putSpread(row, 'fifo_over_relay_p50', ratios.fifoRelay50);
  putSpread(row, 'fifo_over_relay_p99', ratios.fifoRelay99);
  putSpread(row, 'chorus_peers_cpu_cores', cpu.peers);
  putSpread(row, 'machine_busy_share', cpu.machine);
  if (chorusError !== null) row['chorus_not_run'] = chorusError;
  if (problems.length > 0) row['problems'] = problems.join('; ');
  const breakdown: Row = { table: 'breakdown', where, group_size: size };
  for (const ordering of ['fifo', 'total'] as const) {
    putSpread(breakdown, `${ordering}_send_path_p50_ms`, split[ordering].send);
    putSpread(breakdown, `${ordering}_wire_p50_ms`, split[ordering].wire);
    putSpread(breakdown, `${ordering}_receive_path_p50_ms`, split[ordering].receive);
    putSpread(breakdown, `${ordering}_cpu_ms_per_msg`, cpuPerMessage[ordering]);
    putSpread(breakdown, `${ordering}_channel_msgs_per_msg`, channelPerMessage[ordering]);
  }
  putSpread(breakdown, 'floor_cpu_ms_per_msg', floorCpu);
  return { row, breakdown, problems, chorusError };
};

const cpuTotal = async (workers: readonly PeerDriver[]): Promise<number> =>
  (await Promise.all(workers.map((w) => w.call<number>('cpu-ms')))).reduce((a, c) => a + c, 0);

/**
 * CPU ms the workers used since `before` (a `cpuTotal`, taken at `startedAt`), less what they burn idle
 * (timers, keep-alives) over as long: measured right after, for IDLE_WINDOW_MS.
 */
const busyCpuMs = async (workers: readonly PeerDriver[], before: number, startedAt: number): Promise<number> => {
  const used = (await cpuTotal(workers)) - before;
  const windowMs = performance.now() - startedAt;
  const idleStart = performance.now();
  const idleBefore = await cpuTotal(workers);
  await new Promise((r) => setTimeout(r, IDLE_WINDOW_MS));
  const idlePerMs = ((await cpuTotal(workers)) - idleBefore) / (performance.now() - idleStart);
  return Math.max(0, used - idlePerMs * windowMs);
};

interface WireCounts {
  readonly frames: Record<string, number>;
  readonly messages: number | null;
}

const summarizeLoad = (r: Awaited<ReturnType<typeof runGroupLoad>>): { p50: number; p99: number } => {
  if (r.delivered < r.expected)
    throw new Error(`only ${r.delivered} of ${r.expected} deliveries arrived within ${DRAIN_MS / 1000} s`);
  if (r.failedSends > 0) throw new Error(`${r.failedSends} sends failed`);
  const s = latencySummary(r.latencies);
  return { p50: s.p50, p99: s.p99 };
};

const msg = errorText;
