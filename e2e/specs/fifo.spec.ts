// A FIFO group: each sender's messages appear in the order they were sent, on every page.

import { expect, test } from '../support/fixtures.ts';

const BURST = 10;

test("every page shows each sender's messages in send order", async ({ user, makeUser, uniqueName }) => {
  const group = uniqueName('fifo');
  await user.tab.createGroup(group, 'FIFO');
  const bob = await makeUser('Bob');
  const carol = await makeUser('Carol');
  await bob.tab.join(group);
  await carol.tab.join(group);
  const tabs = [user.tab, bob.tab, carol.tab];
  for (const tab of tabs) await expect(tab.member(group, 'Carol')).toContainText('online');

  await Promise.all(
    tabs.map(async (tab) => {
      for (let i = 1; i <= BURST; i++) await tab.send(`${tab.userName}:${i}`);
    }),
  );

  for (const tab of tabs) {
    await expect(tab.messages(group)).toHaveCount(BURST * tabs.length);
    const bodies = await tab.bodies(group);
    for (const sender of ['Alice', 'Bob', 'Carol']) {
      const mine = bodies.filter((b) => b.startsWith(`${sender}:`));
      expect(mine, `${sender}'s messages on ${tab.userName}'s page`).toEqual(
        Array.from({ length: BURST }, (_, i) => `${sender}:${i + 1}`),
      );
    }
  }
});
