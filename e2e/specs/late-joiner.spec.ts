// A late joiner gets the whole history from the others, in the same order.

import { expect, test } from '../support/fixtures.ts';

test("a user who joins late sees the whole history in everyone's order", async ({ user, makeUser, uniqueName }) => {
  const group = uniqueName('late');
  await user.tab.createGroup(group, 'Total');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);
  await Promise.all(
    [user.tab, bob].map(async (tab) => {
      for (let i = 1; i <= 6; i++) await tab.send(`${tab.userName} ${i}`);
    }),
  );
  await expect(user.tab.messages(group)).toHaveCount(12);
  await expect(bob.messages(group)).toHaveCount(12);
  const history = await user.tab.bodies(group);

  const carol = (await makeUser('Carol')).tab;
  await carol.join(group);
  await expect(carol.messages(group)).toHaveCount(12);
  expect(await carol.bodies(group)).toEqual(history);

  await carol.send('carol caught up');
  for (const tab of [user.tab, bob, carol]) {
    await expect(tab.messages(group)).toHaveCount(13);
    expect(await tab.bodies(group)).toEqual([...history, 'carol caught up']);
  }
});
