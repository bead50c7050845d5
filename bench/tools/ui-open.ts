// Diagnostic: where a reload of the chat page goes until the newest messages
// of a group holding N stored messages are painted. One
// page, one group, N messages written straight into its IndexedDB (as the
// ui-log scenario does), then R reloads, each traced; prints the main
// thread's top-level tasks by kind and the page's own marks.
//   npx tsx bench/tools/ui-open.ts 100000 [reloads] [dist]
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../lib/browser.ts';
import { selfTimes, type CpuProfile } from '../lib/cpu-profile.ts';
import { freePort } from '../lib/free-port.ts';
import { groupIdIn, seed } from '../scenarios/ui-log.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const size = Number(process.argv[2] ?? 100_000);
const reloads = Number(process.argv[3] ?? 3);
const dist = process.argv[4] ?? join(ROOT, 'apps/web/dist');

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  tid: number;
  pid: number;
  args?: Record<string, unknown>;
}

const port = await freePort();
const tracker = spawn(process.execPath, ['--import', 'tsx', 'apps/tracker/src/main.ts'], {
  cwd: ROOT,
  stdio: 'ignore',
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', WEB_DIST: dist, LOG_LEVEL: 'warn' },
});
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${url}/healthz`)).ok) break;
  } catch {
    // not up yet
  }
  if (i > 300) throw new Error('no tracker');
  await new Promise((r) => setTimeout(r, 100));
}
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const context = await browser.newContext();
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByRole('textbox', { name: 'Display name' }).fill('Bench');
  await page.getByRole('button', { name: 'Continue' }).click();
  const group = `open-${Date.now().toString(36)}`;
  await page.getByRole('textbox', { name: 'Group name' }).fill(group);
  await page.getByRole('radiogroup', { name: 'Ordering' }).getByRole('radio', { name: 'FIFO' }).check();
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('log', { name: `Messages in ${group}` }).waitFor({ timeout: 60_000 });
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill('live');
  await box.press('Enter');
  let groupId: string | null = null;
  while (groupId === null) {
    await page.waitForTimeout(100);
    groupId = await page.evaluate(groupIdIn, 'live');
  }
  await page.evaluate(seed, { groupId, count: size - 1 });
  await page.addInitScript(
    (newest: string) => {
      (window as unknown as { benchOpen: Promise<number> }).benchOpen = new Promise((resolve) => {
        const check = (): void => {
          const a = document.querySelectorAll('[role=log] article');
          const last = a[a.length - 1]?.querySelector('.body')?.textContent;
          const before = a[a.length - 2]?.querySelector('.body')?.textContent;
          if (last === 'live' && before === newest) {
            // This frame paints them: the time is taken in a task posted from it, which runs once the frame's
            // rendering (style, layout, paint, commit) is done, not at the next frame, which later work may delay.
            const ch = new MessageChannel();
            ch.port1.onmessage = () => resolve(performance.now());
            ch.port2.postMessage(null);
          } else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      });
    },
    `seed ${size - 2}`,
  );
  for (let r = 0; r < reloads; r++) {
    await browser.startTracing(page, {
      categories: [
        'devtools.timeline',
        'disabled-by-default-devtools.timeline',
        'blink.user_timing',
        'v8.execute',
        'IndexedDB',
      ],
    });
    const cdp = process.env['OPEN_PROFILE'] ? await context.newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
      await cdp.send('Profiler.start');
    }
    await page.reload();
    const openMs = await page.evaluate(() => (window as unknown as { benchOpen: Promise<number> }).benchOpen);
    const marks = await page.evaluate(() =>
      performance
        .getEntriesByType('mark')
        .map((m) => `${m.name}@${m.startTime.toFixed(0)}`)
        .join(' '),
    );
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return `responseEnd ${n.responseEnd.toFixed(0)} domInteractive ${n.domInteractive.toFixed(0)} load ${n.loadEventEnd.toFixed(0)}`;
    });
    const buf = await browser.stopTracing();
    if (cdp) writeProfile(`${process.env['OPEN_PROFILE']}-${r}.txt`, (await cdp.send('Profiler.stop')).profile);
    if (process.env['OPEN_TRACE']) writeFileSync(`${process.env['OPEN_TRACE']}-${r}.json`, buf);
    console.log(`reload ${r}: open ${openMs.toFixed(0)} ms; ${nav}; marks: ${marks}`);
    summarize((JSON.parse(buf.toString()) as { traceEvents: TraceEvent[] }).traceEvents, openMs);
    await page.waitForTimeout(1_000);
  }
} finally {
  await browser.close();
  tracker.kill();
}

/** OPEN_PROFILE: the reload's script time by function, self time. */
function writeProfile(path: string, profile: CpuProfile): void {
  const top = selfTimes(profile).slice(0, 80);
  writeFileSync(path, top.map(([name, ms]) => `${ms.toFixed(1).padStart(8)} ms  ${name}`).join('\n') + '\n');
}

/** Main-thread events of the renderer up to the open: top-level tasks and their biggest children. */
function summarize(events: TraceEvent[], openMs: number): void {
  const mains = events.filter((e) => e.name === 'thread_name' && e.args?.['name'] === 'CrRendererMain');
  // After a reload the page may be in a new renderer: take the main thread with the most work.
  let best: TraceEvent | undefined;
  let bestDur = -1;
  for (const m of mains) {
    const d = events
      .filter((e) => e.pid === m.pid && e.tid === m.tid && e.ph === 'X')
      .reduce((s, e) => s + (e.dur ?? 0), 0);
    if (d > bestDur) [best, bestDur] = [m, d];
  }
  if (!best) return;
  const mine = events
    .filter((e) => e.pid === best.pid && e.tid === best.tid && e.ph === 'X' && e.dur !== undefined)
    .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const nav = events.find((e) => e.name === 'navigationStart' && e.pid === best.pid);
  const t0 = nav?.ts ?? mine[0]?.ts ?? 0;
  const end = t0 + openMs * 1_000;
  const self = new Map<string, number>();
  const stack: { end: number; name: string }[] = [];
  let busy = 0;
  for (const e of mine) {
    if (e.ts > end) break;
    while (stack.length > 0 && stack[stack.length - 1]!.end <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    const data = (e.args?.['data'] ?? {}) as Record<string, unknown>;
    const detail = String(data['url'] ?? data['functionName'] ?? data['type'] ?? '')
      .split('/')
      .pop();
    const name = `${e.name}${detail ? ` ${detail}` : ''}`;
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - e.dur!);
    else busy += e.dur!;
    self.set(name, (self.get(name) ?? 0) + e.dur!);
    stack.push({ end: e.ts + e.dur!, name });
  }
  console.log(`  main thread busy ${(busy / 1_000).toFixed(0)} ms of ${openMs.toFixed(0)} ms`);
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 18))
    console.log(`  ${(us / 1_000).toFixed(1).padStart(7)} ms  ${name.slice(0, 110)}`);
  // Top-level tasks over 5 ms, in time order: what the open waited on.
  for (const e of mine) {
    if (e.ts > end) break;
    if (e.dur! >= 5_000 && (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask'))
      console.log(`    task at ${((e.ts - t0) / 1_000).toFixed(0)} ms: ${(e.dur! / 1_000).toFixed(1)} ms`);
  }
}
