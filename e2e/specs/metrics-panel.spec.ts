// The metrics panel (issue 14): its numbers are kept per group across a
// reload of the tab (counts add up), every term is explained, and the
// latency plot has axes with units.

import type { Locator } from '@playwright/test';
import { expect, test } from '../support/fixtures.ts';

/** The number shown for a term of the panel (`Sent`, `Received`, …). */
function value(panel: Locator, term: string): Locator {
  return panel
    .locator('dl')
    .first()
    .locator('div')
    .filter({ has: panel.page().locator('dt', { hasText: new RegExp(`^${term}$`) }) })
    .locator('dd');
}

test('metrics are kept per group across a reload, each term is explained, the plot has axes and units', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('metrics');
  const other = uniqueName('metrics-other');
  const alice = user.tab;
  await alice.createGroup(other, 'FIFO');
  await alice.createGroup(group, 'Total');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);
  const carol = (await makeUser('Carol')).tab;
  await carol.join(group);
  for (const text of ['a1', 'a2', 'a3']) await alice.send(text);
  await bob.send('b1');
  await carol.send('c1');
  await expect(alice.messages(group)).toHaveCount(5);

  const panel = alice.page.getByRole('region', { name: 'Metrics' });
  await expect(value(panel, 'Sent')).toHaveText('3');
  await expect(value(panel, 'Received')).toHaveText('2');
  await expect(value(panel, 'Total')).toHaveText('5');
  await expect(value(panel, 'Latency p50')).toContainText('ms');
  await expect(value(panel, 'Throughput')).toContainText('msg/s');

  // Every term explained.
  await panel.getByText('What these numbers mean').click();
  for (const term of ['Sent', 'Received', 'Total', 'Throughput', 'Latency p50', 'Latency p99', 'Rejected frames']) {
    await expect(panel.locator('.terms dt', { hasText: new RegExp(`^${term}$`) })).toBeVisible();
  }
  // The plot says what its axes are, with units.
  const plot = panel.getByRole('img', {
    name: /Delivery latency of the last \d+ messages, oldest to newest, from 0 to \d+ milliseconds/,
  });
  await expect(plot).toBeVisible();
  await expect(plot.locator('text')).toContainText(['ms', '0 ms', 'older', 'newest']);

  // A reload keeps the numbers: before anything new they are the carried ones, then they add up.
  await alice.page.reload();
  await alice.waitOnline();
  await alice.expectJoined(group);
  await expect(value(panel, 'Sent')).toHaveText('3');
  await expect(value(panel, 'Received')).toHaveText('2');
  await alice.send('a4');
  await bob.send('b2');
  await expect(value(panel, 'Sent')).toHaveText('4');
  await expect(value(panel, 'Received')).toHaveText('3');
  await expect(value(panel, 'Total')).toHaveText('7');

  // Per group: the other group has its own (none yet).
  await alice.open(other);
  await expect(value(panel, 'Sent')).toHaveText('0');
});
