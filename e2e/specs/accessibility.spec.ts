// axe-core on every view this app has (issue 14, point 9), in light and dark
// mode: the name screen, the directory, a chat with messages (links and
// markdown, an image and a file with their Download buttons), members and
// metrics, the full-size image dialog, the chat in use (a reply and its quote,
// a reaction, an edited and a deleted message, a mention, "Seen by", someone
// typing) with each message action open (reply in progress, reaction picker,
// delete confirmation, edit box) and the mention suggestions, a direct
// message, search with results and with none, the composer's character
// counter, a password prompt, and the narrow layout's tabs. Zero violations
// is the bar.

import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from '../support/fixtures.ts';
import { attachFile, pngFile, randomFile } from '../support/files.ts';

async function violations(page: Page, view: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations.map(
    (v) => `${view}: ${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

for (const colorScheme of ['light', 'dark'] as const) {
  test(`no axe violations in ${colorScheme} mode`, async ({ browser, baseURL, makeUser, uniqueName }) => {
    // Seventeen axe analyses of a full page, with three browsers running WebRTC, on a small shared machine (6.3 min
    // on a slow 2-core VM beside the other suites).
    test.setTimeout(900_000);
    const found: string[] = [];
    // The name screen, in a browser that never saw Chorus.
    const fresh = await browser.newContext({ ...(baseURL ? { baseURL } : {}), colorScheme });
    try {
      const page = await fresh.newPage();
      await page.goto('/');
      await expect(page.getByRole('textbox', { name: 'Display name' })).toBeVisible();
      found.push(...(await violations(page, 'name screen')));
    } finally {
      await fresh.close();
    }

    const open = uniqueName('a11y');
    const locked = uniqueName('a11y-locked');
    const alice = (await makeUser('Alice')).tab;
    await alice.page.emulateMedia({ colorScheme });
    // The directory with nothing open.
    await alice.createGroup(locked, 'FIFO', 'sesame');
    await alice.leave(locked);
    found.push(...(await violations(alice.page, 'directory')));

    await alice.createGroup(open, 'Total');
    const bob = (await makeUser('Bob')).tab;
    await bob.join(open);
    const carol = (await makeUser('Carol')).tab;
    await carol.join(open);
    await bob.send('see https://example.com/page and **bold**, *italic*, `code`');
    await carol.send('```\nblock of code\n```');
    // A picture (a thumbnail) and a file over "Download automatically" (a card with Download).
    await attachFile(bob.page, pngFile('photo.png', 48));
    await bob.page.getByRole('button', { name: 'Send' }).click();
    await attachFile(bob.page, randomFile('notes.pdf', 11 * 1024 * 1024, 'application/pdf'));
    await bob.page.getByRole('textbox', { name: 'Message', exact: true }).fill('the notes');
    await bob.page.getByRole('button', { name: 'Send' }).click();
    await expect(alice.page.getByRole('button', { name: 'Open photo.png full size' })).toBeVisible();
    await expect(
      alice.messages(open).filter({ hasText: 'notes.pdf' }).getByRole('button', { name: 'Download' }),
    ).toBeVisible();
    await alice.send('mine, delivered');
    await expect(alice.messages(open)).toHaveCount(5);
    await expect(alice.messages(open).last()).toContainText('delivered');
    found.push(...(await violations(alice.page, 'chat')));
    await alice.page.getByRole('button', { name: 'Open photo.png full size' }).click();
    await expect(alice.page.getByRole('dialog', { name: 'photo.png' })).toBeVisible();
    found.push(...(await violations(alice.page, 'image dialog')));
    await alice.page.keyboard.press('Escape');
    await expect(alice.page.getByRole('dialog')).toHaveCount(0);

    // The chat as people use it: a reply and its quote, a reaction of hers, an edited and a deleted message, a
    // mention of her, "Seen by", someone typing; then a reply in progress, the reaction picker, the edit box, the
    // delete confirmation and the mention suggestions, each open.
    const fromBob = alice.messagesBy(open, 'Bob').first();
    await fromBob.getByRole('button', { name: 'Reply' }).click();
    await expect(alice.page.getByRole('status').filter({ hasText: 'Replying to Bob' })).toBeVisible();
    found.push(...(await violations(alice.page, 'reply in progress')));
    await alice.send('a reply with a quote');
    await expect(
      alice
        .messages(open)
        .filter({ hasText: 'a reply with a quote' })
        .getByRole('button', { name: /^In reply to Bob/ }),
    ).toBeVisible();
    await fromBob.getByRole('button', { name: 'React' }).click();
    await expect(alice.page.getByRole('group', { name: "Reactions for Bob's message" })).toBeVisible();
    found.push(...(await violations(alice.page, 'reaction picker')));
    await alice.page.getByRole('button', { name: 'React with 👍' }).click();
    await expect(fromBob.getByRole('button', { name: '👍 1' })).toHaveAttribute('aria-pressed', 'true');
    await alice.send('this one goes');
    const doomed = alice.messages(open).filter({ hasText: 'this one goes' });
    await doomed.getByRole('button', { name: 'Delete' }).click();
    found.push(...(await violations(alice.page, 'delete confirmation')));
    await doomed.getByRole('button', { name: 'Confirm delete' }).click();
    await expect(alice.messages(open).filter({ hasText: 'Message deleted' })).toHaveCount(1);
    const mine = alice.messages(open).filter({ hasText: 'mine, delivered' });
    await mine.getByRole('button', { name: 'Edit' }).click();
    // While it is edited its text is the textbox's value, which the article's text no longer contains.
    const editBox = alice.log(open).getByRole('textbox', { name: 'Edit message' });
    await expect(editBox).toBeFocused();
    found.push(...(await violations(alice.page, 'edit box')));
    await editBox.fill('mine, delivered and edited');
    await editBox.press('Enter');
    await expect(alice.messages(open).filter({ hasText: 'mine, delivered and edited' })).toContainText('(edited)');
    await carol.send('@Alice have a look');
    await expect(alice.messages(open).filter({ hasText: 'have a look' })).toContainText('Mentions you');
    await alice.send('looking');
    await expect(
      alice
        .messagesBy(open, 'Alice')
        .last()
        .getByText(/^Seen by /),
    ).toHaveText('Seen by Bob, Carol');
    await bob.page.getByRole('textbox', { name: 'Message', exact: true }).fill('typing something');
    await expect(alice.page.getByRole('status').filter({ hasText: 'Bob is typing…' })).toBeVisible();
    found.push(...(await violations(alice.page, 'chat in use')));
    const composer = alice.page.getByRole('textbox', { name: 'Message', exact: true });
    await composer.pressSequentially('@');
    await expect(alice.page.getByRole('listbox', { name: 'Mention suggestions' })).toBeVisible();
    found.push(...(await violations(alice.page, 'mention suggestions')));
    await composer.press('Escape');
    await composer.fill('');
    // A direct message, listed under "Direct messages".
    await alice.member(open, 'Bob').getByRole('button', { name: 'Message Bob' }).click();
    // Opening it takes a round trip to the tracker and a join; the composer waits for it (docs/design.md §6).
    await expect(alice.log('Bob')).toBeVisible();
    await alice.send('just us');
    await expect(alice.messages('Bob')).toHaveCount(1);
    await expect(alice.page.getByRole('navigation', { name: 'Direct messages' })).toBeVisible();
    found.push(...(await violations(alice.page, 'direct message')));
    await alice.open(open);

    // Search: results listed, then a query nothing matches.
    const search = alice.page.getByRole('searchbox', { name: 'Search messages' });
    await search.fill('italic');
    await expect(alice.page.getByRole('list', { name: 'Search results' }).getByRole('listitem')).toHaveCount(1);
    found.push(...(await violations(alice.page, 'search results')));
    await search.fill('zebra crossing');
    await expect(alice.page.getByText('No messages match.')).toBeVisible();
    found.push(...(await violations(alice.page, 'search, no match')));
    await search.fill('');

    // The composer near the message cap shows its character counter (over the cap, as an error).
    const box = alice.page.getByRole('textbox', { name: 'Message', exact: true });
    await box.fill('x'.repeat(4_010));
    await expect(box).toHaveAccessibleDescription('10 characters over the limit of 4000');
    found.push(...(await violations(alice.page, 'composer counter')));
    await box.fill('');

    // The password prompt of a locked group.
    await alice.send(`/join ${locked}`);
    await expect(alice.page.getByRole('textbox', { name: `Password for ${locked}` })).toBeVisible();
    found.push(...(await violations(alice.page, 'password prompt')));

    // The narrow layout's tabs, each panel.
    await alice.page.setViewportSize({ width: 360, height: 740 });
    const tabs = alice.page.getByRole('tablist', { name: 'Sections' });
    for (const name of ['Groups', 'Chat', 'Members']) {
      await tabs.getByRole('tab', { name }).click();
      found.push(...(await violations(alice.page, `narrow ${name}`)));
    }
    expect(found).toEqual([]);
  });
}
