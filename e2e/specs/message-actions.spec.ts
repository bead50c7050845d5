// Issue 14 (2): replies, reactions, edits and deletes are operations in the
// group's log (PROTOCOL.md §8). Three users in a FIFO group (where an
// operation may reach a member before the message it names) reply, react,
// edit and delete by mouse and keyboard; everyone ends with the same log,
// also after a reload (from the store) and as a late joiner (from history).

import type { Locator } from '@playwright/test';
import { expect, test } from '../support/fixtures.ts';
import type { ChatTab } from '../support/chat-tab.ts';

test('reply, react, edit and delete are seen by everyone alike, after a reload and by a late joiner', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  test.setTimeout(180_000);
  const group = uniqueName('ops');
  const alice = user.tab;
  await alice.createGroup(group, 'FIFO');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);
  const carol = (await makeUser('Carol')).tab;
  await carol.join(group);

  await alice.send('lunch at noon?');
  for (const tab of [alice, bob, carol]) await expect(tab.messages(group)).toHaveCount(1);
  // Alice's one message (while she edits it, its text is in a textbox, so it is found by author alone).
  const lunch = (tab: ChatTab): Locator => tab.messagesBy(group, 'Alice');

  // Bob replies, first from the keyboard (then cancels), then with the mouse.
  const replying = bob.page.getByRole('status').filter({ hasText: 'Replying to Alice' });
  await lunch(bob).getByRole('button', { name: 'Reply' }).focus();
  await bob.page.keyboard.press('Enter');
  await expect(replying).toBeVisible();
  await expect(bob.page.getByRole('textbox', { name: 'Message' })).toBeFocused();
  await bob.page.getByRole('button', { name: 'Cancel reply' }).click();
  await expect(replying).toHaveCount(0);
  await lunch(bob).getByRole('button', { name: 'Reply' }).click();
  await expect(replying).toBeVisible();
  await bob.send('yes, the usual place');
  await expect(replying).toHaveCount(0);

  // Carol and Bob react 👍 (Carol by keyboard); Bob takes his back with the reaction button itself.
  await lunch(carol).getByRole('button', { name: 'React' }).focus();
  await carol.page.keyboard.press('Enter');
  await expect(lunch(carol).getByRole('button', { name: 'React with 👍' })).toBeFocused();
  await carol.page.keyboard.press('Enter');
  await lunch(bob).getByRole('button', { name: 'React' }).click();
  await lunch(bob).getByRole('button', { name: 'React with 👍' }).click();
  for (const tab of [alice, bob, carol]) await expect(lunch(tab).getByRole('button', { name: '👍 2' })).toBeVisible();
  await expect(lunch(bob).getByRole('button', { name: '👍 2' })).toHaveAttribute('aria-pressed', 'true');
  await expect(lunch(alice).getByRole('button', { name: '👍 2' })).toHaveAttribute('aria-pressed', 'false');
  await lunch(bob).getByRole('button', { name: '👍 2' }).click();
  for (const tab of [alice, bob, carol]) await expect(lunch(tab).getByRole('button', { name: '👍 1' })).toBeVisible();

  // Only the author has Edit and Delete.
  await expect(lunch(bob).getByRole('button', { name: 'Edit' })).toHaveCount(0);
  await expect(lunch(bob).getByRole('button', { name: 'Delete' })).toHaveCount(0);
  await lunch(alice).getByRole('button', { name: 'Edit' }).click();
  const editBox = lunch(alice).getByRole('textbox', { name: 'Edit message' });
  await expect(editBox).toBeFocused();
  await editBox.fill('lunch at one?');
  await editBox.press('Enter');

  // Carol deletes a message of hers (Delete asks once more).
  await carol.send('oops, wrong group');
  const oops = (tab: ChatTab): Locator => tab.messagesBy(group, 'Carol');
  for (const tab of [alice, bob]) await expect(oops(tab)).toContainText('oops, wrong group');
  await oops(carol).getByRole('button', { name: 'Delete' }).click();
  await oops(carol).getByRole('button', { name: 'Confirm delete' }).click();
  await expect(oops(carol)).toBeFocused(); // the keyboard stays on the message, now "Message deleted"

  const expectSameState = async (tab: ChatTab): Promise<void> => {
    await expect(tab.messages(group)).toHaveCount(3);
    await expect(lunch(tab)).toContainText('lunch at one?');
    await expect(lunch(tab)).toContainText('(edited)');
    await expect(lunch(tab).getByRole('button', { name: '👍 1' })).toBeVisible();
    const reply = tab.messagesBy(group, 'Bob');
    await expect(reply).toContainText('yes, the usual place');
    await expect(reply.getByRole('button', { name: 'In reply to Alice: lunch at one?' })).toBeVisible();
    await expect(oops(tab)).toContainText('Message deleted');
    await expect(oops(tab)).not.toContainText('oops');
    await expect(oops(tab).getByRole('button')).toHaveCount(0);
    expect(await tab.bodies(group)).toEqual(['lunch at one?', 'yes, the usual place', 'Message deleted']);
  };
  for (const tab of [alice, bob, carol]) await expectSameState(tab);

  // The quote takes you to the original.
  await carol
    .messagesBy(group, 'Bob')
    .getByRole('button', { name: /^In reply to Alice/ })
    .click();
  await expect(lunch(carol)).toBeFocused();

  // After a reload the page shows the same from its store and the rejoin.
  await bob.page.reload();
  await bob.waitOnline();
  await bob.expectJoined(group);
  await expectSameState(bob);

  // A late joiner gets the operations as history and shows the same.
  const dave = (await makeUser('Dave')).tab;
  await dave.join(group);
  await expectSameState(dave);
  // Dave's reaction reaches everyone, on a message edited before he came.
  await lunch(dave).getByRole('button', { name: 'React' }).click();
  await lunch(dave).getByRole('button', { name: 'React with 👍' }).click();
  for (const tab of [alice, bob, carol, dave])
    await expect(lunch(tab).getByRole('button', { name: '👍 2' })).toBeVisible();
});
