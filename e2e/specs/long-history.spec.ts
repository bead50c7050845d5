// A group with thousands of stored messages (issue 15): it opens at its
// newest messages with only a window of them in the DOM; scrolling up reads
// older pages from the store, in order, with no duplicate and no gap, and the
// message on screen stays in place; a message arriving while scrolled up does
// not move the view, and "Jump to newest" brings it back (docs/design.md §6).

import type { Locator } from '@playwright/test';
import { expect, test } from '../support/fixtures.ts';
import { seedHistory, storedGroupId } from '../support/seed-history.ts';
import { storedMessageCount } from '../support/stored-messages.ts';

const SEEDED = 2_000;

/** What the log shows: its message bodies in order, and the one at the top of the screen. */
const snapshot = (log: Locator): Promise<{ bodies: string[]; top: string }> =>
  log.evaluate((el) => {
    const articles = [...el.querySelectorAll('article')];
    const body = (a: Element): string => a.querySelector('p')?.textContent ?? '';
    const edge = el.getBoundingClientRect().top;
    const top = articles.find((a) => a.getBoundingClientRect().top >= edge);
    return { bodies: articles.map(body), top: top ? body(top) : '' };
  });

/**
 * Scrolls the log to the top of what it holds (a flick of the wheel), and waits until the older messages it asked for
 * are in.
 */
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

const seedNumber = (body: string): number => {
  const m = /^seed (\d+)$/.exec(body);
  if (!m) throw new Error(`not a seeded message: ${body}`);
  return Number(m[1]);
};

test('a long stored history opens at the newest, scrolls up in order, and stays put while messages arrive', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  test.setTimeout(300_000);
  const group = uniqueName('archive');
  const alice = user.tab;
  await alice.createGroup(group, 'FIFO');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);
  await alice.send('live 1');
  await expect(bob.messages(group)).toHaveCount(1);
  await expect.poll(() => storedMessageCount(alice.page)).toBe(1);
  const groupId = await storedGroupId(alice.page, group);
  await seedHistory(alice.page, groupId, SEEDED);

  await alice.page.reload();
  await alice.waitOnline();
  const log = alice.log(group);
  const articles = alice.messages(group);
  // Opens at the newest: the live message is on screen, the newest seeded one just above it.
  await expect(articles.last()).toContainText('live 1');
  await expect(articles.last()).toBeInViewport();
  const shown = await alice.bodies(group);
  expect(shown.at(-2)).toBe(`seed ${SEEDED - 1}`);
  // Windowed: a run of the newest, far fewer than the group holds.
  expect(shown.length).toBeLessThan(300);

  // Scroll up to the top of what the log shows again and again: each time the window moves up (reading
  // older pages from the store), the DOM holds one run in order, and the message that was at the top stays there.
  const seen = new Set<number>();
  let arrived = false;
  for (let step = 0; ; step++) {
    expect(step, 'scrolling up reaches the first message').toBeLessThan(200);
    const before = await snapshot(log);
    await scrollToTop(log);
    const { bodies, top } = await snapshot(log);
    for (const b of before.bodies) if (b.startsWith('seed ')) seen.add(seedNumber(b));
    const run = bodies.filter((b) => b.startsWith('seed ')).map(seedNumber);
    run.forEach((n, i) => {
      if (i > 0) expect(n, 'no gap and no duplicate in the log').toBe(run[i - 1]! + 1);
      seen.add(n);
    });
    if (run[0] === 0 && before.bodies[0] === 'seed 0') break;
    // The window moved up and the view did not jump: what was first in the DOM is where the person left it.
    expect(run[0]!).toBeLessThan(seedNumber(before.bodies.find((b) => b.startsWith('seed '))!));
    expect(top).toBe(before.bodies[0]);

    if (!arrived && step === 3) {
      // A message arriving while scrolled up does not move the view; the button counts it.
      await bob.send('while you read');
      await expect(alice.page.getByRole('button', { name: 'Jump to newest (1 new)' })).toBeVisible();
      expect((await snapshot(log)).top).toBe(top);
      arrived = true;
    }
  }
  expect(arrived).toBe(true);
  expect(seen.size).toBe(SEEDED);
  expect(await alice.bodies(group).then((b) => b[0])).toBe('seed 0');

  await alice.page.getByRole('button', { name: /^Jump to newest/ }).click();
  await expect(articles.last()).toContainText('while you read');
  await expect(articles.last()).toBeInViewport();
  await expect(alice.page.getByRole('button', { name: /^Jump to newest/ })).toHaveCount(0);
});

test('the first messages arriving in an empty group are not hidden from screen readers by a busy log', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('fresh');
  const alice = user.tab;
  await alice.createGroup(group, 'FIFO');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);
  // Whether the log was aria-busy (a screen reader then does not announce it) each time an article went in.
  await alice.log(group).evaluate((el) => {
    const busy: string[] = [];
    (window as unknown as { busyAtArrival: string[] }).busyAtArrival = busy;
    new MutationObserver((changes) => {
      for (const c of changes)
        if ([...c.addedNodes].some((n) => n instanceof HTMLElement && n.tagName === 'ARTICLE'))
          busy.push(el.getAttribute('aria-busy') ?? 'absent');
    }).observe(el, { childList: true });
  });
  await bob.send('first');
  await bob.send('second');
  await expect(alice.messages(group)).toHaveCount(2);
  const busy = await alice.page.evaluate(() => (window as unknown as { busyAtArrival: string[] }).busyAtArrival);
  expect(busy.length).toBeGreaterThan(0);
  expect(busy.filter((b) => b === 'true')).toEqual([]);
});
