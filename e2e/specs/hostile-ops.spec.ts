// A member who edits and deletes someone else's message (issue 14,
// PROTOCOL.md §8). Mallory is a Node peer on real WebRTC (@roamhq/wrtc)
// running the shipped runtime, which sends any operation it is asked to
// (only the web app hides Edit and Delete on messages of others): her edit
// and delete of Alice's message are valid signed DATA, delivered to every
// member, and refused by every honest peer. The two browsers show Alice's
// message as she wrote it, with Mallory's reaction (anyone may react) and a
// note naming the refusal; after a reload, from the store, still the same.

import wrtc from '@roamhq/wrtc';
import { createPeer, type ChatMessage } from '@chorus/peer';
import type { GroupId } from '@chorus/protocol';
import { expect, test } from '../support/fixtures.ts';

test("an edit or delete of another member's message is refused by the peers, not only hidden by the UI", async ({
  user,
  makeUser,
  uniqueName,
  baseURL,
}) => {
  const group = uniqueName('hostile-ops');
  const alice = user.tab;
  await alice.createGroup(group, 'FIFO');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);
  const href = await alice.navLink(group).getAttribute('href');
  const groupId = decodeURIComponent(/#\/g(?:roup)?\/(.+)$/.exec(href ?? '')?.[1] ?? '') as GroupId;
  expect(groupId).not.toBe('');

  const mallory = createPeer({
    name: 'Mallory',
    trackerUrl: baseURL as string,
    wrtc,
    socketOptions: { transports: ['websocket'] },
  });
  try {
    const seen: ChatMessage[] = [];
    mallory.on('message', (m) => seen.push(m));
    await mallory.connect();
    await mallory.join(groupId);
    await expect(alice.member(group, 'Mallory')).toContainText('online');
    await alice.send('meet at noon');
    await expect.poll(() => seen.some((m) => m.body === 'meet at noon' && m.state === 'delivered')).toBe(true);
    const target = seen.find((m) => m.body === 'meet at noon')!.id;
    await mallory.sendOp(groupId, { op: 'edit', target, text: 'meeting cancelled' });
    await mallory.sendOp(groupId, { op: 'delete', target });
    await mallory.sendOp(groupId, { op: 'react', target, emoji: '👀', on: true });
    // sendOp resolves once the engine has the frame, not once it left: closing now could drop it on the way
    // (it did once). Mallory's reaction at both browsers means her earlier edit and delete got there too (FIFO).
    for (const tab of [alice, bob])
      await expect(tab.messagesBy(group, 'Alice').getByRole('button', { name: '👀 1' })).toBeVisible();
  } finally {
    await mallory.close();
  }

  const original = (tab: typeof alice) => tab.messagesBy(group, 'Alice');
  const check = async (tab: typeof alice): Promise<void> => {
    await expect(original(tab).getByRole('button', { name: '👀 1' })).toBeVisible(); // Mallory's operations did arrive
    await expect(original(tab)).toContainText('meet at noon');
    await expect(original(tab)).not.toContainText('(edited)');
    await expect(original(tab)).not.toContainText('Message deleted');
    await expect(tab.messages(group)).toHaveCount(1);
  };
  for (const tab of [alice, bob]) {
    await check(tab);
    await expect(tab.log(group)).toContainText('Refused an edit from Mallory');
    await expect(tab.log(group)).toContainText('Refused a delete from Mallory');
  }
  await bob.page.reload();
  await bob.waitOnline();
  await bob.expectJoined(group);
  await check(bob);
});
