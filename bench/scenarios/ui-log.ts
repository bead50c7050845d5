// Scenario 8: the chat page with a long conversation — the real
// app (apps/web/dist, served by a real tracker) in headless Chromium, driven
// through its UI: main-thread time per delivered message with 100, 10 000
// and 100 000 messages in the group, and how long a reload takes to paint the
// newest messages of a group holding that many in IndexedDB.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../lib/browser.ts';
import { selfTimes, type CpuProfile } from '../lib/cpu-profile.ts';
import type { BenchContext } from '../lib/context.ts';
import { freePort } from '../lib/free-port.ts';
import { checkTarget, errorText, putSpread, ScenarioBuilder, type Row, type ScenarioReport } from '../lib/report.ts';
import { percentile } from '../lib/stats.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const THIS_BUILD = join(ROOT, 'apps/web/dist');
/** Messages typed and timed per size (after WARMUP untimed ones). */
const WARMUP = 3;
/**
 * After a message shows as delivered, time also what the page does in the next moment (the log's layout, the store
 * write).
 */
const SETTLE_MS = 150;
/** Reloads per run: the first after seeding also pays for the browser settling 100 000 fresh writes. */
const OPEN_RELOADS = 3;

interface Sample {
  readonly perMessageMs: readonly number[];
  readonly scriptMs: readonly number[];
  readonly openMs: readonly number[];
}

export const runUiLog = async (ctx: BenchContext): Promise<ScenarioReport> => {
  const override =
    process.env['BENCH_UI_SIZES']
      ?.split(',')
      .map(Number)
      .filter((x) => Number.isInteger(x) && x > 1) ?? [];
  const sizes = override.length > 0 ? override : ctx.smoke ? [100] : [100, 10_000, 100_000];
  const typed = ctx.smoke ? 3 : ctx.quick ? 12 : 25;
  const runs = ctx.quick ? 1 : 2;
  const baseline = process.env['BENCH_UI_BASELINE_DIST'];
  const b = new ScenarioBuilder(
    'ui-log',
    '8. Chat page with a long conversation',
    ctx.mode,
    [
      { key: 'build', header: 'build', kind: 'text' },
      { key: 'messages', header: 'messages in the group', kind: 'value', digits: 0 },
      { key: 'held', header: 'held by the page', kind: 'value', digits: 0 },
      { key: 'main_ms_per_message_p50', header: 'main thread ms / message, p50', kind: 'spread', digits: 1 },
      { key: 'script_ms_per_message_p50', header: 'of which script, p50', kind: 'spread', digits: 1 },
      { key: 'open_ms', header: 'reload → newest painted, ms', kind: 'spread', digits: 0 },
    ],
    [
      "The app as shipped (apps/web/dist served by apps/tracker) in headless Chromium (Debian /usr/bin/chromium): the page measured is one member of a FIFO group, a second member (another browser context, its own renderer process) types. The group holds the given number of messages: all but one written straight into the page's IndexedDB (the app's schema, lamport 0 so they sort before the live one), then the page is reloaded.",
      `Open: from the reload's navigation start to the end of the first frame that paints the newest two messages (performance.now() in a task posted from that frame's animation-frame callback, which runs once its style, layout, paint and commit are done; wall time). Records before 2026-11-30 19:30 UTC took the next frame's start instead, which any work queued after the paint delays. Per message: the other member types ${typed} messages (Playwright fill + Enter in its page) after ${WARMUP} untimed ones; each is timed in the page measured from before the keystrokes until ${SETTLE_MS} ms after it shows there, as the main thread's CPU time (CDP Performance.getMetrics with timeDomain threadTicks: TaskDuration, all tasks of the page, its timers and store writes included, less DevToolsCommandDuration, the bench's own commands: the metrics and one wait for the message). CPU time, not wall time, so the machine's load does not inflate it; the row gives the median over the messages.`,
      'Baseline (BENCH_UI_BASELINE_DIST, named by BENCH_UI_BASELINE_LABEL): another build of the app measured by the same code in the same run.',
      `${runs} run(s) per size, each in a fresh browser context; each run reloads the page ${OPEN_RELOADS} times (records before 2026-12-01 reloaded once), and open is the median over every reload of the size (the first reload after seeding also waits for the browser to settle the fresh writes, which a person reopening the app does not).`,
    ],
  );
  const builds: [string, string][] = [['this build', THIS_BUILD]];
  if (baseline) builds.push([process.env['BENCH_UI_BASELINE_LABEL'] ?? 'baseline', baseline]);
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build-web-if-needed.mjs')], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  let browser: Browser | null = null;
  try {
    if (built.status !== 0) throw new Error('apps/web did not build (node scripts/build-web-if-needed.mjs)');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    for (const [label, dist] of builds) {
      if (!existsSync(join(dist, 'index.html'))) {
        b.failRow({ build: label }, `no build at ${dist}`);
        continue;
      }
      const tracker = await startTracker(dist);
      try {
        for (const size of sizes) {
          const samples: Sample[] = [];
          const row: Row = { build: label, messages: size, held: Math.min(size, 200) };
          try {
            for (let run = 0; run < runs; run++) samples.push(await measure(browser, tracker.url, size, typed));
          } catch (e) {
            b.failRow(row, errorText(e));
            continue;
          }
          putSpread(
            row,
            'main_ms_per_message_p50',
            samples.map((s) => percentile(s.perMessageMs, 0.5)),
          );
          putSpread(
            row,
            'script_ms_per_message_p50',
            samples.map((s) => percentile(s.scriptMs, 0.5)),
          );
          putSpread(
            row,
            'open_ms',
            samples.flatMap((s) => s.openMs),
          );
          row['main_ms_per_message_all'] = samples.flatMap((s) => s.perMessageMs.map((v) => Math.round(v * 10) / 10));
          b.rows.push(row);
          console.log(
            `  ${label}, ${size} messages: ${String(row['main_ms_per_message_p50'])} ms/message (script ${String(row['script_ms_per_message_p50'])}), open ${String(row['open_ms'])} ms`,
          );
        }
      } finally {
        tracker.stop();
      }
    }
  } catch (e) {
    b.failRow({ build: 'this build' }, errorText(e));
  } finally {
    await browser?.close();
  }
  for (const row of b.rows.filter((r) => r['build'] === 'this build' && r['not_run'] === undefined)) {
    b.targets.push(
      checkTarget(
        'main thread ≤ 8 ms per delivered message, p50',
        `this build, ${String(row['messages'])} messages`,
        row['main_ms_per_message_p50'],
        '<=',
        8,
      ),
    );
    if (row['messages'] === 100_000)
      b.targets.push(
        checkTarget(
          'open a group of 100 000 stored messages, newest painted ≤ 300 ms',
          'this build, 100000 messages',
          row['open_ms'],
          '<=',
          300,
        ),
      );
  }
  return b.finish();
};

async function startTracker(dist: string): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'apps/tracker/src/main.ts'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', WEB_DIST: dist, LOG_LEVEL: 'warn' },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the tracker exited (${child.exitCode})`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error('the tracker did not come up in 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop: () => child.kill() };
}

async function measure(browser: Browser, url: string, size: number, typed: number): Promise<Sample> {
  // The page measured (the receiver) and another member who types (the sender), each a user of their own.
  const contexts = [await browser.newContext(), await browser.newContext()];
  // tsx keeps function names with a helper the page does not have: functions handed to evaluate need it there.
  for (const c of contexts) await c.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  try {
    const [page, sender] = [await contexts[0]!.newPage(), await contexts[1]!.newPage()];
    const group = `bench-${Date.now().toString(36)}`;
    for (const [p, name] of [
      [page, 'Bench'],
      [sender, 'Sender'],
    ] as const) {
      await p.goto(url);
      await p.getByRole('textbox', { name: 'Display name' }).fill(name);
      await p.getByRole('button', { name: 'Continue' }).click();
    }
    // Creating or joining a group needs the peer, which exists once the page is online.
    for (const p of [page, sender])
      await p
        .getByRole('status')
        .filter({ hasText: /^Online$/ })
        .waitFor({ timeout: 60_000 });
    await page.getByRole('textbox', { name: 'Group name' }).fill(group);
    await page.getByRole('radiogroup', { name: 'Ordering' }).getByRole('radio', { name: 'FIFO' }).check();
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('log', { name: `Messages in ${group}` }).waitFor({ timeout: 60_000 });
    await sender
      .getByRole('list', { name: 'Groups' })
      .getByRole('listitem')
      .filter({ hasText: group })
      .getByRole('button', { name: 'Join' })
      .click();
    await sender.getByRole('log', { name: `Messages in ${group}` }).waitFor({ timeout: 60_000 });
    await send(page, 'live');
    // Reload only once the live message is durable: the page can only show what it stored.
    let groupId: string | null = null;
    for (let i = 0; groupId === null; i++) {
      if (i > 300) throw new Error('the live message was not stored within 30 s');
      groupId = await page.evaluate(groupIdIn, 'live');
      if (groupId === null) await page.waitForTimeout(100);
    }
    await page.evaluate(seed, { groupId, count: size - 1 });
    progress(
      `${size}: seeded group ${groupId}; stored: ${await page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            const open = indexedDB.open('chorus');
            open.onsuccess = () => {
              // Schema 4 keeps messages in `batches` (one `by-id` entry each), a build before it in `messages`.
              const db = open.result;
              const c = db.objectStoreNames.contains('batches')
                ? db.transaction('batches').objectStore('batches').index('by-id').count()
                : db.transaction('messages').objectStore('messages').count();
              c.onsuccess = () => resolve(c.result);
            };
          }),
      )}`,
    );
    await page.addInitScript(watchOpen, `seed ${size - 2}`);
    const openMs: number[] = [];
    for (let reload = 0; reload < OPEN_RELOADS; reload++) {
      await page.reload();
      openMs.push(
        await page.evaluate(() =>
          Promise.race([
            (window as unknown as { benchOpen: Promise<number> }).benchOpen,
            new Promise<number>((_, reject) =>
              setTimeout(
                () =>
                  reject(
                    new Error(
                      `the newest messages were not painted within 20 s of the reload; the log ends with ${JSON.stringify([...document.querySelectorAll('[role=log] article .body')].slice(-3).map((e) => e.textContent))}`,
                    ),
                  ),
                20_000,
              ),
            ),
          ]),
        ),
      );
    }
    progress(`${size}: open ${openMs.map((v) => v.toFixed(0)).join(', ')} ms`);
    await page
      .getByRole('status')
      .filter({ hasText: /^Online$/ })
      .waitFor({ timeout: 60_000 });
    // The reloaded page is a new session: wait until each member sees the other online.
    for (const [p, other] of [
      [page, 'Sender'],
      [sender, 'Bench'],
    ] as const) {
      await p
        .getByRole('list', { name: `Members of ${group}` })
        .getByRole('listitem')
        .filter({ hasText: other })
        .filter({ hasText: 'online' })
        .first()
        .waitFor({ timeout: 60_000 });
    }
    const cdp = await contexts[0]!.newCDPSession(page);
    // Thread time: the main thread's CPU, which a loaded machine does not inflate as it does wall time.
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    const seconds = async (): Promise<[number, number]> => {
      const metrics = (await cdp.send('Performance.getMetrics')).metrics;
      const of = (name: string): number => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
      // The bench's own DevTools commands to the page (these metrics, the wait for the message) are not the app's work.
      return [of('TaskDuration') - of('DevToolsCommandDuration'), of('ScriptDuration')];
    };
    const perMessageMs: number[] = [];
    const scriptMs: number[] = [];
    const profileTo = process.env['BENCH_UI_PROFILE'];
    const traceTo = process.env['BENCH_UI_TRACE'];
    for (let i = 0; i < WARMUP + typed; i++) {
      if (i === WARMUP && traceTo)
        await browser.startTracing(page, {
          categories: (
            process.env['BENCH_UI_TRACE_CATEGORIES'] ?? 'devtools.timeline,disabled-by-default-devtools.timeline'
          ).split(','),
        });
      if (i === WARMUP && profileTo) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
        await cdp.send('Profiler.start');
      }
      const text = `m${i}`;
      const [task0, script0] = await seconds();
      // The sender types; the page measured only receives: one call waits in it for the message to show.
      const shown = page.evaluate(lastShows, text);
      const box = sender.getByRole('textbox', { name: 'Message' });
      await box.fill(text);
      await box.press('Enter');
      // A warm-up message may be sent before the two pages' link is up; the timed ones may not.
      const late = await Promise.race([
        shown.then(() => false),
        sender.waitForTimeout(i < WARMUP ? 20_000 : 60_000).then(() => true),
      ]);
      if (late && i >= WARMUP) throw new Error(`${text} did not show in the page within 60 s`);
      await page.waitForTimeout(SETTLE_MS);
      const [task1, script1] = await seconds();
      progress(`${size}: message ${i} ${((task1 - task0) * 1_000).toFixed(1)} ms`);
      if (i >= WARMUP) {
        perMessageMs.push((task1 - task0) * 1_000);
        scriptMs.push((script1 - script0) * 1_000);
      }
    }
    if (traceTo) writeTrace(`${traceTo}-${size}.txt`, await browser.stopTracing(), typed);
    if (profileTo) writeProfile(`${profileTo}-${size}.txt`, (await cdp.send('Profiler.stop')).profile, typed);
    return { perMessageMs, scriptMs, openMs };
  } finally {
    for (const c of contexts) await c.close();
  }
}

/**
 * Resolves once one of the log's last articles shows `text` (runs in the page: a MutationObserver on the log's
 * children, no polling). It looks at the last five children only, so the bench's own work in the page does not grow
 * with the articles in the log.
 */
function lastShows(text: string): Promise<void> {
  return new Promise((resolve) => {
    const log = document.querySelector('[role=log]');
    const done = (): boolean => {
      let el = log?.lastElementChild ?? null;
      for (let i = 0; i < 5 && el !== null; i++, el = el.previousElementSibling)
        if (el.tagName === 'ARTICLE' && el.querySelector('.body')?.textContent === text) return true;
      return false;
    };
    if (!log || done()) return resolve();
    const watch = new MutationObserver(() => {
      if (!done()) return;
      watch.disconnect();
      resolve();
    });
    watch.observe(log, { childList: true });
  });
}

const progress = (line: string): void => {
  if (process.env['BENCH_VERBOSE']) console.log(`    ${line}`);
};

/** Types a message and waits until the log's last article is it, delivered. */
async function send(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
  await page.waitForFunction(
    (text) => {
      const articles = document.querySelectorAll('[role=log] article');
      const last = articles[articles.length - 1];
      return (
        last?.querySelector('.body')?.textContent === text &&
        last.textContent?.includes('delivered') === true &&
        !last.textContent.includes('pending')
      );
    },
    text,
    { polling: 20, timeout: 60_000 },
  );
}

/** BENCH_UI_PROFILE: where the page's script time went while the messages were typed, by self time, per message. */
function writeProfile(path: string, profile: CpuProfile, messages: number): void {
  const top = selfTimes(profile).slice(0, 60);
  writeFileSync(
    path,
    top.map(([name, ms]) => `${(ms / messages).toFixed(2).padStart(8)} ms/message  ${name}`).join('\n') + '\n',
  );
}

/** BENCH_UI_TRACE: the renderer main thread's time by trace event (self time), per message. */
function writeTrace(path: string, buffer: Buffer, messages: number): void {
  if (process.env['BENCH_UI_TRACE_RAW']) writeFileSync(`${path}.json`, buffer);
  const events = (
    JSON.parse(buffer.toString()) as {
      traceEvents: {
        name: string;
        ph: string;
        dur?: number;
        ts: number;
        tid: number;
        pid: number;
        args?: { name?: string };
      }[];
    }
  ).traceEvents;
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const mine = events
    .filter((e) => main && e.tid === main.tid && e.pid === main.pid && e.ph === 'X' && e.dur !== undefined)
    .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const self = new Map<string, number>();
  const stack: { end: number; name: string }[] = [];
  for (const e of mine) {
    while (stack.length > 0 && stack[stack.length - 1]!.end <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    const a = (e.args ?? {}) as Record<string, { src_func?: string; src_file?: string } | undefined>;
    const name =
      e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask'
        ? `${e.name} ${a['src_func'] ?? ''} ${JSON.stringify(e.args).slice(0, 120)}`
        : e.name;
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - e.dur!);
    self.set(name, (self.get(name) ?? 0) + e.dur!);
    stack.push({ end: e.ts + e.dur!, name });
  }
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 40);
  writeFileSync(
    path,
    top.map(([name, us]) => `${(us / 1_000 / messages).toFixed(2).padStart(8)} ms/message  ${name}`).join('\n') + '\n',
  );
}

/** The group id of the stored message `body`, or null until it is durable (runs in the page). */
export function groupIdIn(body: string): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('chorus');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      type Stored = { groupId: string; frame: { body: string } };
      // Schema 4 (a `batches` record per write) or a build before it (a `messages` record per message).
      const batches = db.objectStoreNames.contains('batches');
      const all = batches
        ? db.transaction('batches').objectStore('batches').getAll()
        : db.transaction('messages').objectStore('messages').getAll();
      all.onsuccess = () => {
        db.close();
        const stored: Stored[] = batches
          ? (all.result as { items: Stored[] }[]).flatMap((b) => b.items)
          : (all.result as Stored[]);
        resolve(stored.find((m) => m.frame.body === body)?.groupId ?? null);
      };
      all.onerror = () => reject(all.error);
    };
  });
}

/**
 * Writes `count` messages of the group into the page's IndexedDB, 10 000 per transaction (runs in the page): in
 * schema 4, 500 to a `batches` record with its index keys (packages/peer/src/idb-batches.ts, as a history page is
 * written); in a build before it (a baseline dist), one `messages` record each.
 */
export async function seed({ groupId, count }: { groupId: string; count: number }): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open('chorus');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => resolve(open.result);
  });
  const pad = (n: number): string => String(n).padStart(16, '0');
  const start = Date.now() - count * 1_000;
  const sender = 'bench-archive';
  const batches = db.objectStoreNames.contains('batches');
  const message = (seq: number) => {
    const sentAt = start + seq * 1_000;
    return {
      id: `${groupId}/${sender}:${seq}`,
      groupId,
      senderName: 'Archive',
      deliveredAt: sentAt,
      order: `${pad(0)}:${sender}:${pad(seq)}`,
      frame: { t: 'data', groupId, viewId: 1, sender, seq, lamport: 0, sentAt, body: `seed ${seq}`, sig: 'seeded' },
    };
  };
  for (let from = 0; from < count; from += 10_000) {
    await new Promise<void>((resolve, reject) => {
      const to = Math.min(count, from + 10_000);
      const tx = db.transaction(batches ? 'batches' : 'messages', 'readwrite');
      const store = tx.objectStore(batches ? 'batches' : 'messages');
      if (!batches) for (let seq = from; seq < to; seq++) store.put(message(seq));
      for (let at = from; batches && at < to; at += 500) {
        const items = Array.from({ length: Math.min(500, to - at) }, (_, k) => message(at + k));
        store.add({
          groupId,
          items,
          ids: items.map((m) => m.id),
          orders: items.map((m) => [groupId, m.order, m.id]),
          sents: items.map((m) => [groupId, m.frame.sentAt, m.id]),
        });
      }
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  }
  db.close();
}

/**
 * Init script: `window.benchOpen` resolves with the time the first frame showing `newestSeed` and then "live" last in
 * the log has been rendered.
 */
function watchOpen(newestSeed: string): void {
  (window as unknown as { benchOpen: Promise<number> }).benchOpen = new Promise((resolve) => {
    const check = (): void => {
      const articles = document.querySelectorAll('[role=log] article');
      const last = articles[articles.length - 1]?.querySelector('.body')?.textContent;
      const before = articles[articles.length - 2]?.querySelector('.body')?.textContent;
      if (last === 'live' && before === newestSeed) {
        // This frame paints them: the time is taken in a task posted from it, which runs once the frame's
        // rendering (style, layout, paint, commit) is done, not at the next frame, which later work may delay.
        const ch = new MessageChannel();
        ch.port1.onmessage = () => resolve(performance.now());
        ch.port2.postMessage(null);
      } else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
}
