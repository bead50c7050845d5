// A user's browser dies mid-burst: the others see them go offline within the
// heartbeat timeout and keep chatting in one order.

import { expect, test } from '../support/fixtures.ts';
import { HEARTBEAT_TIMEOUT_MS } from '../support/tracker-settings.ts';

/** Long enough that the browser is closed while Carol is still typing. */
const CAROL_BURST = 60;
/**
 * Detection is bounded by the heartbeat timeout; the slack covers the view change reaching the page on a loaded
 * machine.
 */
const DETECTION_SLACK_MS = 7_000;

test('a crashed user goes offline for everyone and the rest keep one order', async ({ user, makeUser, uniqueName }) => {
  const group = uniqueName('crash');
  await user.tab.createGroup(group, 'Total');
  const bob = await makeUser('Bob');
  const carol = await makeUser('Carol');
  await bob.tab.join(group);
  await carol.tab.join(group);
  const survivors = [user.tab, bob.tab];
  for (const tab of survivors) await expect(tab.member(group, 'Carol')).toContainText('online');

  // Carol bursts; her browser is closed while the burst is still going.
  const burst = (async () => {
    for (let i = 1; i <= CAROL_BURST; i++) await carol.tab.send(`carol ${i}`);
    return 'finished';
  })().catch(() => 'interrupted');
  await expect(user.tab.messages(group).filter({ hasText: 'carol 3' }).first()).toBeVisible();
  await carol.crash();
  expect(await burst, 'the crash must come in the middle of the burst').toBe('interrupted');

  for (const tab of survivors) {
    await expect(tab.member(group, 'Carol')).toContainText('offline', {
      timeout: HEARTBEAT_TIMEOUT_MS + DETECTION_SLACK_MS,
    });
    await expect(tab.log(group)).toContainText('Carol went offline');
  }

  await Promise.all(
    survivors.map(async (tab) => {
      for (let i = 1; i <= 5; i++) await tab.send(`${tab.userName} after ${i}`);
    }),
  );
  // Not anchored at the end: an article also holds its message actions (Reply, React, …) after the text.
  for (const tab of survivors) await expect(tab.messages(group).filter({ hasText: / after \d(?!\d)/ })).toHaveCount(10);
  // Same messages (including however much of Carol's burst survived), same order, nothing twice.
  await expect
    .poll(async () => JSON.stringify(await bob.tab.bodies(group)))
    .toBe(JSON.stringify(await user.tab.bodies(group)));
  const bodies = await user.tab.bodies(group);
  expect(new Set(bodies).size).toBe(bodies.length);
  for (const tab of survivors) await expect(tab.log(group).getByText('pending')).toHaveCount(0);
});
