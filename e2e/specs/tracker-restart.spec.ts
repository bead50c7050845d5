// The tracker dies and comes back mid-chat: the mesh keeps carrying messages
// while it is gone, and the directory returns once it is back. Each test owns
// its tracker (its own port), so it can kill it. Both stores: in memory (the
// members re-register the group the new process forgot) and Redis (the
// directory outlives the process).

import { expect, test, type User } from '../support/fixtures.ts';
import { freePort } from '../support/environment.ts';
import { RedisProcess, TrackerProcess } from '../support/tracker-process.ts';

/** See the comment where it is used: the worst observed recovery, with room. */
const RECOVERY_TIMEOUT_MS = 40_000;

async function chatThroughRestart(
  tracker: TrackerProcess,
  group: string,
  alice: User,
  makeBob: () => Promise<User>,
): Promise<void> {
  const a = alice.tab;
  await a.createGroup(group, 'Total');
  const b = (await makeBob()).tab;
  await b.join(group);
  await a.send('before the restart');
  await expect(b.messages(group)).toHaveCount(1);

  await tracker.kill();
  for (const tab of [a, b]) await expect(tab.page.getByRole('status').filter({ hasText: /^Online$/ })).toHaveCount(0);
  await b.send('while the tracker is down');
  await a.send('alice also while down');
  for (const tab of [a, b]) await expect(tab.messages(group)).toHaveCount(3);

  await tracker.start();
  for (const tab of [a, b]) {
    await tab.waitOnline();
    await expect(tab.listed(group)).toBeVisible();
    // Back to two members takes a reconnect (socket.io backoff, up to 5 s), on Redis a takeover of
    // the session the dead process still holds (up to 3 s while its liveness key lives), then a
    // re-join whose transient refusals back off; on a loaded 2-core CI box that has taken 17 s.
    await expect(tab.listed(group)).toContainText('2 online', { timeout: RECOVERY_TIMEOUT_MS });
  }
  await a.send('after the restart');
  await b.send('bob after the restart');
  for (const tab of [a, b]) await expect(tab.messages(group)).toHaveCount(5);
  expect(await a.bodies(group)).toEqual(await b.bodies(group));
  expect(new Set(await a.bodies(group)).size).toBe(5);
  await expect(a.member(group, 'Bob')).toContainText('online');
  for (const tab of [a, b]) await expect(tab.log(group).getByText('pending')).toHaveCount(0);
}

const [memoryPort, redisPort, redisTrackerPort] = [await freePort(), await freePort(), await freePort()];

test.describe('with the in-memory tracker', () => {
  const tracker = new TrackerProcess(memoryPort);
  test.use({ baseURL: tracker.url });
  test.beforeAll(async () => tracker.start());
  test.afterAll(async () => tracker.kill());

  test('pages keep chatting while the tracker restarts and the directory comes back', async ({
    user,
    makeUser,
    uniqueName,
  }) => {
    // About one run in six once left both members "Joining…" here (issue 16): see PROTOCOL.md §2,
    // "Restore", for the two causes (a view id answered with other changes than its push; a
    // re-joining tab's new session missing the views that installed it).
    await chatThroughRestart(tracker, uniqueName('restart-mem'), user, () => makeUser('Bob'));
  });
});

test.describe('with the Redis tracker', () => {
  const redis = new RedisProcess(redisPort);
  const tracker = new TrackerProcess(redisTrackerPort, { REDIS_URL: redis.url });
  test.use({ baseURL: tracker.url });
  test.beforeAll(async () => {
    await redis.start();
    await tracker.start();
  });
  test.afterAll(async () => {
    await tracker.kill();
    await redis.stop();
  });

  test('pages keep chatting while the tracker restarts and the directory comes back', async ({
    user,
    makeUser,
    uniqueName,
  }) => {
    await chatThroughRestart(tracker, uniqueName('restart-redis'), user, () => makeUser('Bob'));
  });
});
