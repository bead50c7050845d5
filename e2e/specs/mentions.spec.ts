// Mentions and attention (issue 14, point 3; docs/design.md §6): a message
// naming you with @ is highlighted and counted apart in the joined groups;
// the tab title counts unread messages; while the tab is hidden a mention
// raises a desktop notification where the person allowed them.

import { expect, test } from '../support/fixtures.ts';
import { notifications, setTabHidden, TAB_VISIBILITY_SCRIPT } from '../support/tab-visibility.ts';

test('a mention is highlighted and counted apart for the one mentioned; the title shows unread', async ({
  makeUser,
  uniqueName,
}) => {
  const team = uniqueName('team');
  const garden = uniqueName('garden');
  const alice = (await makeUser('Alice')).tab;
  const bob = (await makeUser('Bob')).tab;
  const carol = (await makeUser('Carol')).tab;
  await alice.createGroup(team, 'Total');
  await alice.createGroup(garden, 'FIFO');
  await bob.join(team);
  await carol.join(team);
  await carol.join(garden);
  await alice.open(garden);
  await carol.open(garden);
  await expect(alice.page).toHaveTitle('Chorus');

  // "@" offers the group's members (not yourself); arrows move, Escape closes, Enter or Tab picks.
  const box = bob.page.getByRole('textbox', { name: 'Message', exact: true });
  const listbox = bob.page.getByRole('listbox', { name: 'Mention suggestions' });
  await box.fill('');
  await box.pressSequentially('@');
  await expect(listbox.getByRole('option')).toHaveText(['@Alice', '@Carol']);
  await box.press('ArrowDown');
  await expect(listbox.getByRole('option', { name: '@Carol' })).toHaveAttribute('aria-selected', 'true');
  await box.press('Escape');
  await expect(listbox).toHaveCount(0);
  await box.fill('');
  await box.pressSequentially('@ali');
  await expect(listbox.getByRole('option')).toHaveText(['@Alice']);
  await box.press('Enter');
  await expect(box).toHaveValue('@Alice ');
  await expect(listbox).toHaveCount(0);
  await box.pressSequentially('can you look at this?');
  await box.press('Enter');
  await expect(box).toHaveValue('');
  await bob.send('plain team news');
  await expect.poll(() => alice.unread(team)).toBe(2);
  expect(await alice.mentions(team)).toBe(1);
  await expect(alice.page).toHaveTitle('(2) Chorus');
  // Carol was not named: her unread count has no mention in it.
  await expect.poll(() => carol.unread(team)).toBe(2);
  expect(await carol.mentions(team)).toBe(0);

  await alice.open(team);
  await expect(alice.page).toHaveTitle('Chorus');
  expect(await alice.mentions(team)).toBe(0);
  const named = alice.messages(team).filter({ hasText: 'can you look' });
  await expect(named).toContainText('Mentions you');
  await expect(alice.messages(team).filter({ hasText: 'plain team news' })).not.toContainText('Mentions you');
  await carol.open(team);
  await expect(carol.messages(team)).toHaveCount(2);
  await expect(carol.log(team)).not.toContainText('Mentions you');
});

test('a mention raises a desktop notification while the tab is hidden, where notifications are allowed', async ({
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('ping');
  // Both hide their tab the way the app reads it (document.visibilityState and its event), and both record each
  // Notification constructed on the way to the real one; only Alice's browser granted the permission.
  const alice = (await makeUser('Alice', { permissions: ['notifications'], initScripts: [TAB_VISIBILITY_SCRIPT] })).tab;
  const carol = (await makeUser('Carol', { initScripts: [TAB_VISIBILITY_SCRIPT] })).tab;
  const bob = (await makeUser('Bob')).tab;
  await alice.createGroup(group, 'FIFO');
  await carol.join(group);
  await bob.join(group);
  await bob.send('all here?');
  await expect(alice.messages(group)).toHaveCount(1);
  await expect(carol.messages(group)).toHaveCount(1);

  // Visible, a mention is highlighted and notifies nobody.
  await bob.send('@Alice while you look');
  await expect(alice.messages(group).filter({ hasText: 'while you look' })).toContainText('Mentions you');
  expect(await notifications(alice.page)).toEqual([]);

  await setTabHidden(alice.page, true);
  await setTabHidden(carol.page, true);
  await bob.send('@Alice @Carol can you look at this?');
  await expect
    .poll(() => notifications(alice.page))
    .toEqual([{ title: `Bob in ${group}`, body: '@Alice @Carol can you look at this?' }]);
  // Carol got it too (her title counts it) but never allowed notifications: none was made.
  await expect(carol.messages(group).filter({ hasText: 'can you look at this?' })).toHaveCount(1);
  await expect(carol.page).toHaveTitle('(1) Chorus');
  expect(await notifications(carol.page)).toEqual([]);
});
