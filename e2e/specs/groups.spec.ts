// Create, join, leave, and a locked group refusing a wrong password.

import { expect, test } from '../support/fixtures.ts';

test('a user creates a group, another joins it, sees who is there, and leaves', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  const room = uniqueName('room');
  const alice = user.tab;
  await alice.createGroup(room, 'Total');
  // Creating opens the group, and the form says so.
  await expect(alice.log(room)).toBeVisible();
  await expect(alice.page.getByRole('status').filter({ hasText: `Created ${room}.` })).toBeVisible();
  await expect(alice.listed(room)).toContainText('Total');
  await expect(alice.listed(room)).toContainText('1 online');

  const bob = (await makeUser('Bob')).tab;
  await expect(bob.listed(room)).toContainText('1 online');
  await bob.join(room);
  await expect(bob.member(room, 'Alice')).toContainText('online');
  await expect(alice.member(room, 'Bob')).toContainText('online');
  await expect(alice.listed(room)).toContainText('2 online');

  await bob.send('hello from bob');
  await expect(alice.messages(room).filter({ hasText: 'hello from bob' })).toContainText('Bob');

  await bob.leave(room);
  await expect(bob.navLink(room)).toHaveCount(0);
  await expect(bob.listed(room)).toContainText('1 online');
  await expect(alice.member(room, 'Bob')).toContainText('offline');
  await expect(alice.log(room)).toContainText('Bob left');
});

test('a locked group refuses a wrong password with a clear message and accepts the right one', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  const vault = uniqueName('vault');
  await user.tab.createGroup(vault, 'FIFO', 'sesame');

  const bob = (await makeUser('Bob')).tab;
  const item = bob.listed(vault);
  await expect(item.getByRole('img', { name: 'Password required' })).toBeVisible();
  await expect(item).toContainText('FIFO');

  await bob.pressJoin(vault, 'open up');
  await expect(item.getByRole('alert')).toHaveText(`Wrong password for ${vault}. Try again.`);
  await expect(bob.navLink(vault)).toHaveCount(0);
  await expect(user.tab.member(vault, 'Bob')).toHaveCount(0);

  await item.getByRole('textbox', { name: `Password for ${vault}` }).fill('sesame');
  await item.getByRole('button', { name: 'Join' }).click();
  await bob.expectJoined(vault);
  await expect(item.getByRole('alert')).toHaveCount(0);
  await expect(user.tab.member(vault, 'Bob')).toContainText('online');
});
