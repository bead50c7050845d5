// The tracker dies and comes back mid-chat: the mesh keeps carrying messages
// while it is gone, and the directory returns once it is back. This test owns
// its tracker (its own port), so it can kill it. The directory lives in Redis:
// an in-memory tracker forgets its groups when it stops, by design.

import { expect, test } from '../support/fixtures.ts';
import { freePort } from '../support/environment.ts';
import { RedisProcess, TrackerProcess } from '../support/tracker-process.ts';

const redis = new RedisProcess(await freePort());
const tracker = new TrackerProcess(await freePort(), { REDIS_URL: redis.url });
test.use({ baseURL: tracker.url });
test.beforeAll(async () => {
  await redis.start();
  await tracker.start();
});
test.afterAll(async () => {
  await tracker.kill();
  await redis.stop();
});

test('pages keep chatting while the tracker restarts and the directory comes back', async ({ user, makeUser, uniqueName }) => {
  const group = uniqueName('restart');
  const alice = user.tab;
  await alice.createGroup(group, 'Total');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);
  await alice.send('before the restart');
  await expect(bob.messages(group)).toHaveCount(1);

  await tracker.kill();
  for (const tab of [alice, bob]) await expect(tab.page.getByRole('status').filter({ hasText: /^Online$/ })).toHaveCount(0);
  await bob.send('while the tracker is down');
  await alice.send('alice also while down');
  for (const tab of [alice, bob]) await expect(tab.messages(group)).toHaveCount(3);

  await tracker.start();
  for (const tab of [alice, bob]) {
    await tab.waitOnline();
    await expect(tab.listed(group)).toBeVisible();
  }
  await alice.send('after the restart');
  await bob.send('bob after the restart');
  for (const tab of [alice, bob]) await expect(tab.messages(group)).toHaveCount(5);
  expect(await alice.bodies(group)).toEqual(await bob.bodies(group));
  expect(new Set(await alice.bodies(group)).size).toBe(5);
  await expect(alice.member(group, 'Bob')).toContainText('online');
});
