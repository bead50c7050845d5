// Markup from other people is text (issue 12): a display name and a message
// body made of HTML (`<img src=x onerror=…>`, `<script>`) show as the
// characters typed, in the log, the member list and the system lines, and
// run nothing in anyone's page. Svelte escapes text it renders, so this
// guards against a future {@html}, innerHTML or markdown renderer.

import type { Page } from '@playwright/test';
import { expect, test } from '../support/fixtures.ts';

const NAME = '<img src=x onerror=window.__pwned=1>';
const BODY = '<script>window.__pwned=2</script><img src=x onerror="window.__pwned=3;alert(3)"> <b>bold?</b>';

/** Whatever the page ran: a global set by an onerror or a script, or a dialog it opened. */
function watch(page: Page): { dialogs: string[]; pwned: () => Promise<unknown> } {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return { dialogs, pwned: () => page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned) };
}

test('a display name and a message body made of HTML are shown as text and run nothing', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('xss');
  const alice = user.tab;
  const seen = watch(alice.page);
  await alice.createGroup(group, 'Total');
  const mallory = (await makeUser(NAME)).tab;
  await mallory.join(group);
  await mallory.send(BODY);
  await alice.send('did anything run?');

  for (const tab of [alice, mallory]) {
    await expect(tab.messages(group)).toHaveCount(2);
    // The body and the name, character for character.
    await expect(tab.messages(group).filter({ hasText: 'window.__pwned=2' }).getByRole('paragraph')).toHaveText(BODY);
    await expect(tab.messagesBy(group, NAME)).toHaveCount(1);
    await expect(tab.person(group, NAME)).toContainText('online');
    // No element came out of the text: not in the log, not in the member list.
    for (const area of [tab.log(group), tab.members(group)]) {
      await expect(area.locator('img, script, b')).toHaveCount(0);
    }
  }
  await expect(alice.log(group)).toContainText(`${NAME} joined`);
  expect(await seen.pwned()).toBeUndefined();
  expect(await watch(mallory.page).pwned()).toBeUndefined();
  expect(seen.dialogs).toEqual([]);

  // Also after a reload, when the page renders the stored copies.
  await alice.page.reload();
  await alice.waitOnline();
  await alice.expectJoined(group);
  await expect(alice.messages(group).filter({ hasText: 'window.__pwned=2' }).getByRole('paragraph')).toHaveText(BODY);
  await expect(alice.log(group).locator('img, script, b')).toHaveCount(0);
  expect(await seen.pwned()).toBeUndefined();
  expect(seen.dialogs).toEqual([]);
});
