// The disk fills up: a banner says so, every message stays on screen, and once
// there is room again they are all saved (a reload shows them from IndexedDB).

import { expect, test } from '../support/fixtures.ts';
import { DISK_FULL_SCRIPT, setDiskFull } from '../support/disk-full.ts';
import { gateTracker } from '../support/offline.ts';

test('a full disk shows a banner, loses nothing, and everything is saved once there is room', async ({
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('disk');
  const alice = (await makeUser('Alice', { initScripts: [DISK_FULL_SCRIPT] })).tab;
  await alice.createGroup(group, 'Total');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);
  await bob.send('saved before');
  await expect(alice.messages(group)).toHaveCount(1);

  await setDiskFull(alice.page, true);
  for (let i = 1; i <= 3; i++) await bob.send(`while full ${i}`);
  await expect(alice.messages(group)).toHaveCount(4);
  const banner = alice.page.getByRole('alert').filter({ hasText: 'no room left to save history' });
  await expect(banner).toBeVisible();

  await setDiskFull(alice.page, false);
  await expect(banner).toHaveCount(0);

  const gate = await gateTracker(alice.page);
  await alice.page.reload();
  await expect(alice.messages(group)).toHaveCount(4);
  expect(await alice.bodies(group)).toEqual(['saved before', 'while full 1', 'while full 2', 'while full 3']);
  gate.open();
  await alice.waitOnline();
});
