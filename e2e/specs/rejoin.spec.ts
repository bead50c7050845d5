// Leaving a group and joining it again from the same tab: what was said before
// is still there, and what is said after shows up too (a tab keeps its peer
// session, so its message ids must not start over).

import { expect, test } from '../support/fixtures.ts';

test('a user who leaves and joins again keeps the history and can keep talking', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('again');
  const alice = user.tab;
  await alice.createGroup(group, 'Total');
  await alice.send('before leaving');
  await expect(alice.messages(group)).toContainText('delivered');

  await alice.leave(group);
  await alice.join(group);
  await expect(alice.messages(group)).toHaveCount(1);
  await alice.send('after joining again');
  await expect(alice.messages(group)).toHaveCount(2);
  expect(await alice.bodies(group)).toEqual(['before leaving', 'after joining again']);

  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);
  await expect(bob.messages(group)).toHaveCount(2);
  expect(await bob.bodies(group)).toEqual(['before leaving', 'after joining again']);
});
