// A joiner of a long conversation (issue 15): it shows the newest messages as
// soon as it is a member, while the older history still arrives behind them,
// and the top of the log says so ("Loading older messages…", a polite status,
// docs/design.md §6). When the older pages are all in, the status goes away
// and scrolling up reaches the first message, in order, each message once.
// The history is 3 000 signed messages from a Node peer on real WebRTC
// (@roamhq/wrtc) running the shipped runtime: a joiner checks every message's
// signature chain, so a history written straight into a store (as
// long-history.spec.ts seeds one) cannot be handed to it.

import wrtc from '@roamhq/wrtc';
import { createPeer } from '@chorus/peer';
import type { Locator } from '@playwright/test';
import { expect, test } from '../support/fixtures.ts';

const COUNT = 3_000;
const LOADING = 'Loading older messages…';

/** Scrolls the log to the top of what it holds and waits until the older messages it asked for are in. */
const scrollToTop = (log: Locator): Promise<void> =>
  log.evaluate(async (el) => {
    const frame = (): Promise<void> => new Promise((r) => requestAnimationFrame(() => r()));
    el.scrollTop = 0;
    await frame();
    await frame();
    for (let i = 0; i < 600 && el.getAttribute('aria-busy') === 'true'; i++) await frame();
    await frame();
    await frame();
  });

const oldNumber = (body: string): number | null => {
  const m = /^old (\d+)$/.exec(body);
  return m ? Number(m[1]) : null;
};

test('a joiner shows the newest messages while older ones load, then scrolls up to the first', async ({
  user,
  uniqueName,
  baseURL,
}) => {
  test.setTimeout(300_000);
  const group = uniqueName('backlog');
  const ann = createPeer({
    name: 'Ann',
    trackerUrl: baseURL as string,
    wrtc,
    socketOptions: { transports: ['websocket'] },
  });
  try {
    await ann.connect();
    const { groupId } = await ann.createGroup(group, 'fifo');
    await ann.join(groupId);
    for (let i = 1; i <= COUNT; i += 200)
      await Promise.all(
        Array.from({ length: Math.min(200, COUNT - i + 1) }, (_, k) => ann.send(groupId, `old ${i + k}`)),
      );
    await expect.poll(async () => (await ann.history(groupId, { limit: COUNT })).length).toBe(COUNT);

    const alice = user.tab;
    // Every text the page's status lines had, each with the newest message the log showed at that moment.
    await alice.page.evaluate(() => {
      const seen: { status: string; newest: string }[] = [];
      (window as unknown as { olderStatus: typeof seen }).olderStatus = seen;
      const note = (): void => {
        const texts = [...document.querySelectorAll('[role="status"]')].map((s) => s.textContent?.trim() ?? '');
        const status = texts.find((t) => t.includes('older messages')) ?? '';
        const articles = document.querySelectorAll('[role="log"] article');
        const newest = articles[articles.length - 1]?.querySelector('p')?.textContent ?? '';
        const last = seen[seen.length - 1];
        if (!last || last.status !== status || last.newest !== newest) seen.push({ status, newest });
      };
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await alice.join(group);
    const log = alice.log(group);
    const articles = alice.messages(group);
    await expect(articles.last()).toContainText(`old ${COUNT}`);
    const status = alice.page.getByRole('status').filter({ hasText: 'older messages' });
    // The older pages come: the status goes away (and said nothing of a failure meanwhile).
    await expect(alice.page.getByRole('status').filter({ hasText: LOADING })).toHaveCount(0, { timeout: 120_000 });
    await expect(status).toHaveCount(0);
    const seen = await alice.page.evaluate(
      () => (window as unknown as { olderStatus: { status: string; newest: string }[] }).olderStatus,
    );
    // The newest messages were on screen while the older ones were still loading, and the status then cleared.
    expect(seen).toContainEqual({ status: LOADING, newest: `old ${COUNT}` });
    expect(seen.map((s) => s.status).filter((s) => s !== '' && s !== LOADING)).toEqual([]);
    expect(seen.at(-1)?.status).toBe('');

    // The group is usable: what Alice sends reaches Ann.
    await alice.send('hello from alice');
    await expect.poll(async () => (await ann.history(groupId)).map((m) => m.body)).toContain('hello from alice');

    // Scrolling up reaches the first message: one run in order, no gap, no duplicate.
    const numbers = new Set<number>();
    for (const b of await alice.bodies(group)) if (oldNumber(b) !== null) numbers.add(oldNumber(b)!);
    for (let step = 0; ; step++) {
      expect(step, 'scrolling up reaches the first message').toBeLessThan(300);
      await scrollToTop(log);
      const run = (await alice.bodies(group)).map(oldNumber).filter((n): n is number => n !== null);
      run.forEach((n, i) => {
        if (i > 0) expect(n, 'no gap and no duplicate in the log').toBe(run[i - 1]! + 1);
        numbers.add(n);
      });
      if (run[0] === 1) break;
    }
    expect(numbers.size).toBe(COUNT);
  } finally {
    await ann.close();
  }
});
