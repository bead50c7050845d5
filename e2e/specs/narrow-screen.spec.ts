// A phone (360 px wide): one section at a time behind the tabs Groups, Chat
// and Members (a `tablist`), nothing needs sideways scrolling, and opening a
// group brings its chat to the front.

import { expect, test } from '../support/fixtures.ts';

test('at 360 px the sections are tabs: create a group, chat and see members without sideways scrolling', async ({
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('narrow-group-with-a-rather-long-name');
  const alice = (await makeUser('Alice', { viewport: { width: 360, height: 740 } })).tab;
  const page = alice.page;
  const tabs = page.getByRole('tablist', { name: 'Sections' });
  await expect(tabs.getByRole('tab')).toHaveText(['Groups', 'Chat', 'Members']);
  const tab = (name: string) => tabs.getByRole('tab', { name });

  await tab('Groups').click();
  await expect(tab('Groups')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel', { name: 'Groups' })).toBeVisible();
  await page.getByRole('textbox', { name: 'Group name' }).fill(group);
  await page.getByRole('button', { name: 'Create' }).click();

  // Creating opens the new group, and the chat comes to the front.
  await expect(tab('Chat')).toHaveAttribute('aria-selected', 'true');
  await expect(alice.log(group)).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Group name' })).toBeHidden();
  await alice.send(
    'a message long enough to need wrapping on a phone screen, with no spaces: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  );
  await expect(alice.messages(group)).toContainText('delivered');
  for (const locator of [
    page.getByRole('textbox', { name: 'Message' }),
    page.getByRole('button', { name: 'Send' }),
    page.getByRole('button', { name: `Leave ${group}` }),
    page.getByRole('button', { name: 'Copy invite link' }),
  ])
    await expect(locator).toBeInViewport();
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(
    0,
  );

  // Bob joins; Alice's Members tab shows both, and the metrics.
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);
  await tab('Members').click();
  await expect(alice.member(group, 'Bob')).toContainText('online');
  await expect(alice.you(group)).toContainText('Alice');
  await expect(page.getByRole('region', { name: 'Metrics' })).toBeVisible();
  await expect(alice.log(group)).toBeHidden();
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(
    0,
  );

  // Keyboard: arrows move between the tabs.
  await tab('Members').focus();
  await page.keyboard.press('ArrowLeft');
  await expect(tab('Chat')).toBeFocused();
  await expect(tab('Chat')).toHaveAttribute('aria-selected', 'true');
  await expect(alice.messages(group).filter({ hasText: 'wrapping on a phone' })).toBeVisible();

  // The joined group is listed under Groups; opening it from there shows the chat.
  await tab('Groups').click();
  await alice.navLink(group).click();
  await expect(tab('Chat')).toHaveAttribute('aria-selected', 'true');
  await expect(alice.log(group)).toBeVisible();
});
