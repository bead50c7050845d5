// Direct messages (issue 14 point 6, docs/design.md §6): "Message <name>" in
// the members list opens a private group of two keys. The other person's
// tabs join it by themselves and list it under "Direct messages"; a third
// user never sees it in the directory, and its link says it is not there for
// them; both see the messages, also after a reload and in a new tab.

import { expect, test } from '../support/fixtures.ts';
import type { ChatTab } from '../support/chat-tab.ts';

const dmNav = (tab: ChatTab) => tab.page.getByRole('navigation', { name: 'Direct messages' });
const dmLink = (tab: ChatTab, person: string) =>
  dmNav(tab).getByRole('link', { name: new RegExp(`^${person}( \\d+ unread)?$`) });

test('a direct message reaches only its two people, stays out of the directory, and survives a reload', async ({
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('dm-lobby');
  const annUser = await makeUser('Ann');
  const ann = annUser.tab;
  await ann.createGroup(group, 'FIFO');
  const ben = (await makeUser('Ben')).tab;
  await ben.join(group);
  const cat = (await makeUser('Cat')).tab;
  await cat.join(group);
  await expect(ann.member(group, 'Cat')).toContainText('online');
  // One worker runs the specs, so the directory Cat sees changes only by what this test does.
  const listedBefore = await cat.directory().getByRole('listitem').count();

  // Your own entry has no button; everyone else's does.
  await expect(ann.you(group).getByRole('button', { name: /^Message / })).toHaveCount(0);
  await ann.member(group, 'Ben').getByRole('button', { name: 'Message Ben' }).click();
  // Typed at once, before the tracker has answered: the DM is open already (its composer waits for the join), so the
  // text goes there and never to the group open before.
  await ann.send('typed at once');
  await expect(ann.log('Ben')).toBeVisible();
  await expect(dmLink(ann, 'Ben')).toHaveAttribute('aria-current', 'page');
  await expect(ann.page.getByRole('button', { name: 'Copy invite link' })).toHaveCount(0);
  const dmAddress = new URL(ann.page.url()).hash;
  expect(dmAddress).toMatch(/^#\/g\/d[A-Za-z0-9_-]{43}$/);

  // Ben's tab is told and joins it by itself: it is in his "Direct messages", named after Ann.
  await expect(dmLink(ben, 'Ann')).toBeVisible();
  await expect(ann.members('Ben').getByRole('listitem')).toHaveCount(2);
  await expect(ann.member('Ben', 'Ben')).toContainText('online');
  await ann.send('just between us');
  // The first message may predate Ben's join (then it is history to him, not news): one or two unread.
  await expect(dmLink(ben, 'Ann')).toHaveAccessibleName(/^Ann [12] unread$/);
  await dmLink(ben, 'Ann').click();
  await expect.poll(() => ben.bodies('Ann')).toEqual(['typed at once', 'just between us']);
  expect(await cat.bodies(group)).toEqual([]);
  await ben.send('agreed');
  await expect.poll(() => ann.bodies('Ben')).toEqual(['typed at once', 'just between us', 'agreed']);

  // Cat: no such group in the directory or her "Direct messages", and its address is refused.
  await expect(dmNav(cat).getByRole('link')).toHaveCount(0);
  await expect(cat.directory().getByRole('listitem')).toHaveCount(listedBefore);
  await cat.page.goto(`/${dmAddress}`);
  await cat.waitOnline();
  await expect(cat.page.getByText(/not in the directory/)).toBeVisible();
  await expect(cat.log('Ann')).toHaveCount(0);
  await expect(cat.log('Ben')).toHaveCount(0);
  await expect(dmNav(cat).getByRole('link')).toHaveCount(0);

  // A reload keeps it, with its messages; so does a new tab of Ann's.
  await ben.page.reload();
  await ben.waitOnline();
  await expect(dmLink(ben, 'Ann')).toBeVisible();
  await ben.page.goto(`/${dmAddress}`);
  await expect.poll(() => ben.bodies('Ann')).toEqual(['typed at once', 'just between us', 'agreed']);
  await expect(ben.member('Ann', 'Ann')).toContainText('online');
  const ann2 = await annUser.openTab();
  await expect(dmLink(ann2, 'Ben')).toBeVisible();
  await dmLink(ann2, 'Ben').click();
  await expect.poll(() => ann2.bodies('Ben')).toEqual(['typed at once', 'just between us', 'agreed']);
  await ann2.send('from my other tab');
  await expect
    .poll(() => ben.bodies('Ann'))
    .toEqual(['typed at once', 'just between us', 'agreed', 'from my other tab']);
});
