// Scenario 9: files over the mesh (PROTOCOL.md §10). One member sends a
// file; 1, 3 and 7 receivers fetch it by themselves (auto-download) from
// every member that holds it, verifying each chunk. Timed from the message's
// send to the last receiver's verified copy. Each row sends several files
// (TRANSFERS_PER_ROW) and alternates them with the baseline: the same bytes
// pushed through one raw data channel between two of the same processes (or
// pages) before the first transfer and after each (16 KiB binary messages, as
// the chunks travel; once more in text messages at the end, scenario 4's
// baseline, for comparison with older records). And chat latency p50 among
// the members while each transfer runs against the same load with no
// transfer (idle) right before it. Node peers, then the same receiver counts
// in Chromium pages (one browser context each, IndexedDB stores).
import os from 'node:os';
import { writeFileSync } from 'node:fs';
import type { CDPSession } from 'playwright-core';
import { FILE_CHUNK_BYTES } from '@chorus/protocol';
import { CHROMIUM_PATH, PagePeer, type PeerDriver } from '../lib/browser.ts';
import { selfTimes, type CpuProfile } from '../lib/cpu-profile.ts';
import type { BenchContext } from '../lib/context.ts';
import { runGroupLoad } from '../lib/group-load.ts';
import { closeFloor, connectChorus, formGroup, leaveGroup, openFloor } from '../lib/node-paths.ts';
import { checkTarget, errorText, putSpread, ScenarioBuilder, type Row, type ScenarioReport } from '../lib/report.ts';
import type { Received } from '../lib/load.ts';
import { latencySummary, spreadOf } from '../lib/stats.ts';
import { wallNowMs } from '../lib/wall-clock.ts';

const MIB = 1024 * 1024;
const FLOOR_MESSAGE_BYTES = 16 * 1024;
const TRANSFER_TIMEOUT_MS = 600_000;
/** Chat load while measuring latency: a few messages a second from every member, as people typing. */
const CHAT_RATE_PER_SEC = 10;
const CHAT_MS = 4_000;
/**
 * Files sent per row, each between two raw runs: one 50 MiB raw push scattered
 * 1.7× between two runs a minute apart on a quiet machine, so a row's ratio is
 * the median of one per transfer (BENCH_FILES_TRANSFERS overrides).
 */
const TRANSFERS_PER_ROW = 3;

export const runFiles = async (ctx: BenchContext): Promise<ScenarioReport> => {
  // BENCH_FILES_RECEIVERS=1 and BENCH_FILES_MIB=50 look into one case without a full run.
  const override = (process.env['BENCH_FILES_RECEIVERS'] ?? '')
    .split(',')
    .map(Number)
    .filter((n) => n >= 1);
  const receivers = override.length > 0 ? override : ctx.smoke ? [1] : ctx.quick ? [1, 3] : [1, 3, 7];
  const fileBytes = (Number(process.env['BENCH_FILES_MIB']) || (ctx.smoke ? 4 : 50)) * MIB;
  const transfers = Math.max(1, Number(process.env['BENCH_FILES_TRANSFERS']) || (ctx.smoke ? 2 : TRANSFERS_PER_ROW));
  const b = new ScenarioBuilder(
    'files',
    '9. Files over the mesh',
    ctx.mode,
    [
      { key: 'where', header: 'peers in', kind: 'text' },
      { key: 'receivers', header: 'receivers', kind: 'value', digits: 0 },
      { key: 'file_mib', header: 'file MiB', kind: 'value', digits: 0 },
      { key: 'transfers', header: 'transfers', kind: 'value', digits: 0 },
      { key: 'prep_ms', header: 'hash + store ms', kind: 'spread', digits: 0 },
      { key: 'transfer_ms', header: 'to the last receiver ms', kind: 'spread', digits: 0 },
      { key: 'mib_per_sec', header: 'MiB/s per receiver (median)', kind: 'value', digits: 1 },
      { key: 'raw_ms', header: 'raw channel ms (in order, between transfers)', kind: 'text' },
      { key: 'raw_text_ms', header: 'raw channel, text ms', kind: 'value', digits: 0 },
      { key: 'over_raw', header: 'Chorus ÷ raw (throughput)', kind: 'spread', digits: 2 },
      { key: 'chat_idle_p50_ms', header: 'chat p50 idle ms', kind: 'spread', digits: 1 },
      { key: 'chat_busy_p50_ms', header: 'chat p50 during transfer ms', kind: 'spread', digits: 1 },
      { key: 'chat_over_idle', header: 'chat busy ÷ idle', kind: 'spread', digits: 2 },
      { key: 'chat_raw_p50_ms', header: 'chat p50 during the raw transfer ms', kind: 'value', digits: 1 },
      { key: 'sender_cpu_ms', header: 'sender CPU ms (Node)', kind: 'spread', digits: 0 },
      { key: 'load_1m', header: 'load (1 min) after each transfer', kind: 'text' },
    ],
    [
      `Node peers, one process each (@roamhq/wrtc, in-memory stores); Chromium: pages of headless Chromium, one browser context each (IndexedDB stores, as the app's: packages/peer IdbStore for messages and file chunks). One member sends ${transfers} files of ${fileBytes / MIB} MiB of pseudo-random bytes (new bytes each), one after the other, with files.send; every receiver fetches it by itself (auto-download) from every member holding chunks, in ${FILE_CHUNK_BYTES / 1024} KiB chunks (one binary message each, on the link's bulk data channel) checked against the signed Merkle root. "to the last receiver" runs from the moment the file's message was sent (after the sender hashed and stored the file: "hash + store", not included) to the last receiver's verified, stored copy; MiB/s per receiver = file ÷ the median of those times. Every figure with a spread is the median over the row's transfers (min–max).`,
      `Baseline, same run: the same number of bytes pushed from the sender's process (page) to one receiver's through one raw simple-peer data channel in ${FLOOR_MESSAGE_BYTES / 1024} KiB binary messages (a fresh Uint8Array each, as a chunk travels; the far end reads only a header), from the first send to the last arrival, alternating with the Chorus transfers: once before the first and once after each (raw, Chorus, raw, Chorus, …; the machine's load moves between them, and one raw push scattered 1.7× between two runs on a quiet machine). Chorus ÷ raw compares throughputs, per transfer: the mean of the raw times right before and right after it ÷ its Chorus ms; the row shows the median of those ratios and their spread, and the target is checked on that median. "raw channel, text": the same bytes once more after them in ${FLOOR_MESSAGE_BYTES / 1024} KiB text messages decoded whole (the baseline of the records before binary chunks; in a page simple-peer turns each text into a Buffer with a JavaScript UTF-8 encoder), not in the ratio.`,
      `Chat: every member sends ${CHAT_RATE_PER_SEC} messages/s in total for ${CHAT_MS / 1000} s, with no transfer (idle) right before each transfer, then starting with that transfer, and once at the end starting with one more raw binary transfer of the same bytes between the first two members (what the transport and the machine alone cost chat; not in any target); p50 of the one-way latency over every delivery of a window. "chat busy ÷ idle" is per transfer (its busy window's p50 ÷ the idle one's before it); the target is checked on their median. A transfer shorter than the ${CHAT_MS / 1000} s leaves the rest of the window idle.`,
    ],
  );
  let trackerUrl: string;
  try {
    trackerUrl = await ctx.trackerUrl();
  } catch (e) {
    b.failRow({ where: 'node', receivers: 0 }, `tracker did not start: ${errorText(e)}`);
    return b.finish();
  }
  const workers = await ctx.cluster.ensure(Math.max(...receivers) + 1);
  await connectChorus(workers, trackerUrl);
  for (const [round, n] of receivers.entries()) {
    await measureCase(b, 'node', workers.slice(0, n + 1), fileBytes, transfers, 1000 + 100 * round);
  }
  // Chromium: a sender page and 1, 3 and 7 receiver pages (one browser context each), as the Node rows
  // (BENCH_FILES_BROWSER_RECEIVERS=1 picks counts; the smoke run takes one receiver).
  if (!ctx.smoke || process.env['BENCH_SMOKE_BROWSER'] === '1') {
    const pageOverride = (process.env['BENCH_FILES_BROWSER_RECEIVERS'] ?? '')
      .split(',')
      .map(Number)
      .filter((n) => n >= 1);
    const pageReceivers = pageOverride.length > 0 ? pageOverride : ctx.smoke ? [1] : receivers;
    const pages: PagePeer[] = [];
    try {
      const browser = await ctx.browser();
      for (let i = 0; i < Math.max(...pageReceivers) + 1; i++) pages.push(await browser.newPeer(`files-page-${i + 1}`));
      b.notes.push(`Chromium ${browser.version} (headless, ${CHROMIUM_PATH}), one browser context per page.`);
      // IndexedDB stores, as the app's: messages and the file's chunks are written there.
      await Promise.all(pages.map((p) => p.call('chorus-connect', { trackerUrl, name: p.name, counting: true })));
      for (const [round, n] of pageReceivers.entries()) {
        await measureCase(b, 'chromium', pages.slice(0, n + 1), fileBytes, transfers, 2000 + 100 * round);
      }
    } catch (e) {
      b.failRow({ where: 'chromium', receivers: 1 }, `Chromium pages: ${errorText(e)}`);
    } finally {
      await Promise.all(pages.map((pg) => pg.close().catch(() => undefined)));
    }
  }
  return b.finish();
};

/**
 * One row: `members[0]` sends, the rest receive. `transfers` files, each of
 * new bytes, with the raw channel between the first two measured before the
 * first and after each (raw, Chorus, raw, Chorus, raw, …) and an idle chat
 * window before each: every transfer gets its own ratio against the raw runs
 * on either side of it and its own busy ÷ idle chat; the row shows their
 * medians and spread, so one noisy transfer or raw run does not decide it.
 */
const measureCase = async (
  b: ScenarioBuilder,
  where: 'node' | 'chromium',
  members: readonly PeerDriver[],
  fileBytes: number,
  transfers: number,
  seed: number,
): Promise<void> => {
  const n = members.length - 1;
  const [sender, receiver, ...others] = members as [PeerDriver, PeerDriver, ...PeerDriver[]];
  const rest = [receiver, ...others];
  const label = where === 'node' ? 'Node' : 'Chromium';
  let groupId: string | null = null;
  try {
    groupId = (await formGroup(members, 'fifo', `files-${where}-${n}-${Date.now()}`)).groupId;
    for (const w of rest) await w.call('chorus-file-auto', { bytes: fileBytes * 2 });
    const chat = (tag: string) =>
      runGroupLoad({
        tag,
        workers: members,
        ratePerSec: CHAT_RATE_PER_SEC,
        durationMs: CHAT_MS,
        warmupMs: 200,
        drainMs: 30_000,
        send: (w, plan) => w.call('chorus-load', { groupId, plan }),
      });
    const raw = (k: number) => rawTransfer(sender, receiver, fileBytes, `files-raw-${k}-${where}-${n}`, true);
    const rawMs = [await raw(0)];
    const runs: TransferRun[] = [];
    for (let k = 0; k < transfers; k++) {
      const idle = await chat(`files-idle-${k}-${where}-${n}`);
      const cpuBefore = await cpuMs(sender);
      const sending = sender.call<{ sha256: string; sentAt: number; prepMs: number }>('chorus-file-send', {
        groupId,
        size: fileBytes,
        seed: seed + k,
      });
      const profiling = await startPageProfiles(members);
      const busy = await chat(`files-busy-${k}-${where}-${n}`);
      const { sha256, sentAt, prepMs } = await sending;
      const doneAt = await Promise.all(
        rest.map((w) => w.call<number>('chorus-file-done-at', { sha256, timeoutMs: TRANSFER_TIMEOUT_MS })),
      );
      await profiling.stop(`${n}-${k + 1}`);
      const senderCpuMs = (await cpuMs(sender)) - cpuBefore;
      const transferMs = Math.max(...doneAt) - sentAt;
      rawMs.push(await raw(k + 1));
      const around = ((rawMs[k] ?? Number.NaN) + (rawMs[k + 1] ?? Number.NaN)) / 2;
      const run: TransferRun = {
        prepMs,
        transferMs,
        overRaw: around / transferMs,
        idleP50: latencySummary(idle.latencies).p50,
        busyP50: latencySummary(busy.latencies).p50,
        load: os.loadavg()[0] ?? Number.NaN,
        senderCpuMs,
      };
      runs.push(run);
      console.log(`  files ${label} ${n} receivers, transfer ${k + 1} of ${transfers}: ${JSON.stringify(run)}`);
    }
    const rawText = await rawTransfer(sender, receiver, fileBytes, `files-raw-t-${where}-${n}`, false);
    const rawLoad = rawTransfer(sender, receiver, fileBytes, `files-raw-c-${where}-${n}`, true);
    const rawBusy = await chat(`files-rawbusy-${where}-${n}`);
    await rawLoad;
    const row: Row = { where: label, receivers: n, file_mib: fileBytes / MIB, transfers: runs.length };
    const spread = (key: string, pick: (r: TransferRun) => number) => putSpread(row, key, runs.map(pick));
    spread('prep_ms', (r) => r.prepMs);
    spread('transfer_ms', (r) => r.transferMs);
    row['mib_per_sec'] = fileBytes / MIB / (Number(row['transfer_ms']) / 1000);
    row['raw_ms'] = rawMs.map((ms) => Math.round(ms)).join(' / ');
    row['raw_text_ms'] = rawText;
    spread('over_raw', (r) => r.overRaw);
    spread('chat_idle_p50_ms', (r) => r.idleP50);
    spread('chat_busy_p50_ms', (r) => r.busyP50);
    spread('chat_over_idle', (r) => r.busyP50 / r.idleP50);
    row['chat_raw_p50_ms'] = latencySummary(rawBusy.latencies).p50;
    if (where === 'node') spread('sender_cpu_ms', (r) => r.senderCpuMs);
    row['load_1m'] = runs.map((r) => r.load.toFixed(1)).join(' / ');
    b.rows.push(row);
    console.log(`  files ${label} ${n} receivers: ${JSON.stringify(row)}`);
    if (n === 1) {
      b.targets.push(
        checkTarget(
          `one receiver ≥ 0.7 × the raw channel (${label})`,
          `Chorus ms ÷ raw ms, 1 receiver, median of ${runs.length} transfers`,
          spreadOf(runs.map((r) => 1 / r.overRaw)).median,
          '<=',
          1 / 0.7,
        ),
      );
    }
    b.targets.push(
      checkTarget(
        `chat p50 during a transfer ≤ 2 × idle (${label}, ${n} receivers)`,
        `busy p50 ÷ idle p50, median of ${runs.length} transfers`,
        row['chat_over_idle'],
        '<=',
        2,
      ),
    );
  } catch (e) {
    b.failRow({ where: label, receivers: n }, errorText(e));
  } finally {
    if (groupId !== null) await leaveGroup(members, groupId).catch(() => undefined);
  }
};

/** One transfer of a row, beside the raw runs right before and after it and the idle chat window before it. */
interface TransferRun {
  readonly prepMs: number;
  readonly transferMs: number;
  /** Mean ms of the raw runs on either side ÷ this transfer's ms (a ratio of throughputs). */
  readonly overRaw: number;
  readonly idleP50: number;
  readonly busyP50: number;
  /** 1-minute load average right after the transfer: a shared machine shows here. */
  readonly load: number;
  /**
   * CPU the sender's process used (every thread: JavaScript and @roamhq/wrtc's) from the send (hash and store
   * included) to the last receiver's copy, its busy chat window too; less sensitive to a shared machine than
   * the times. Node only.
   */
  readonly senderCpuMs: number;
}

/** A Node worker's CPU ms since it started (NaN for a page). */
const cpuMs = async (w: PeerDriver): Promise<number> =>
  w instanceof PagePeer ? Number.NaN : await w.call<number>('cpu-ms', {});

/** ms to push `bytes` from a to c over one raw data channel in FLOOR_MESSAGE_BYTES messages, binary or text. */
const rawTransfer = async (
  a: PeerDriver,
  c: PeerDriver,
  bytes: number,
  tag: string,
  binary: boolean,
): Promise<number> => {
  const messages = Math.ceil(bytes / FLOOR_MESSAGE_BYTES);
  await openFloor(a, c);
  try {
    await c.call('expect', { tag, warmUntil: Number.MAX_SAFE_INTEGER });
    const t0 = wallNowMs();
    await a.call('floor-bulk', {
      tag,
      messages,
      bytes: binary ? FLOOR_MESSAGE_BYTES : FLOOR_MESSAGE_BYTES - 40,
      binary,
    });
    if (!(await c.call<boolean>('wait', { tag, count: messages, timeoutMs: TRANSFER_TIMEOUT_MS })))
      throw new Error('the raw transfer did not complete');
    const done = wallNowMs();
    await c.call<Received>('take', { tag });
    return done - t0;
  } finally {
    await closeFloor(a, c);
  }
};

/**
 * BENCH_FILES_PROFILE=/tmp/p: a CPU profile of every Chromium page from the
 * send to the last receiver's copy (the busy chat included), written as self
 * time per function (`/tmp/p-<receivers>-<page>.txt`) and as the profile
 * itself (`.cpuprofile`, for DevTools). Node workers: BENCH_WORKER_PROFILE.
 */
const startPageProfiles = async (members: readonly PeerDriver[]): Promise<{ stop(label: string): Promise<void> }> => {
  const to = process.env['BENCH_FILES_PROFILE'];
  const pages = members.filter((m): m is PagePeer => m instanceof PagePeer);
  if (!to || pages.length === 0) return { stop: async () => undefined };
  const sessions: [PagePeer, CDPSession][] = [];
  for (const p of pages) {
    const cdp = await p.page.context().newCDPSession(p.page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    sessions.push([p, cdp]);
  }
  return {
    stop: async (label) => {
      for (const [p, cdp] of sessions) {
        const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
        const path = `${to}-${label}-${p.name}`;
        writeFileSync(`${path}.cpuprofile`, JSON.stringify(profile));
        const top = selfTimes(profile).slice(0, 60);
        writeFileSync(`${path}.txt`, top.map(([f, ms]) => `${ms.toFixed(1).padStart(9)} ms  ${f}`).join('\n') + '\n');
        await cdp.detach();
      }
    },
  };
};
