// Relay through a member (issue 11, PROTOCOL.md §1.6) in real browsers: Ann
// and Ben cannot open a data channel to each other (every signaling message
// between them is dropped by Playwright routing, support/block-signals.ts;
// the app is not changed), Cat reaches both. Ben still joins, the three chat
// in a total-order group and see the same log, and each of the pair's
// members panel says the other is reached "via Cat" (Cat's says nothing of
// the kind: its links are direct).

import { expect, test } from '../support/fixtures.ts';
import { blockSignals } from '../support/block-signals.ts';

test('two users who cannot connect chat through a third, and the members panel says "via" her', async ({
  makeUser,
  uniqueName,
}) => {
  test.setTimeout(150_000);
  const group = uniqueName('relay');
  const ann = await makeUser('Ann', { setup: (context) => blockSignals(context, ['Ben']) });
  await ann.tab.createGroup(group, 'Total');
  const cat = await makeUser('Cat');
  await cat.tab.join(group);
  const ben = await makeUser('Ben', { setup: (context) => blockSignals(context, ['Ann']) });
  // Ben's join waits for a link to every member: the one to Ann can only be relayed.
  await ben.tab.join(group);
  const tabs = [ann.tab, ben.tab, cat.tab];
  for (const tab of tabs)
    for (const name of ['Ann', 'Ben', 'Cat']) await expect(tab.member(group, name)).toContainText('online');

  await expect(ann.tab.member(group, 'Ben')).toContainText('via Cat', { timeout: 30_000 });
  await expect(ben.tab.member(group, 'Ann')).toContainText('via Cat', { timeout: 30_000 });
  await expect(ann.tab.member(group, 'Cat')).not.toContainText('via');
  for (const name of ['Ann', 'Ben']) await expect(cat.tab.member(group, name)).not.toContainText('via');

  await Promise.all(
    tabs.map(async (tab) => {
      for (let i = 1; i <= 3; i++) await tab.send(`${tab.userName} ${i}`);
    }),
  );
  for (const tab of tabs) await expect(tab.messages(group)).toHaveCount(9);
  const reference = await ann.tab.bodies(group);
  expect(new Set(reference).size).toBe(9);
  for (const tab of tabs.slice(1)) expect(await tab.bodies(group)).toEqual(reference);
  for (const tab of tabs) await expect(tab.log(group).getByText('pending')).toHaveCount(0);
  // Still relayed at the end: the pair never opened a channel of its own.
  await expect(ann.tab.member(group, 'Ben')).toContainText('via Cat');
});
