// The same people in three groups of both orderings: a sender's seq restarts
// in every group, so the same sender and seq occur in each. After a reload
// and for a late joiner, every page shows each group whole and in one order
// (issue 16: with ids `sender:seq`, Alice's first messages in "dogs" were
// stored as duplicates of her messages in "cats" and vanished on reload).

import { expect, test } from '../support/fixtures.ts';
import type { ChatTab } from '../support/chat-tab.ts';
import { gateTracker } from '../support/offline.ts';

/** Waits until the tab shows `count` messages in `group`, then reads them in the order shown. */
async function whole(tab: ChatTab, group: string, count: number): Promise<string[]> {
  await tab.open(group);
  await expect(tab.messages(group)).toHaveCount(count);
  return tab.bodies(group);
}

test('three groups, same senders: after a reload and for a late joiner every group is whole and in one order', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  test.setTimeout(240_000);
  const cats = uniqueName('cats');
  const dogs = uniqueName('dogs');
  const birds = uniqueName('birds');
  const alice = user.tab;
  const bob = (await makeUser('Bob')).tab;

  // Alice posts 3 in "cats" (Bob is there too, so his store holds them).
  await alice.createGroup(cats, 'FIFO');
  await bob.join(cats);
  await alice.open(cats);
  for (let i = 1; i <= 3; i++) await alice.send(`cats alice ${i}`);

  // Then Alice and Bob talk in "dogs" (total order) and "birds" (FIFO): same senders, seqs from 1 again.
  const talk = async (group: string, rounds: number): Promise<void> => {
    for (let i = 1; i <= rounds; i++) {
      for (const tab of [alice, bob]) {
        await tab.open(group);
        await tab.send(`${group.split('-')[0]} ${tab.userName.toLowerCase()} ${i}`);
      }
    }
  };
  await alice.createGroup(dogs, 'Total');
  await bob.join(dogs);
  await talk(dogs, 3);
  await alice.createGroup(birds, 'FIFO');
  await bob.join(birds);
  await talk(birds, 2);

  const counts = { [cats]: 3, [dogs]: 6, [birds]: 4 };
  const reference: Record<string, string[]> = {};
  for (const [group, count] of Object.entries(counts)) {
    reference[group] = await whole(alice, group, count);
    expect(new Set(reference[group]).size).toBe(count);
    expect(await whole(bob, group, count)).toEqual(reference[group]);
  }
  expect(reference[dogs]).toEqual(
    expect.arrayContaining(['dogs alice 1', 'dogs alice 2', 'dogs alice 3', 'dogs bob 1']),
  );

  // Bob reloads with the tracker out of reach: what he stored alone shows every group whole.
  const gate = await gateTracker(bob.page);
  await bob.page.reload();
  for (const [group, count] of Object.entries(counts)) expect(await whole(bob, group, count)).toEqual(reference[group]);
  // Back online, he joins all three again and syncing adds nothing twice.
  gate.open();
  await bob.waitOnline();
  for (const [group, count] of Object.entries(counts)) {
    expect(await whole(bob, group, count)).toEqual(reference[group]);
    await expect(bob.member(group, 'Bob')).toContainText('online');
  }

  // Carol joins all three late: the sponsors' stores hand over each group whole.
  const carol = (await makeUser('Carol')).tab;
  for (const [group, count] of Object.entries(counts)) {
    await carol.join(group);
    expect(await whole(carol, group, count)).toEqual(reference[group]);
  }

  // And the groups go on: one more message in "dogs" reaches every page once.
  await carol.open(dogs);
  await carol.send('dogs carol 1');
  for (const tab of [alice, bob, carol])
    expect(await whole(tab, dogs, 7)).toEqual([...(reference[dogs] ?? []), 'dogs carol 1']);
});
