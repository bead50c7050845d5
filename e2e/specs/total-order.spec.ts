// Concurrent bursts in a total-order group: every tab shows the same
// messages in the same order, none twice.

import { expect, test } from '../support/fixtures.ts';

/** Messages each tab sends at once: enough to interleave on the wire, few enough for a 2-core machine. */
const BURST = 8;

test('three users and a second tab send concurrent bursts and every page shows one order', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('total');
  await user.tab.createGroup(group, 'Total');
  // A new tab of the profile rejoins Alice's groups by itself (issue 14): let it finish before the others join.
  const aliceTab2 = await user.openTab();
  await aliceTab2.join(group);
  const bob = await makeUser('Bob');
  const carol = await makeUser('Carol');
  for (const tab of [bob.tab, carol.tab]) await tab.join(group);
  const tabs = [user.tab, bob.tab, carol.tab, aliceTab2];
  for (const tab of tabs) await expect(tab.member(group, 'Carol')).toContainText('online');

  await Promise.all(
    tabs.map(async (tab, t) => {
      for (let i = 1; i <= BURST; i++) await tab.send(`${tab.userName}#${t}-${i}`);
    }),
  );

  const total = BURST * tabs.length;
  for (const tab of tabs) await expect(tab.messages(group)).toHaveCount(total);
  const reference = await user.tab.bodies(group);
  expect(new Set(reference).size).toBe(total);
  for (const tab of tabs.slice(1)) expect(await tab.bodies(group)).toEqual(reference);
  // Every message this tab sent reached the delivered state.
  for (const tab of tabs) await expect(tab.log(group).getByText('pending')).toHaveCount(0);

  // Two tabs with one name are one person (one key pair) on two sessions.
  await expect(bob.tab.member(group, 'Alice')).toContainText('2 tabs');
});
