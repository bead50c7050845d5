// Message text (issue 14): http(s) links open in a new tab with
// rel="noopener noreferrer", a small markdown subset (bold, italic, inline
// code, code blocks) renders as elements made from text, never HTML from the
// sender, a `javascript:` address stays text, and right-to-left text reads
// right to left (dir="auto").

import { expect, test } from '../support/fixtures.ts';

test('links are clickable, markdown renders from text only, HTML and javascript: stay text, RTL reads RTL', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('text');
  const alice = user.tab;
  await alice.createGroup(group, 'FIFO');
  const bob = await makeUser('Bob');
  await bob.tab.join(group);
  const carol = (await makeUser('Carol')).tab;
  await carol.join(group);
  // The link's target, served by the test: nothing leaves the machine.
  await bob.context.route('https://example.com/**', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<title>landed</title>ok' }),
  );

  await alice.send(
    'read https://example.com/docs?a=1&b=2. and **this** is *nice* with `x < y` ' +
      'and **<img src=x onerror=window.__pwned=1>** and javascript:alert(1) and [x](javascript:alert(2))',
  );
  await alice.send('```\n<script>window.__pwned=2</script> **not bold**\n```');
  await alice.send('שלום, מה שלומך?');

  for (const tab of [alice, bob.tab, carol]) {
    const first = tab.messages(group).filter({ hasText: 'read https://example.com' }).getByRole('paragraph');
    const link = first.getByRole('link');
    await expect(link).toHaveCount(1);
    await expect(link).toHaveText('https://example.com/docs?a=1&b=2');
    await expect(link).toHaveAttribute('href', 'https://example.com/docs?a=1&b=2');
    await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
    await expect(link).toHaveAttribute('target', '_blank');
    await expect(first.locator('strong')).toHaveText(['this', '<img src=x onerror=window.__pwned=1>']);
    await expect(first.locator('em')).toHaveText('nice');
    await expect(first.locator('code')).toHaveText('x < y');
    await expect(first).toContainText('javascript:alert(1) and [x](javascript:alert(2))');
    const block = tab.messages(group).filter({ hasText: 'not bold' }).getByRole('paragraph');
    await expect(block.locator('code')).toHaveText('<script>window.__pwned=2</script> **not bold**');
    await expect(block.locator('strong')).toHaveCount(0);
    await expect(tab.log(group).locator('img, script, a[href^="javascript"]')).toHaveCount(0);
    const rtl = tab.messages(group).filter({ hasText: 'שלום' }).getByRole('paragraph');
    await expect(rtl).toHaveAttribute('dir', 'auto');
    expect(await rtl.evaluate((p) => getComputedStyle(p).direction)).toBe('rtl');
    expect(await tab.page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  }

  // Clicking opens the address in a new tab, with no opener.
  const popupPromise = bob.context.waitForEvent('page');
  await bob.tab.messages(group).getByRole('link', { name: 'https://example.com/docs?a=1&b=2' }).click();
  const popup = await popupPromise;
  await popup.waitForLoadState();
  expect(popup.url()).toBe('https://example.com/docs?a=1&b=2');
  expect(await popup.evaluate(() => window.opener)).toBeNull();
  await popup.close();
});
