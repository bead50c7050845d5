// Usable at 360 px: everything a person needs is reachable without sideways scrolling.

import { expect, test } from '../support/fixtures.ts';

test('at 360 px wide a user can create a group, chat and see members without sideways scrolling', async ({ makeUser, uniqueName }) => {
  const group = uniqueName('narrow-group-with-a-rather-long-name');
  const alice = (await makeUser('Alice', { viewport: { width: 360, height: 740 } })).tab;
  await alice.createGroup(group, 'Total');
  await alice.send('a message long enough to need wrapping on a phone screen, with no spaces: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
  await expect(alice.messages(group)).toContainText('delivered');
  // Pressing Create scrolled the page down to the form, below a directory as long as the suite's tracker has
  // groups (Playwright scrolls what it clicks to the middle): look at the page from its top, as on arrival.
  await alice.page.evaluate(() => window.scrollTo(0, 0));
  for (const locator of [
    alice.page.getByRole('textbox', { name: 'Message' }),
    alice.page.getByRole('button', { name: 'Send' }),
    alice.page.getByRole('button', { name: `Leave ${group}` }),
    alice.navLink(group),
  ]) await expect(locator).toBeInViewport();
  await alice.members(group).scrollIntoViewIfNeeded();
  await expect(alice.member(group, 'Alice')).toBeInViewport();
  await expect(alice.page.getByRole('region', { name: 'Metrics' })).toBeVisible();
  const overflow = await alice.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBe(0);
});
