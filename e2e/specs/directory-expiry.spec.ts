// Empty groups leave the directory (issue 14, point 5; apps/tracker README,
// EMPTY_GROUP_TTL_MS): on a tracker of its own whose TTL is 4 s, a group
// everyone left shows "0 online" for a while, then goes from every page's
// directory and its name is free again; a group someone is in stays.

import { expect, test } from '../support/fixtures.ts';
import { freePort } from '../support/environment.ts';
import { TrackerProcess } from '../support/tracker-process.ts';

const tracker = new TrackerProcess(await freePort(), { EMPTY_GROUP_TTL_MS: '4000' });
test.use({ baseURL: tracker.url });
test.beforeAll(async () => tracker.start());
test.afterAll(async () => tracker.kill());

test('a group nobody is in leaves the directory after the configured time; an occupied one stays', async ({
  makeUser,
}) => {
  const alice = (await makeUser('Alice')).tab;
  await alice.createGroup('occupied', 'FIFO');
  await alice.createGroup('deserted', 'Total');
  const bob = (await makeUser('Bob')).tab;
  await expect(bob.listed('deserted')).toContainText('1 online');
  await expect(bob.listed('occupied')).toContainText('1 online');

  await alice.leave('deserted');
  await expect(bob.listed('deserted')).toContainText('0 online');
  for (const tab of [alice, bob]) await expect(tab.listed('deserted')).toHaveCount(0);
  for (const tab of [alice, bob]) await expect(tab.listed('occupied')).toContainText('1 online');

  // Its name is free: Bob makes a new group under it.
  await bob.createGroup('deserted', 'FIFO');
  await expect(alice.listed('deserted')).toContainText('1 online');
  await expect(alice.listed('deserted')).toContainText('FIFO');
});
