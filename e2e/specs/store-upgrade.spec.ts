// A browser whose history was written by the schema 1 build (message ids
// `sender:seq`): it lost Alice's first messages in "dogs" as "duplicates" of
// her messages in "cats". After loading this build the database is upgraded
// in place, and the next join refills the gap from a sponsor: every group is
// whole again, in the sponsor's order.

import { expect, test } from '../support/fixtures.ts';
import { gateTracker } from '../support/offline.ts';
import { IDB_VERSION } from '../../packages/peer/src/idb-schema.ts';

test('a profile written by the schema 1 build gets every group whole again after the upgrade', async ({
  user,
  makeUser,
  uniqueName,
}) => {
  test.setTimeout(180_000);
  const cats = uniqueName('cats');
  const dogs = uniqueName('dogs');
  const alice = user.tab;
  const bob = (await makeUser('Bob')).tab;
  await alice.createGroup(cats, 'FIFO');
  await bob.join(cats);
  await alice.open(cats);
  for (let i = 1; i <= 3; i++) await alice.send(`cats alice ${i}`);
  await expect(bob.messages(cats)).toHaveCount(3);
  await alice.createGroup(dogs, 'Total');
  await bob.join(dogs);
  for (let i = 1; i <= 3; i++) {
    for (const tab of [alice, bob]) {
      await tab.open(dogs);
      await tab.send(`dogs ${tab.userName.toLowerCase()} ${i}`);
    }
  }
  await expect(alice.messages(dogs)).toHaveCount(6);
  const reference: Record<string, string[]> = { [dogs]: await alice.bodies(dogs) };
  await alice.open(cats);
  reference[cats] = await alice.bodies(cats);
  expect(reference[cats]).toEqual(['cats alice 1', 'cats alice 2', 'cats alice 3']);
  // Bob's store holds all nine before his page goes.
  await expect
    .poll(() =>
      bob.page.evaluate(
        () =>
          new Promise<number>((resolve, reject) => {
            const req = indexedDB.open('chorus');
            req.onsuccess = () => {
              const count = req.result.transaction('batches').objectStore('batches').index('by-id').count();
              count.onsuccess = () => {
                resolve(count.result);
                req.result.close();
              };
            };
            req.onerror = () => reject(req.error);
          }),
      ),
    )
    .toBe(9);

  // Rewrite Bob's database as the schema 1 build would have left it: keyed `sender:seq`, the first
  // copy of an id kept, so Alice's seqs 1-3 in "dogs" are lost under her "cats" messages.
  await bob.page.goto('/store-check.html');
  const kept = await bob.page.evaluate(async () => {
    const request = <T>(r: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const opened = indexedDB.open('chorus');
    const current = await request(opened);
    const tx = current.transaction(['identities', 'groups', 'batches', 'cursors']);
    type Message = { groupId: string; deliveredAt: number; frame: { sender: string; seq: number } };
    const all = {
      identities: await request(tx.objectStore('identities').getAll()),
      groups: await request(tx.objectStore('groups').getAll()),
      messages: ((await request(tx.objectStore('batches').getAll())) as { items: Message[] }[]).flatMap((b) => b.items),
      cursors: await request(tx.objectStore('cursors').getAll()),
    };
    current.close();
    await request(indexedDB.deleteDatabase('chorus'));
    const v1 = indexedDB.open('chorus', 1);
    v1.onupgradeneeded = () => {
      const d = v1.result;
      d.createObjectStore('identities', { keyPath: 'name' });
      d.createObjectStore('groups', { keyPath: 'groupId' });
      const messages = d.createObjectStore('messages', { keyPath: 'id' });
      messages.createIndex('by-group-order', ['groupId', 'order']);
      messages.createIndex('by-group-sent', ['groupId', 'frame.sentAt']);
      d.createObjectStore('cursors', { keyPath: 'groupId' });
    };
    const old = await request(v1);
    const write = old.transaction(['identities', 'groups', 'messages', 'cursors'], 'readwrite');
    for (const r of all.identities) write.objectStore('identities').put(r);
    for (const r of all.groups) write.objectStore('groups').put(r);
    for (const r of all.cursors) write.objectStore('cursors').put(r);
    const ids = new Set<string>();
    const perGroup: Record<string, number> = {};
    for (const m of [...all.messages].sort((a, b) => a.deliveredAt - b.deliveredAt)) {
      const id = `${m.frame.sender}:${m.frame.seq}`;
      if (ids.has(id)) continue;
      ids.add(id);
      perGroup[m.groupId] = (perGroup[m.groupId] ?? 0) + 1;
      write.objectStore('messages').put({ ...m, id });
    }
    await new Promise<void>((resolve, reject) => {
      write.oncomplete = () => resolve();
      write.onerror = () => reject(write.error);
    });
    old.close();
    return perGroup;
  });
  expect(Object.values(kept).sort()).toEqual([3, 3]);

  // Bob comes back with this build: the upgrade keeps what was stored, and the re-join asks for
  // the whole history of the group with a gap.
  await bob.page.goto('/');
  await bob.waitOnline();
  for (const group of [cats, dogs]) {
    await bob.open(group);
    await expect(bob.messages(group)).toHaveCount(reference[group]?.length ?? -1);
    expect(await bob.bodies(group)).toEqual(reference[group]);
  }
  const version = await bob.page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const req = indexedDB.open('chorus');
        req.onsuccess = () => {
          resolve(req.result.version);
          req.result.close();
        };
      }),
  );
  expect(version).toBe(IDB_VERSION); // every step up to the current schema

  // And the refilled store alone serves a reload with the tracker out of reach.
  const gate = await gateTracker(bob.page);
  await bob.page.reload();
  await bob.open(dogs);
  await expect(bob.messages(dogs)).toHaveCount(6);
  expect(await bob.bodies(dogs)).toEqual(reference[dogs]);
  gate.open();
});
