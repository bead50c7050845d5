// Scenario 8: the chat page with a long conversation (issue 15) — the real
// app (apps/web/dist, served by a real tracker) in headless Chromium, driven
// through its UI: main-thread time per delivered message with 100, 10 000
// and 100 000 messages in the group, and how long a reload takes to paint the
// newest messages of a group holding that many in IndexedDB.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../lib/browser.ts';
import type { BenchContext } from '../lib/context.ts';
import { freePort } from '../lib/free-port.ts';
import { checkTarget, errorText, putSpread, ScenarioBuilder, type Row, type ScenarioReport } from '../lib/report.ts';
import { percentile } from '../lib/stats.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const THIS_BUILD = join(ROOT, 'apps/web/dist');
/** Messages typed and timed per size (after WARMUP untimed ones). */
const WARMUP = 3;
/** After a message shows as delivered, time also what the page does in the next moment (the log's layout, the store write). */
const SETTLE_MS = 150;

interface Sample { readonly perMessageMs: readonly number[]; readonly scriptMs: readonly number[]; readonly openMs: number }

export const runUiLog = async (ctx: BenchContext): Promise<ScenarioReport> => {
  const override = process.env['BENCH_UI_SIZES']?.split(',').map(Number).filter((x) => Number.isInteger(x) && x > 1) ?? [];
  const sizes = override.length > 0 ? override : ctx.smoke ? [100] : [100, 10_000, 100_000];
  const typed = ctx.smoke ? 3 : ctx.quick ? 12 : 25;
  const runs = ctx.quick ? 1 : 2;
  const baseline = process.env['BENCH_UI_BASELINE_DIST'];
  const b = new ScenarioBuilder('ui-log', '8. Chat page with a long conversation', ctx.mode, [
    { key: 'build', header: 'build', kind: 'text' },
    { key: 'messages', header: 'messages in the group', kind: 'value', digits: 0 },
    { key: 'held', header: 'held by the page', kind: 'value', digits: 0 },
    { key: 'main_ms_per_message_p50', header: 'main thread ms / message, p50', kind: 'spread', digits: 1 },
    { key: 'script_ms_per_message_p50', header: 'of which script, p50', kind: 'spread', digits: 1 },
    { key: 'open_ms', header: 'reload → newest painted, ms', kind: 'spread', digits: 0 },
  ], [
    'The app as shipped (apps/web/dist served by apps/tracker) in headless Chromium (Debian /usr/bin/chromium), one user in a FIFO group. The group holds the given number of messages: all but one written straight into its IndexedDB (the app\'s schema, lamport 0 so they sort before the live one), then the page is reloaded.',
    `Open: from the reload's navigation start to the frame after the newest two messages are in the log (performance.now() in the page). Per message: ${typed} messages typed through the composer (Playwright fill + Enter) after ${WARMUP} untimed ones, each timed from before the keystrokes until ${SETTLE_MS} ms after it shows "✓ delivered", as Chromium's TaskDuration (CDP Performance.getMetrics: all main-thread tasks of the page, idle timers included); the row gives the median over the messages.`,
    'Baseline: the app of commit 8e8ca76 (before issue 15: every message re-sorts the whole map and rebuilds the timeline, every article is in the DOM), built against the same runtime packages, when BENCH_UI_BASELINE_DIST names its build. That runtime reads only the newest page of a group on open (history({ before })), so the old app holds its 1 000-message cache, not the whole store; with the old runtime it read every stored message on open.',
    `${runs} run(s) per size, each in a fresh browser context.`,
  ]);
  const builds: [string, string][] = [['this build', THIS_BUILD]];
  if (baseline) builds.push(['8e8ca76 (baseline)', baseline]);
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build-web-if-needed.mjs')], { cwd: ROOT, stdio: 'ignore' });
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
          const row: Row = { build: label, messages: size, held: label === 'this build' ? Math.min(size, 200) : Math.min(size, 1_000) };
          try {
            for (let run = 0; run < runs; run++) samples.push(await measure(browser, tracker.url, size, typed));
          } catch (e) {
            b.failRow(row, errorText(e));
            continue;
          }
          putSpread(row, 'main_ms_per_message_p50', samples.map((s) => percentile(s.perMessageMs, 0.5)));
          putSpread(row, 'script_ms_per_message_p50', samples.map((s) => percentile(s.scriptMs, 0.5)));
          putSpread(row, 'open_ms', samples.map((s) => s.openMs));
          row['main_ms_per_message_all'] = samples.flatMap((s) => s.perMessageMs.map((v) => Math.round(v * 10) / 10));
          b.rows.push(row);
          console.log(`  ${label}, ${size} messages: ${String(row['main_ms_per_message_p50'])} ms/message (script ${String(row['script_ms_per_message_p50'])}), open ${String(row['open_ms'])} ms`);
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
    b.targets.push(checkTarget('main thread ≤ 8 ms per delivered message, p50', `this build, ${String(row['messages'])} messages`, row['main_ms_per_message_p50'], '<=', 8));
    if (row['messages'] === 100_000) b.targets.push(checkTarget('open a group of 100 000 stored messages, newest painted ≤ 300 ms', 'this build, 100000 messages', row['open_ms'], '<=', 300));
  }
  return b.finish();
};

async function startTracker(dist: string): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'apps/tracker/src/main.ts'], {
    cwd: ROOT, stdio: 'ignore',
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
  const context = await browser.newContext();
  // tsx keeps function names with a helper the page does not have: functions handed to evaluate need it there.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.getByRole('textbox', { name: 'Display name' }).fill('Bench');
    await page.getByRole('button', { name: 'Continue' }).click();
    const group = `bench-${Date.now().toString(36)}`;
    await page.getByRole('textbox', { name: 'Group name' }).fill(group);
    await page.getByRole('radiogroup', { name: 'Ordering' }).getByRole('radio', { name: 'FIFO' }).check();
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('log', { name: `Messages in ${group}` }).waitFor();
    await send(page, 'live');
    // Reload only once the live message is durable: the page can only show what it stored.
    let groupId: string | null = null;
    for (let i = 0; groupId === null; i++) {
      if (i > 300) throw new Error('the live message was not stored within 30 s');
      groupId = await page.evaluate(groupIdIn, 'live');
      if (groupId === null) await page.waitForTimeout(100);
    }
    await page.evaluate(seed, { groupId, count: size - 1 });
    progress(`${size}: seeded group ${groupId}; stored: ${await page.evaluate(() => new Promise<number>((resolve) => {
      const open = indexedDB.open('chorus');
      open.onsuccess = () => { const c = open.result.transaction('messages').objectStore('messages').count(); c.onsuccess = () => resolve(c.result); };
    }))}`);
    await page.addInitScript(watchOpen, `seed ${size - 2}`);
    await page.reload();
    const openMs = await page.evaluate(() => Promise.race([
      (window as unknown as { benchOpen: Promise<number> }).benchOpen,
      new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`the newest messages were not painted within 20 s of the reload; the log ends with ${JSON.stringify([...document.querySelectorAll('[role=log] article .body')].slice(-3).map((e) => e.textContent))}`)), 20_000)),
    ]));
    progress(`${size}: open ${openMs.toFixed(0)} ms`);
    await page.getByRole('status').filter({ hasText: /^Online$/ }).waitFor({ timeout: 60_000 });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const seconds = async (): Promise<[number, number]> => {
      const metrics = (await cdp.send('Performance.getMetrics')).metrics;
      const of = (name: string): number => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
      return [of('TaskDuration'), of('ScriptDuration')];
    };
    const perMessageMs: number[] = [];
    const scriptMs: number[] = [];
    for (let i = 0; i < WARMUP + typed; i++) {
      const [task0, script0] = await seconds();
      await send(page, `m${i}`);
      await page.waitForTimeout(SETTLE_MS);
      const [task1, script1] = await seconds();
      progress(`${size}: message ${i} ${((task1 - task0) * 1_000).toFixed(1)} ms`);
      if (i >= WARMUP) {
        perMessageMs.push((task1 - task0) * 1_000);
        scriptMs.push((script1 - script0) * 1_000);
      }
    }
    return { perMessageMs, scriptMs, openMs };
  } finally {
    await context.close();
  }
}

const progress = (line: string): void => {
  if (process.env['BENCH_VERBOSE']) console.log(`    ${line}`);
};

/** Types a message and waits until the log's last article is it, delivered. */
async function send(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
  await page.waitForFunction((text) => {
    const articles = document.querySelectorAll('[role=log] article');
    const last = articles[articles.length - 1];
    return last?.querySelector('.body')?.textContent === text && last.textContent?.includes('delivered') === true && !last.textContent.includes('pending');
  }, text, { polling: 20, timeout: 60_000 });
}

/** The group id of the stored message `body`, or null until it is durable (runs in the page). */
function groupIdIn(body: string): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('chorus');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const all = db.transaction('messages').objectStore('messages').getAll();
      all.onsuccess = () => {
        db.close();
        resolve((all.result as { groupId: string; frame: { body: string } }[]).find((m) => m.frame.body === body)?.groupId ?? null);
      };
      all.onerror = () => reject(all.error);
    };
  });
}

/** Writes `count` messages of the group into the page's IndexedDB, 10 000 per transaction (runs in the page). */
async function seed({ groupId, count }: { groupId: string; count: number }): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open('chorus');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => resolve(open.result);
  });
  const pad = (n: number): string => String(n).padStart(16, '0');
  const start = Date.now() - count * 1_000;
  const sender = 'bench-archive';
  for (let from = 0; from < count; from += 10_000) {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('messages', 'readwrite');
      const store = tx.objectStore('messages');
      for (let seq = from; seq < Math.min(count, from + 10_000); seq++) {
        const sentAt = start + seq * 1_000;
        store.put({
          id: `${groupId}/${sender}:${seq}`, groupId, senderName: 'Archive', deliveredAt: sentAt, order: `${pad(0)}:${sender}:${pad(seq)}`,
          frame: { t: 'data', groupId, viewId: 1, sender, seq, lamport: 0, sentAt, body: `seed ${seq}`, sig: 'seeded' },
        });
      }
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  }
  db.close();
}

/** Init script: `window.benchOpen` resolves with the time of the first frame showing `newestSeed` and then "live" last in the log. */
function watchOpen(newestSeed: string): void {
  (window as unknown as { benchOpen: Promise<number> }).benchOpen = new Promise((resolve) => {
    const check = (): void => {
      const articles = document.querySelectorAll('[role=log] article');
      const last = articles[articles.length - 1]?.querySelector('.body')?.textContent;
      const before = articles[articles.length - 2]?.querySelector('.body')?.textContent;
      if (last === 'live' && before === newestSeed) requestAnimationFrame(() => resolve(performance.now()));
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
}
