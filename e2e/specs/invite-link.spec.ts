// A URL per group (issue 14): the address bar shows the open group
// (`#/g/<id>`), "Copy invite link" copies it, and the link opened in a fresh
// browser asks for a name and joins — a locked group asks its password first.
// A new tab of the same profile remembers the name and rejoins the groups.

import type { Browser, BrowserContext } from '@playwright/test';
import { ChatTab } from '../support/chat-tab.ts';
import { expect, test } from '../support/fixtures.ts';

const CLIPBOARD = ['clipboard-read', 'clipboard-write'];

/** A person who has never used Chorus, opening `link` in a new browser: picks `name`, lands in the group. */
async function arriveByLink(
  browser: Browser,
  baseURL: string | undefined,
  link: string,
  name: string,
): Promise<{ context: BrowserContext; tab: ChatTab }> {
  const context = await browser.newContext({ ...(baseURL ? { baseURL } : {}), viewport: { width: 1280, height: 800 } });
  const tab = new ChatTab(await context.newPage(), name);
  await tab.signIn(link);
  return { context, tab };
}

async function copyInviteLink(tab: ChatTab): Promise<string> {
  await tab.page.getByRole('button', { name: 'Copy invite link' }).click();
  await expect(tab.page.getByRole('status').filter({ hasText: 'Invite link copied' })).toBeVisible();
  return tab.page.evaluate(() => navigator.clipboard.readText());
}

test('an invite link opened in a fresh browser joins; a locked group asks its password; the address bar follows the open group', async ({
  browser,
  baseURL,
  makeUser,
  uniqueName,
}) => {
  const open = uniqueName('invite-open');
  const locked = uniqueName('invite-locked');
  const alice = (await makeUser('Alice', { permissions: CLIPBOARD })).tab;
  await alice.createGroup(open, 'Total');
  const openLink = await copyInviteLink(alice);
  expect(openLink).toMatch(/#\/g\/[^/]+$/);
  expect(alice.page.url()).toBe(openLink);
  await alice.createGroup(locked, 'FIFO', 'sesame');
  const lockedLink = await copyInviteLink(alice);
  expect(lockedLink).not.toBe(openLink);
  expect(alice.page.url()).toBe(lockedLink);
  await alice.open(open);
  expect(alice.page.url()).toBe(openLink);
  await alice.send('welcome, whoever follows the link');

  // Bob opens the link in a browser that never saw Chorus: a name, then he is in the group, history and all.
  const bob = await arriveByLink(browser, baseURL, openLink, 'Bob');
  try {
    await bob.tab.expectJoined(open);
    await expect(bob.tab.messages(open).filter({ hasText: 'welcome, whoever follows the link' })).toHaveCount(1);
    expect(bob.tab.page.url()).toBe(openLink);
    await bob.tab.send('here by link');
    await expect(alice.messages(open).filter({ hasText: 'here by link' })).toHaveCount(1);

    // Carol opens the locked group's link: the page asks its password; a wrong one is said so, the right one joins.
    const carol = await arriveByLink(browser, baseURL, lockedLink, 'Carol');
    try {
      const field = carol.tab.page.getByRole('textbox', { name: `Password for ${locked}` });
      await field.fill('wrong');
      await carol.tab.page.getByRole('main').getByRole('button', { name: 'Join', exact: true }).click();
      await expect(carol.tab.page.getByRole('alert').filter({ hasText: `Wrong password for ${locked}` })).toBeVisible();
      await expect(carol.tab.navLink(locked)).toHaveCount(0);
      await field.fill('sesame');
      await carol.tab.page.getByRole('main').getByRole('button', { name: 'Join', exact: true }).click();
      await carol.tab.expectJoined(locked);
      await expect(field).toHaveCount(0);
      expect(carol.tab.page.url()).toBe(lockedLink);
      await alice.open(locked);
      await expect(alice.member(locked, 'Carol')).toContainText('online');

      // Bob pastes the locked link into the tab he has open: the same prompt, in place.
      await bob.tab.page.goto(lockedLink);
      await bob.tab.page.getByRole('textbox', { name: `Password for ${locked}` }).fill('sesame');
      await bob.tab.page.getByRole('main').getByRole('button', { name: 'Join', exact: true }).click();
      await bob.tab.expectJoined(locked);
      expect(bob.tab.page.url()).toBe(lockedLink);
      await bob.tab.open(open);
      expect(bob.tab.page.url()).toBe(openLink);

      // A reload keeps the group the address names open.
      await carol.tab.page.reload();
      await carol.tab.waitOnline();
      await carol.tab.expectJoined(locked);
    } finally {
      await carol.context.close();
    }
  } finally {
    await bob.context.close();
  }
});

test('a link to a group that does not exist says so', async ({ user }) => {
  await user.tab.page.goto('/#/g/no-such-group-anywhere');
  await expect(user.tab.page.getByRole('alert').filter({ hasText: 'not in the directory' })).toBeVisible();
});

test('a new tab of the same profile remembers the name and rejoins its groups (a locked one asks its password)', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  const open = uniqueName('tabs-open');
  const locked = uniqueName('tabs-locked');
  const alice = user.tab;
  await alice.createGroup(open, 'Total');
  await alice.createGroup(locked, 'FIFO', 'sesame');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(open);
  const carol = (await makeUser('Carol')).tab;
  await carol.join(open);
  await alice.open(open);
  await alice.send('before the second tab');

  // No name to pick: the profile remembers it, and the open group is back with its history.
  const page = await user.context.newPage();
  await page.goto('/');
  await expect(page.getByRole('textbox', { name: 'Display name' })).toHaveCount(0);
  const second = new ChatTab(page, 'Alice');
  await second.waitOnline();
  await expect(page.getByRole('banner')).toContainText('Alice');
  await expect(second.fingerprint()).resolves.toBe(await alice.fingerprint());
  await second.open(open);
  await second.expectJoined(open);
  await expect(second.messages(open).filter({ hasText: 'before the second tab' })).toHaveCount(1);
  // One person with two tabs: two sessions of one key, and the directory counts her once.
  await expect(bob.person(open, 'Alice')).toContainText('2 tabs');
  await expect(bob.listed(open)).toContainText('3 online');

  // The locked group's password is not shared between tabs: the new tab asks for it.
  await page.getByRole('textbox', { name: `Password for ${locked}` }).fill('sesame');
  await page.getByRole('main').getByRole('button', { name: 'Join', exact: true }).click();
  await second.expectJoined(locked);
  await alice.open(locked);
  await expect(alice.person(locked, 'Alice')).toContainText('2 tabs');
  await second.open(open);

  await second.send('from the second tab');
  await alice.open(open);
  for (const tab of [alice, bob, carol])
    await expect(tab.messages(open).filter({ hasText: 'from the second tab' })).toHaveCount(1);
});
