// Search (issue 14, point 5; docs/design.md §6): "Search messages" finds a
// message in another joined group and opens that group at it; "Filter groups"
// narrows the directory, which lists groups with people online first.

import { expect, test } from '../support/fixtures.ts';

test('search finds a message in another group and opens it there; the directory filters and lists online groups first', async ({
  makeUser,
  uniqueName,
}) => {
  const tag = uniqueName('find');
  const team = `${tag}-team`;
  const garden = `${tag}-garden`;
  const empty = `${tag}-attic`;
  const alice = (await makeUser('Alice')).tab;
  const bob = (await makeUser('Bob')).tab;
  const carol = (await makeUser('Carol')).tab;
  await alice.createGroup(team, 'Total');
  await alice.createGroup(garden, 'FIFO');
  await bob.join(team);
  await carol.join(garden);

  await carol.send('the pineapple plan is ready');
  for (let i = 1; i <= 5; i++) await carol.send(`garden chatter ${i}`);
  await expect(alice.messages(garden)).toHaveCount(6);
  await alice.open(team);
  await bob.send('team news');
  await expect(alice.messages(team)).toHaveCount(1);

  // Searching from the other group: the result names group, author, time and the words.
  const search = alice.page.getByRole('searchbox', { name: 'Search messages' });
  await search.fill('PINEAPPLE');
  const results = alice.page.getByRole('list', { name: 'Search results' });
  await expect(results.getByRole('listitem')).toHaveCount(1);
  const hit = results.getByRole('button');
  await expect(hit).toContainText(garden);
  await expect(hit).toContainText('Carol');
  await expect(hit).toContainText('the pineapple plan is ready');
  await expect(hit.locator('time')).toHaveAttribute('datetime', /\d{4}-\d\d-\d\dT/);
  await hit.click();
  await expect(alice.log(garden)).toBeVisible();
  const found = alice.messages(garden).filter({ hasText: 'the pineapple plan is ready' });
  await expect(found).toBeFocused();
  await expect(found).toBeInViewport();
  await expect(alice.page).toHaveURL(/#\/g\//);

  // A word in no message says so; Bob, who is not in the garden, does not find its message.
  await search.fill('zebra crossing');
  await expect(alice.page.getByText('No messages match.')).toBeVisible();
  await bob.page.getByRole('searchbox', { name: 'Search messages' }).fill('pineapple');
  await expect(bob.page.getByText('No messages match.')).toBeVisible();
  await expect(bob.page.getByRole('list', { name: 'Search results' })).toHaveCount(0);

  // A group nobody is in sorts after the ones with people online, though its name comes first.
  await carol.createGroup(empty, 'FIFO');
  await carol.leave(empty);
  const filter = alice.page.getByRole('searchbox', { name: 'Filter groups' });
  await filter.fill(tag.toUpperCase());
  const listed = alice.directory().getByRole('listitem');
  await expect(listed).toHaveCount(3);
  await expect(alice.listed(empty)).toContainText('0 online');
  await expect(listed.locator('.group-name')).toHaveText([garden, team, empty]);
  await filter.fill(`${tag}-gar`);
  await expect(listed.locator('.group-name')).toHaveText([garden]);
});
