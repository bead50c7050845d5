// Scenario 9: files over the mesh (PROTOCOL.md §10). One member sends one
// file; 1, 3 and 7 receivers fetch it by themselves (auto-download) from
// every member that holds it, verifying each chunk. Timed from the send's
// start (hashing and storing included) to the last receiver's verified
// copy. Baseline in the same run: the same bytes pushed through one raw data
// channel between two of the same processes (or pages), right before and
// right after each transfer (16 KiB binary messages, as the chunks travel;
// once more in text messages, scenario 4's baseline, for comparison with
// older records). And chat latency p50 among the members while the transfer runs
// against the same load with no transfer (idle). Node peers, then one row of
// two Chromium pages (one browser context each, IndexedDB stores).
import { writeFileSync } from 'node:fs';
import type { CDPSession } from 'playwright-core';
import { FILE_CHUNK_BYTES } from '@chorus/protocol';
import { CHROMIUM_PATH, PagePeer, type PeerDriver } from '../lib/browser.ts';
import { selfTimes, type CpuProfile } from '../lib/cpu-profile.ts';
import type { BenchContext } from '../lib/context.ts';
import { runGroupLoad } from '../lib/group-load.ts';
import { closeFloor, connectChorus, formGroup, leaveGroup, openFloor } from '../lib/node-paths.ts';
import { checkTarget, errorText, ScenarioBuilder, type ScenarioReport } from '../lib/report.ts';
import type { Received } from '../lib/load.ts';
import { latencySummary } from '../lib/stats.ts';
import { wallNowMs } from '../lib/wall-clock.ts';

const MIB = 1024 * 1024;
const FLOOR_MESSAGE_BYTES = 16 * 1024;
const TRANSFER_TIMEOUT_MS = 600_000;
/** Chat load while measuring latency: a few messages a second from every member, as people typing. */
const CHAT_RATE_PER_SEC = 10;
const CHAT_MS = 4_000;

export const runFiles = async (ctx: BenchContext): Promise<ScenarioReport> => {
  // BENCH_FILES_RECEIVERS=1 and BENCH_FILES_MIB=50 look into one case without a full run.
  const override = (process.env['BENCH_FILES_RECEIVERS'] ?? '')
    .split(',')
    .map(Number)
    .filter((n) => n >= 1);
  const receivers = override.length > 0 ? override : ctx.smoke ? [1] : ctx.quick ? [1, 3] : [1, 3, 7];
  const fileBytes = (Number(process.env['BENCH_FILES_MIB']) || (ctx.smoke ? 4 : 50)) * MIB;
  const b = new ScenarioBuilder(
    'files',
    '9. Files over the mesh',
    ctx.mode,
    [
      { key: 'where', header: 'peers in', kind: 'text' },
      { key: 'receivers', header: 'receivers', kind: 'value', digits: 0 },
      { key: 'file_mib', header: 'file MiB', kind: 'value', digits: 0 },
      { key: 'prep_ms', header: 'hash + store ms', kind: 'value', digits: 0 },
      { key: 'transfer_ms', header: 'to the last receiver ms', kind: 'value', digits: 0 },
      { key: 'mib_per_sec', header: 'MiB/s per receiver', kind: 'value', digits: 1 },
      { key: 'raw_ms', header: 'raw channel ms (before / after)', kind: 'text' },
      { key: 'raw_text_ms', header: 'raw channel, text ms', kind: 'value', digits: 0 },
      { key: 'over_raw', header: 'Chorus ÷ raw (throughput)', kind: 'value', digits: 2 },
      { key: 'chat_idle_p50_ms', header: 'chat p50 idle ms', kind: 'value', digits: 1 },
      { key: 'chat_busy_p50_ms', header: 'chat p50 during transfer ms', kind: 'value', digits: 1 },
      { key: 'chat_raw_p50_ms', header: 'chat p50 during the raw transfer ms', kind: 'value', digits: 1 },
    ],
    [
      `Node peers, one process each (@roamhq/wrtc, in-memory stores); Chromium: pages of headless Chromium, one browser context each (IndexedDB stores, as the app's: packages/peer IdbStore for messages and file chunks). One member sends a ${fileBytes / MIB} MiB file of pseudo-random bytes with files.send; every receiver fetches it by itself (auto-download) from every member holding chunks, in ${FILE_CHUNK_BYTES / 1024} KiB chunks (one binary message each, on the link's bulk data channel) checked against the signed Merkle root. "to the last receiver" runs from the moment the file's message was sent (after the sender hashed and stored the file: "hash + store", not included) to the last receiver's verified, stored copy; MiB/s per receiver = file ÷ that time.`,
      `Baseline, same run: the same number of bytes pushed from the sender's process (page) to one receiver's through one raw simple-peer data channel in ${FLOOR_MESSAGE_BYTES / 1024} KiB binary messages (a fresh Uint8Array each, as a chunk travels; the far end reads only a header), from the first send to the last arrival, once right before and once right after the Chorus transfer (the machine's load moves between the two). Chorus ÷ raw compares throughputs: the mean of the two raw times ÷ Chorus ms. "raw channel, text": the same bytes once more after them in ${FLOOR_MESSAGE_BYTES / 1024} KiB text messages decoded whole (the baseline of the records before binary chunks; in a page simple-peer turns each text into a Buffer with a JavaScript UTF-8 encoder), not in the ratio.`,
      `Chat: every member sends ${CHAT_RATE_PER_SEC} messages/s in total for ${CHAT_MS / 1000} s, once with no transfer (idle), once starting with the transfer, and once starting with one more raw binary transfer of the same bytes between the first two members (what the transport and the machine alone cost chat; not in any target); p50 of the one-way latency over every delivery. A transfer shorter than the ${CHAT_MS / 1000} s leaves the rest of the window idle.`,
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
    await measureCase(b, 'node', workers.slice(0, n + 1), fileBytes, 1000 + round);
  }
  // One row in headless Chromium: a sender page and one receiver page.
  if (!ctx.smoke || process.env['BENCH_SMOKE_BROWSER'] === '1') {
    const pages: PagePeer[] = [];
    try {
      const browser = await ctx.browser();
      for (let i = 0; i < 2; i++) pages.push(await browser.newPeer(`files-page-${i + 1}`));
      b.notes.push(`Chromium ${browser.version} (headless, ${CHROMIUM_PATH}), one browser context per page.`);
      // IndexedDB stores, as the app's: messages and the file's chunks are written there.
      await Promise.all(pages.map((p) => p.call('chorus-connect', { trackerUrl, name: p.name, counting: true })));
      await measureCase(b, 'chromium', pages, fileBytes, 2000);
    } catch (e) {
      b.failRow({ where: 'chromium', receivers: 1 }, `Chromium pages: ${errorText(e)}`);
    } finally {
      await Promise.all(pages.map((pg) => pg.close().catch(() => undefined)));
    }
  }
  return b.finish();
};

/** One row: `members[0]` sends, the rest receive; the raw channel between the first two before and after. */
const measureCase = async (
  b: ScenarioBuilder,
  where: 'node' | 'chromium',
  members: readonly PeerDriver[],
  fileBytes: number,
  seed: number,
): Promise<void> => {
  const n = members.length - 1;
  const [sender, ...rest] = members as [PeerDriver, ...PeerDriver[]];
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
    const idle = await chat(`files-idle-${where}-${n}`);
    const rawBefore = await rawTransfer(sender, rest[0]!, fileBytes, `files-raw-a-${where}-${n}`, true);
    const sending = sender.call<{ sha256: string; sentAt: number; prepMs: number }>('chorus-file-send', {
      groupId,
      size: fileBytes,
      seed,
    });
    const profiling = await startPageProfiles(members);
    const busy = await chat(`files-busy-${where}-${n}`);
    const { sha256, sentAt, prepMs } = await sending;
    const doneAt = await Promise.all(
      rest.map((w) => w.call<number>('chorus-file-done-at', { sha256, timeoutMs: TRANSFER_TIMEOUT_MS })),
    );
    await profiling.stop(`${n}`);
    const transferMs = Math.max(...doneAt) - sentAt;
    const rawAfter = await rawTransfer(sender, rest[0]!, fileBytes, `files-raw-b-${where}-${n}`, true);
    const rawText = await rawTransfer(sender, rest[0]!, fileBytes, `files-raw-t-${where}-${n}`, false);
    const rawLoad = rawTransfer(sender, rest[0]!, fileBytes, `files-raw-c-${where}-${n}`, true);
    const rawBusy = await chat(`files-rawbusy-${where}-${n}`);
    await rawLoad;
    const rawMs = (rawBefore + rawAfter) / 2;
    const row = {
      where: label,
      receivers: n,
      file_mib: fileBytes / MIB,
      prep_ms: prepMs,
      transfer_ms: transferMs,
      mib_per_sec: fileBytes / MIB / (transferMs / 1000),
      raw_ms: `${Math.round(rawBefore)} / ${Math.round(rawAfter)}`,
      raw_text_ms: rawText,
      over_raw: rawMs / transferMs,
      chat_idle_p50_ms: latencySummary(idle.latencies).p50,
      chat_busy_p50_ms: latencySummary(busy.latencies).p50,
      chat_raw_p50_ms: latencySummary(rawBusy.latencies).p50,
    };
    b.rows.push(row);
    console.log(`  files ${label} ${n} receivers: ${JSON.stringify(row)}`);
    if (n === 1) {
      b.targets.push(
        checkTarget(
          `one receiver ≥ 0.7 × the raw channel (${label})`,
          'Chorus ms ÷ raw ms, 1 receiver',
          transferMs / rawMs,
          '<=',
          1 / 0.7,
        ),
      );
    }
    b.targets.push(
      checkTarget(
        `chat p50 during a transfer ≤ 2 × idle (${label}, ${n} receivers)`,
        'busy p50 ÷ idle p50',
        row.chat_busy_p50_ms / row.chat_idle_p50_ms,
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
