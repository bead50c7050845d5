// Files and images over the mesh (issue 10), for people: three users; an
// image with a caption and a 20 MiB file reach everyone byte for byte (the
// SHA-256 of what each receiver's browser saves is the original's); a
// receiver that reloads halfway through resumes; a late joiner, once the
// sender is gone, opens the old file messages and fetches them from the
// members who hold them. Only the roles and names of docs/design.md §6.

import { expect, test } from '../support/fixtures.ts';
import type { ChatTab } from '../support/chat-tab.ts';
import { attachFile, downloadedHash, dropFile, MiB, pasteFile, pngFile, randomFile, sha256 } from '../support/files.ts';
import { STALL_LINKS_SCRIPT, stallLinks } from '../support/stall-links.ts';

/** The article of a file message, found by its file's name. */
const fileMessage = (tab: ChatTab, group: string, name: string) => tab.messages(group).filter({ hasText: name });

/** The aria-valuenow of a file's progress bar in `tab`, or null when none shows. */
async function progressOf(tab: ChatTab, name: string): Promise<number | null> {
  const bar = tab.page.getByRole('progressbar', { name, exact: true });
  if ((await bar.count()) === 0) return null;
  const now = await bar.getAttribute('aria-valuenow').catch(() => null);
  return now === null ? null : Number(now);
}

test('an image and a 20 MiB file reach everyone whole, a reload resumes, a late joiner fetches from the holders', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  test.setTimeout(240_000);
  const group = uniqueName('files');
  const alice = user.tab;
  await alice.createGroup(group, 'FIFO');
  const ben = (await makeUser('Ben')).tab;
  await ben.join(group);
  const catUser = await makeUser('Cat', { initScripts: [STALL_LINKS_SCRIPT] });
  const cat = catUser.tab;
  await cat.join(group);

  // An image with a caption, through "Attach file": small, so it comes by itself and shows as a thumbnail.
  const image = pngFile('sunset.png');
  await attachFile(alice.page, image);
  await alice.page.getByRole('textbox', { name: 'Message' }).fill('the sunset');
  await alice.page.getByRole('button', { name: 'Send' }).click();
  for (const tab of [alice, ben, cat]) {
    const article = fileMessage(tab, group, 'the sunset');
    await expect(article.getByRole('button', { name: 'Open sunset.png full size' })).toBeVisible();
    const saved = await downloadedHash(tab.page, article);
    expect(saved).toEqual({ hash: sha256(image.buffer), name: 'sunset.png' });
  }
  // Full size in a dialog named after the file; Escape closes it and the focus is back on the thumbnail.
  const thumb = fileMessage(ben, group, 'the sunset').getByRole('button', { name: 'Open sunset.png full size' });
  await thumb.click();
  const dialog = ben.page.getByRole('dialog', { name: 'sunset.png' });
  await expect(dialog).toBeVisible();
  await expect
    .poll(() => dialog.getByRole('img', { name: 'sunset.png' }).evaluate((img: HTMLImageElement) => img.naturalWidth))
    .toBe(96);
  await ben.page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(thumb).toBeFocused();

  // 20 MiB: over "Download automatically", so a card with its facts and Download.
  const big = randomFile('archive.bin', 20 * MiB);
  await attachFile(alice.page, big);
  await alice.page.getByRole('button', { name: 'Send' }).click();
  for (const tab of [ben, cat]) {
    const article = fileMessage(tab, group, 'archive.bin');
    await expect(article).toContainText('20 MiB');
    await expect(article).toContainText('application/octet-stream');
  }

  // Cat starts it and reloads halfway; the page picks it up where it was. Cat's links stall once 4 MiB
  // are in, so the rest cannot arrive between the last look at the bar and the reload.
  await fileMessage(cat, group, 'archive.bin').getByRole('button', { name: 'Download' }).click();
  await expect
    .poll(() => progressOf(cat, 'archive.bin'), { timeout: 60_000, intervals: [100] })
    .toBeGreaterThan(4 * MiB);
  await stallLinks(cat.page);
  const before = (await progressOf(cat, 'archive.bin')) ?? 0;
  expect(before).toBeLessThan(20 * MiB);
  await cat.page.reload();
  // Resumed by itself once the message shows again, from what was stored before the reload, not from zero.
  const resumed = cat.page.getByRole('progressbar', { name: 'archive.bin', exact: true });
  await expect(resumed).toBeVisible();
  expect(Number(await resumed.getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(before);
  // Ben starts it and cancels: the bar goes, Download is offered again.
  const benCard = fileMessage(ben, group, 'archive.bin');
  await benCard.getByRole('button', { name: 'Download' }).click();
  const benBar = ben.page.getByRole('progressbar', { name: 'archive.bin', exact: true });
  await expect(benBar).toBeVisible();
  await ben.page.getByRole('button', { name: 'Cancel transfer' }).click();
  await expect(benBar).toHaveCount(0);
  await expect(benCard.getByRole('button', { name: 'Download' })).toBeEnabled();
  // Then downloads it while Cat's resumes, from Alice and from what Cat holds.
  expect((await downloadedHash(ben.page, fileMessage(ben, group, 'archive.bin'))).hash).toBe(sha256(big.buffer));
  await expect(resumed).toHaveCount(0, { timeout: 90_000 });
  expect((await downloadedHash(cat.page, fileMessage(cat, group, 'archive.bin'))).hash).toBe(sha256(big.buffer));
  await cat.expectJoined(group);

  // The sender is gone; Dan joins late and fetches both from Ben and Cat.
  await user.crash();
  const dan = (await makeUser('Dan')).tab;
  await dan.join(group);
  await expect(
    fileMessage(dan, group, 'the sunset').getByRole('button', { name: 'Open sunset.png full size' }),
  ).toBeVisible();
  expect((await downloadedHash(dan.page, fileMessage(dan, group, 'the sunset'))).hash).toBe(sha256(image.buffer));
  expect((await downloadedHash(dan.page, fileMessage(dan, group, 'archive.bin'))).hash).toBe(sha256(big.buffer));
  await catUser.crash();
});

test('the composer takes a dropped file and a pasted image, refuses one over the cap and shows names as text', async ({
  user,
  uniqueName,
}) => {
  const group = uniqueName('attach');
  const alice = user.tab;
  await alice.createGroup(group, 'FIFO');
  const page = alice.page;
  const box = page.getByRole('textbox', { name: 'Message' });
  const chat = alice.log(group);

  // Over the cap (100 MiB): refused before anything is staged, with a line saying why.
  await dropFile(chat, 'huge.iso', 100 * MiB + 1);
  await expect(chat).toContainText('Not attached: huge.iso is 100 MiB; a file may be at most 100 MiB.');
  await expect(page.getByRole('button', { name: 'Remove attachment' })).toHaveCount(0);

  // A pasted image is staged; "Remove attachment" drops it; pasted again and sent without a caption.
  const shot = pngFile('screenshot.png', 32);
  await pasteFile(box, shot);
  await page.getByRole('button', { name: 'Remove attachment' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Attached' })).toHaveCount(0);
  await pasteFile(box, shot);
  await box.press('Enter');
  await expect(
    fileMessage(alice, group, 'screenshot.png').getByRole('button', { name: 'Open screenshot.png full size' }),
  ).toBeVisible();

  // A dropped file with a path and markup in its name: the last part only, as text, and nothing runs.
  const evil = '../../<img src=x onerror="window.__pwned=1">.txt';
  await dropFile(chat, evil, 1234, 'text/plain');
  await box.fill('notes');
  await box.press('Enter');
  const card = fileMessage(alice, group, 'notes');
  await expect(card).toContainText('<img src=x onerror="window.__pwned=1">.txt');
  await expect(card).not.toContainText('../');
  await expect(card).toContainText('1.2 KiB · text/plain');
  await expect(card.locator('img')).toHaveCount(0);
  expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
});
