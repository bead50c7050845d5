// A reload shows the history from IndexedDB before the network is back, then
// rejoins and continues with nothing lost and nothing twice.

import { expect, test } from '../support/fixtures.ts';
import { gateTracker } from '../support/offline.ts';
import { storedMessageCount } from '../support/stored-messages.ts';

test('a reloaded tab shows cached history while offline, then catches up', async ({ user, makeUser, uniqueName }) => {
  const group = uniqueName('reload');
  const alice = user.tab;
  await alice.createGroup(group, 'Total');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);
  for (let i = 1; i <= 3; i++) {
    await alice.send(`alice ${i}`);
    await bob.send(`bob ${i}`);
  }
  await expect(alice.messages(group)).toHaveCount(6);
  const before = await alice.bodies(group);
  // Shown is not yet stored (writes are batched): reload once all six are durable.
  await expect.poll(() => storedMessageCount(alice.page)).toBe(6);

  // Keep the tracker out of reach after the reload: the page can only show what it stored.
  const gate = await gateTracker(alice.page);
  await alice.page.reload();
  await expect(alice.messages(group)).toHaveCount(6);
  expect(await alice.bodies(group)).toEqual(before);
  await expect(alice.page.getByRole('status').filter({ hasText: /^Online$/ })).toHaveCount(0);

  // Bob keeps talking while Alice is away.
  await bob.send('bob while away');

  gate.open();
  await alice.waitOnline();
  await alice.expectJoined(group);
  await expect(alice.messages(group).filter({ hasText: 'bob while away' })).toHaveCount(1);
  await alice.send('alice is back');
  for (const tab of [alice, bob]) await expect(tab.messages(group)).toHaveCount(8);
  expect(await alice.bodies(group)).toEqual(await bob.bodies(group));
  expect(new Set(await alice.bodies(group)).size).toBe(8);
});
