// One user in two groups at once: the group that is not open counts unread messages.

import { expect, test } from '../support/fixtures.ts';

test('unread counts rise in the group that is not open and clear when it is opened', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  const first = uniqueName('first');
  const second = uniqueName('second');
  const alice = user.tab;
  await alice.createGroup(first, 'Total');
  await alice.createGroup(second, 'FIFO');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(first);
  await bob.join(second);

  await alice.open(first);
  await bob.open(second);
  for (let i = 1; i <= 3; i++) await bob.send(`in second ${i}`);

  await expect.poll(() => alice.unread(second)).toBe(3);
  expect(await alice.unread(first)).toBe(0);
  await expect(alice.messages(first)).toHaveCount(0);

  await alice.open(second);
  await expect(alice.messages(second)).toHaveCount(3);
  await expect.poll(() => alice.unread(second)).toBe(0);

  await bob.open(first);
  await bob.send('in first 1');
  await bob.send('in first 2');
  await expect.poll(() => alice.unread(first)).toBe(2);
  expect(await alice.unread(second)).toBe(0);
});
