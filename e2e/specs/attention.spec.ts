// A hidden tab counts new messages in its title and shows desktop notifications.

import { expect, test } from '../support/fixtures.ts';
import { notifications, setTabHidden, TAB_VISIBILITY_SCRIPT } from '../support/tab-visibility.ts';

test('while the tab is hidden the title counts new messages and each one notifies, as the group setting says', async ({
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

  // A busy group: only messages that mention her notify; the title still counts every one.
  const setting = alice.page.getByRole('combobox', { name: 'Notifications' });
  await expect(setting).toHaveValue('all');
  await setting.selectOption({ label: 'Mentions only' });
  await setTabHidden(alice.page, true);
  await bob.send('lunch is at one');
  await bob.send('@Alice are you coming?');
  await expect(alice.page).toHaveTitle('(2) Chorus');
  await expect
    .poll(async () => (await notifications(alice.page)).slice(3).map((n) => n.body))
    .toEqual(['@Alice are you coming?']);

  // Nothing: not even a mention notifies. The setting outlives a reload.
  await setTabHidden(alice.page, false);
  await setting.selectOption({ label: 'Nothing' });
  await alice.page.reload();
  await expect(alice.page.getByRole('combobox', { name: 'Notifications' })).toHaveValue('none');
  await setTabHidden(alice.page, true);
  await bob.send('@Alice last call');
  await bob.send('see you there');
  // The title and a notification are raised in one step, so with the title at 2 none can be on its way.
  await expect(alice.page).toHaveTitle('(2) Chorus');
  expect(await notifications(alice.page)).toEqual([]); // the reload started a fresh list: none since
});
