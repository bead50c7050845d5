// Issue 14's rough edges: `/help`, `/join <group> <password>` (or a password
// prompt), the composer after leaving the last group, and your own connection
// state told honestly in the header.

import type { Page, WebSocketRoute } from '@playwright/test';
import { expect, test } from '../support/fixtures.ts';

test('/help lists the commands, /join takes a password or asks for it, the composer stays after leaving the last group', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  const open = uniqueName('edges-open');
  const locked = uniqueName('edges-locked');
  const alice = user.tab;
  await alice.createGroup(open, 'Total');
  await alice.createGroup(locked, 'FIFO', 'sesame');
  const bob = (await makeUser('Bob')).tab;
  const carol = (await makeUser('Carol')).tab;

  // No group open: the composer is there, and /help answers in a banner.
  await bob.send('/help');
  const help = bob.page.getByRole('alert').filter({ hasText: 'Commands:' });
  await expect(help).toContainText('/join <group> [password]');
  await expect(help).toContainText('/leave [group]');
  await help.getByRole('button', { name: 'Dismiss' }).click();

  // /join of a locked group without its password asks for it, in place.
  await bob.send(`/join ${locked}`);
  await bob.page.getByRole('textbox', { name: `Password for ${locked}` }).fill('sesame');
  await bob.page.getByRole('main').getByRole('button', { name: 'Join', exact: true }).click();
  await bob.expectJoined(locked);
  // With the group open, /help answers in its log.
  await bob.send('/help');
  await expect(bob.log(locked)).toContainText('/switch <group>');

  // /join <group> <password> in one line; a wrong one is said so.
  await carol.send(`/join ${locked} nope`);
  await expect(carol.page.getByRole('alert').filter({ hasText: `Wrong password for ${locked}` })).toBeVisible();
  await carol.send(`/join ${locked} sesame`);
  await carol.expectJoined(locked);
  await carol.send(`/join ${open}`);
  await carol.expectJoined(open);
  await carol.send('hello from a command-joined group');
  await alice.join(open);
  await expect(alice.messages(open).filter({ hasText: 'hello from a command-joined group' })).toHaveCount(1);

  // Leaving the last group leaves the composer: a command can still be typed.
  await carol.open(locked);
  await carol.leave(locked);
  await carol.leave(open);
  await expect(carol.page.getByRole('heading', { name: 'No group open' })).toBeVisible();
  const box = carol.page.getByRole('textbox', { name: 'Message' });
  await expect(box).toBeVisible();
  await carol.send(`/join ${open}`);
  await carol.expectJoined(open);
  // Plain text with no group open is kept in the box and explained.
  await carol.leave(open);
  await box.fill('nobody to send to');
  await box.press('Enter');
  await expect(carol.page.getByRole('alert').filter({ hasText: 'No group is open' })).toBeVisible();
  await expect(box).toHaveValue('nobody to send to');
});

/** The tab's tracker traffic passes through the test, which can cut it and keep it cut. */
async function cuttableTracker(page: Page): Promise<{ cut: () => Promise<void>; restore: () => void }> {
  let blocked = false;
  const sockets: WebSocketRoute[] = [];
  await page.route('**/socket.io/**', (route) => (blocked ? route.abort() : route.continue()));
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (blocked) {
      ws.close();
      return;
    }
    ws.connectToServer();
    sockets.push(ws);
  });
  return {
    cut: async () => {
      blocked = true;
      for (const ws of sockets.splice(0)) await ws.close();
    },
    restore: () => {
      blocked = false;
    },
  };
}

test('your own header says Offline when the network goes and Reconnecting… while the tracker is out of reach', async ({
  makeUser,
}) => {
  const alice = await makeUser('Alice');
  const status = (page: Page) => page.getByRole('banner').getByRole('status');
  await expect(status(alice.tab.page)).toHaveText('Online');
  await alice.context.setOffline(true);
  await expect(status(alice.tab.page)).toHaveText('Offline');
  await alice.context.setOffline(false);
  await expect(status(alice.tab.page)).toHaveText('Online');

  // A tab whose tracker socket drops and cannot come back.
  const page = await alice.context.newPage();
  const tracker = await cuttableTracker(page);
  await page.goto('/');
  await expect(status(page)).toHaveText('Online');
  await tracker.cut();
  await expect(status(page)).toHaveText('Reconnecting…');
  tracker.restore();
  await expect(status(page)).toHaveText('Online');
});
