// The composer: Enter sends, Shift+Enter breaks a line, `/` runs commands;
// near the wire's cap a counter says how long the message is.

import { expect, test } from '../support/fixtures.ts';

test('Enter sends, Shift+Enter breaks the line', async ({ user, makeUser, uniqueName }) => {
  const group = uniqueName('lines');
  await user.tab.createGroup(group, 'FIFO');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);

  const box = user.tab.page.getByRole('textbox', { name: 'Message' });
  await box.pressSequentially('first line');
  await box.press('Shift+Enter');
  await box.pressSequentially('second line');
  await expect(box).toHaveValue('first line\nsecond line');
  await expect(bob.messages(group)).toHaveCount(0);
  await box.press('Enter');
  await expect(box).toHaveValue('');
  await expect(bob.messages(group).getByRole('paragraph')).toHaveText(['first line\nsecond line']);
  await expect(user.tab.messages(group)).toContainText('delivered');
});

test('slash commands list groups and members, join, switch and leave', async ({ user, makeUser, uniqueName }) => {
  const one = uniqueName('one');
  const two = uniqueName('two');
  await user.tab.createGroup(one, 'Total');
  await user.tab.createGroup(two, 'FIFO');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(one);

  await bob.send('/groups');
  await expect(bob.log(one)).toContainText(new RegExp(`Groups: .*${one} \\(Total, \\d+ online\\)`));
  await bob.send(`/members ${one}`);
  await expect(bob.log(one)).toContainText(/Members of .*: .*Alice/);

  await bob.send(`/join ${two}`);
  await bob.expectJoined(two);
  await bob.send(`/switch ${one}`);
  await expect(bob.log(one)).toBeVisible();
  await bob.send('back in one');
  await expect(user.tab.page.getByRole('navigation', { name: 'Joined groups' })).toBeVisible();
  await user.tab.open(one);
  await expect(user.tab.messages(one).filter({ hasText: 'back in one' })).toHaveCount(1);

  await bob.send(`/leave ${two}`);
  await expect(bob.navLink(two)).toHaveCount(0);
  await bob.send('/frobnicate');
  await expect(bob.log(one)).toContainText('/frobnicate:');
});

test('near the cap a counter describes the composer; a message of the cap is sent, one over it is kept and explained', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('cap');
  await user.tab.createGroup(group, 'FIFO');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);
  const box = user.tab.page.getByRole('textbox', { name: 'Message', exact: true });

  await box.fill('a'.repeat(3_599));
  await expect(box).toHaveAccessibleDescription('');
  await box.fill('a'.repeat(3_700));
  await expect(box).toHaveAccessibleDescription('3700 / 4000 characters');
  await box.fill('b'.repeat(4_001));
  await expect(box).toHaveAccessibleDescription('1 character over the limit of 4000');
  await expect(box).toHaveAttribute('aria-invalid', 'true');
  await box.press('Enter');
  await expect(user.tab.log(group)).toContainText(
    'Not sent: a message has at most 4000 characters (this one has 4001).',
  );
  await expect(box).toHaveValue('b'.repeat(4_001));

  // Exactly the cap: every receiver's parser takes it.
  await box.fill('c'.repeat(4_000));
  await box.press('Enter');
  await expect(bob.messages(group).getByRole('paragraph')).toHaveText(['c'.repeat(4_000)]);
  await expect(bob.messages(group)).toHaveCount(1);

  // The edit box counts against what an edit may hold: the cap less the edit's wrapper (its target, PROTOCOL.md §8).
  const mine = user.tab.messages(group).first();
  await mine.getByRole('button', { name: 'Edit' }).click();
  const edit = mine.getByRole('textbox', { name: 'Edit message' });
  await expect(edit).toHaveAccessibleDescription(/^\d+ characters over the limit of \d+$/);
  await edit.fill('d'.repeat(3_700));
  await expect(edit).toHaveAccessibleDescription(/^3700 \/ \d+ characters$/);
  const limit = Number(/\/ (\d+) /.exec((await mine.getByText(/^3700 \/ \d+ characters$/).textContent()) ?? '')?.[1]);
  expect(limit).toBeLessThan(4_000);
  await edit.fill('e'.repeat(limit + 1));
  await expect(edit).toHaveAccessibleDescription(`1 character over the limit of ${limit}`);
  await expect(edit).toHaveAttribute('aria-invalid', 'true');
  await edit.fill('e'.repeat(limit));
  await edit.press('Enter');
  await expect(bob.messages(group).getByRole('paragraph')).toHaveText(['e'.repeat(limit)]);
  await expect(bob.messages(group)).toContainText('(edited)');
});
