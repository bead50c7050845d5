// A hidden tab counts new messages in its title and shows desktop notifications.

import { expect, test } from '../support/fixtures.ts';
import { notifications, setTabHidden, TAB_VISIBILITY_SCRIPT } from '../support/tab-visibility.ts';

test('while the tab is hidden the title counts new messages and each one notifies', async ({
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('notify');
  const alice = (await makeUser('Alice', { permissions: ['notifications'], initScripts: [TAB_VISIBILITY_SCRIPT] })).tab;
  await alice.createGroup(group, 'Total');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);

  await bob.send('seen while visible');
  await expect(alice.messages(group)).toHaveCount(1);
  await expect(alice.page).toHaveTitle('Chorus');

  await setTabHidden(alice.page, true);
  for (let i = 1; i <= 3; i++) await bob.send(`while hidden ${i}`);
  await expect(alice.page).toHaveTitle('(3) Chorus');
  await expect
    .poll(async () => (await notifications(alice.page)).map((n) => `${n.title}: ${n.body}`))
    .toEqual([1, 2, 3].map((i) => `Bob in ${group}: while hidden ${i}`));
  // The sender's own tab is visible: no badge there.
  await expect(bob.page).toHaveTitle('Chorus');

  await setTabHidden(alice.page, false);
  await expect(alice.page).toHaveTitle('Chorus');
});
