// A member who lies about the time (issue 12): a validly signed DATA whose
// `sentAt` is the last moment the Date range can show (MAX_SENT_AT_MS,
// 8.64e15, year 275760) or one past it. The member is a Node peer on real
// WebRTC (@roamhq/wrtc) running the shipped runtime with its clock set
// forward for one message at a time. The parser accepts the first and refuses
// the second (PROTOCOL.md §1.2); the web log shows the first under its own
// day separator. Before the cap, `toISOString()` threw on such a stored
// message and the group view broke every time it opened: this is the
// regression test, through the UI, across a reload.

import wrtc from '@roamhq/wrtc';
import { createPeer } from '@chorus/peer';
import { MAX_SENT_AT_MS, type GroupId } from '@chorus/protocol';
import { expect, test } from '../support/fixtures.ts';
import { storedMessageCount } from '../support/stored-messages.ts';

test('a sentAt at or past the end of the Date range never breaks the group view, also after a reload', async ({
  user,
  uniqueName,
  baseURL,
}) => {
  const group = uniqueName('sent-at');
  const alice = user.tab;
  const pageErrors: Error[] = [];
  alice.page.on('pageerror', (e) => pageErrors.push(e));
  await alice.createGroup(group, 'FIFO');
  const href = await alice.navLink(group).getAttribute('href');
  const groupId = decodeURIComponent(/#\/g\/(.+)$/.exec(href ?? '')?.[1] ?? '') as GroupId;
  expect(groupId).not.toBe('');

  let clock: number | null = null;
  const mallory = createPeer({
    name: 'Mallory',
    trackerUrl: baseURL as string,
    wrtc,
    socketOptions: { transports: ['websocket'] },
    now: () => clock ?? Date.now(),
  });
  try {
    await mallory.connect();
    await mallory.join(groupId);
    await expect(alice.member(group, 'Mallory')).toContainText('online');

    await alice.send('alice before');
    // Mallory answers what she has seen: her message follows Alice's in the group's order only once it reached her
    // (two messages sent at once by two people have no order between them; frames now leave at the end of a turn).
    await expect.poll(async () => (await mallory.history(groupId)).map((m) => m.body)).toContain('alice before');
    await mallory.send(groupId, 'mallory on time');
    clock = MAX_SENT_AT_MS;
    await mallory.send(groupId, 'mallory at the end of time');
    clock = null;
    await expect(alice.messages(group)).toHaveCount(3);
    await alice.send('alice after');
    // One past the range: every receiver's parser refuses it and counts it; it is Mallory's last (FIFO holds back what
    // follows).
    clock = MAX_SENT_AT_MS + 1;
    await mallory.send(groupId, 'mallory past the end of time');
    clock = null;
    const rejected = alice.page
      .getByRole('region', { name: 'Metrics' })
      .locator('div')
      .filter({ hasText: /^Rejected frames/ })
      .getByRole('definition');
    await expect.poll(async () => Number(await rejected.innerText())).toBeGreaterThanOrEqual(1);
  } finally {
    await mallory.close();
  }

  const expected = ['alice before', 'mallory on time', 'mallory at the end of time', 'alice after'];
  const check = async (): Promise<void> => {
    await expect(alice.messages(group)).toHaveCount(4);
    expect(await alice.bodies(group)).toEqual(expected);
    await expect(alice.log(group).getByRole('separator', { name: /275760/ })).toHaveCount(1);
    await expect(
      alice.messagesBy(group, 'Mallory').filter({ hasText: 'mallory at the end of time' }).locator('time'),
    ).toHaveAttribute('datetime', '+275760-09-13T00:00:00.000Z');
  };
  await check();
  await expect.poll(() => storedMessageCount(alice.page)).toBe(4);

  await alice.page.reload();
  await alice.waitOnline();
  await alice.expectJoined(group);
  await check();
  await alice.send('alice after the reload');
  await expect(alice.messages(group).filter({ hasText: 'alice after the reload' })).toContainText('✓ delivered');
  await expect(alice.page.getByRole('alert')).toHaveCount(0);
  expect(pageErrors.map((e) => e.message)).toEqual([]);
});
