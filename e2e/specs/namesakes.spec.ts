// Identity is a key, not a name (issue 12, docs/design.md §6 "People are
// keys"): a second "Alice" in another browser (her own IndexedDB, so her own
// key pair) is another person. Before the web app keyed people by key, the
// real Alice saw her namesake as her own "2 tabs" and the namesake's
// messages as her own (right-aligned, "✓ delivered").

import { expect, test } from '../support/fixtures.ts';

test('two people named Alice with different keys are two people to everyone, and one Alice in two tabs stays one', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('namesakes');
  const alice = user.tab;
  await alice.createGroup(group, 'Total');
  const other = (await makeUser('Alice')).tab; // another browser, same name, another key
  await other.join(group);
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);

  // Everyone sees two Alices, neither with "2 tabs"; each Alice is "you" on her own screen only.
  for (const tab of [alice, other, bob]) {
    await expect(tab.member(group, 'Alice')).toHaveCount(2);
    await expect(tab.members(group)).not.toContainText('tabs');
  }
  for (const tab of [alice, other]) await expect(tab.you(group)).toHaveCount(1);

  await alice.send('I am the Alice you know');
  await other.send('I am Alice too');
  await bob.send('Which one of you is Alice?');
  for (const tab of [alice, other, bob]) await expect(tab.messages(group)).toHaveCount(3);

  // On the real Alice's screen the namesake's message is not hers: not "delivered", not on her side; and the other way
  // round.
  const theirs = alice.messages(group).filter({ hasText: 'I am Alice too' });
  await expect(theirs).not.toContainText('delivered');
  await expect(theirs).not.toHaveClass(/\bmine\b/);
  const hers = alice.messages(group).filter({ hasText: 'I am the Alice you know' });
  await expect(hers).toContainText('✓ delivered');
  await expect(hers).toHaveClass(/\bmine\b/);
  await expect(other.messages(group).filter({ hasText: 'I am the Alice you know' })).not.toContainText('delivered');
  await expect(other.messages(group).filter({ hasText: 'I am Alice too' })).toContainText('✓ delivered');

  // The key fingerprints tell them apart: in every member list, and as the author of a message.
  const real = await alice.fingerprint();
  const namesake = await other.fingerprint();
  expect(namesake).not.toBe(real);
  for (const tab of [alice, other, bob]) {
    await expect(tab.person(group, `Alice (${real})`)).toContainText('online');
    await expect(tab.person(group, `Alice (${namesake})`)).toContainText('online');
  }
  await expect(alice.you(group)).toContainText(`Alice (${real})`);
  await expect(other.you(group)).toContainText(`Alice (${namesake})`);
  await expect(alice.messagesBy(group, `Alice (${namesake})`)).toContainText('I am Alice too');

  // Bob tells the two authors apart; his own name needs no fingerprint.
  await expect(bob.messagesBy(group, `Alice (${real})`)).toContainText('I am the Alice you know');
  await expect(bob.messagesBy(group, `Alice (${namesake})`)).toContainText('I am Alice too');
  await expect(bob.messagesBy(group, 'Bob')).toContainText('Which one of you is Alice?');
  await expect(bob.messagesBy(group, `Alice (${real})`)).not.toContainText('delivered');
  await expect(bob.messagesBy(group, `Alice (${namesake})`)).not.toContainText('delivered');
  await expect(bob.messagesBy(group, 'Bob')).toContainText('✓ delivered');

  // Typing names them as everywhere else: the namesake by her fingerprint, two Alices typing as two people.
  const typing = bob.page.getByRole('status').filter({ hasText: /typing…/ });
  await other.page.getByRole('textbox', { name: 'Message' }).fill('hel');
  await expect(typing).toHaveText(`Alice (${namesake}) is typing…`);
  await alice.page.getByRole('textbox', { name: 'Message' }).fill('wai');
  const both = [
    `Alice (${real}) and Alice (${namesake}) are typing…`,
    `Alice (${namesake}) and Alice (${real}) are typing…`,
  ];
  await expect(typing).toHaveText(new RegExp(`^(${both.map((t) => t.replace(/[()]/g, '\\$&')).join('|')})$`));

  // The same key in a second tab is the same person: "2 tabs" on her entry, not on the namesake's.
  const aliceAgain = await user.openTab();
  await aliceAgain.join(group);
  await expect(bob.person(group, `Alice (${real})`)).toContainText('2 tabs');
  await expect(bob.person(group, `Alice (${namesake})`)).not.toContainText('tabs');
  await expect(aliceAgain.fingerprint()).resolves.toBe(real);
  await expect(aliceAgain.messages(group).filter({ hasText: 'I am the Alice you know' })).toContainText('✓ delivered');
  await expect(aliceAgain.messages(group).filter({ hasText: 'I am Alice too' })).not.toContainText('delivered');
});
