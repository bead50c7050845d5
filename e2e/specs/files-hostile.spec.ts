// Files from a hostile member (issue 10, PROTOCOL.md §10.5). Mallory is a
// Node peer on real WebRTC (@roamhq/wrtc) running the shipped runtime with a
// blob store that lies (support/claiming-blobs.ts): she claims to hold Alice's
// file whole and serves garbage for every chunk asked of her. Ben and Cat
// still save the file with the right SHA-256: her chunks are refused, counted
// in their rejected frames (the Metrics panel) and fetched from the others,
// and after a few she is not asked again (at most one window of chunks per
// download, of a file many windows long). Then her own files: one whose name
// carries a path, markup and a right-to-left override is shown and saved
// under a safe name at the receivers, nothing in it runs; one declaring a
// size over the receivers' cap is refused before a byte is asked or stored.

import wrtc from '@roamhq/wrtc';
import { createPeer, FILE_CHUNK_BYTES, WANT_WINDOW, type ChatMessage, type ChorusPeer } from '@chorus/peer';
import { withFingerprint, type GroupId } from '@chorus/protocol';
import type { Page } from '@playwright/test';
import { expect, test } from '../support/fixtures.ts';
import type { ChatTab } from '../support/chat-tab.ts';
import { ClaimingBlobs } from '../support/claiming-blobs.ts';
import { attachFile, downloadedHash, MiB, randomFile, sha256 } from '../support/files.ts';

const fileMessage = (tab: ChatTab, group: string, name: string) => tab.messages(group).filter({ hasText: name });

/** The number the Metrics panel of `tab` shows for rejected frames (of the open group). */
async function rejectedFrames(tab: ChatTab): Promise<number> {
  const value = tab.page
    .getByRole('region', { name: 'Metrics' })
    .locator('div')
    .filter({ hasText: /^Rejected frames/ })
    .getByRole('definition');
  return Number(await value.innerText());
}

/** What the tab's IndexedDB holds of a file: its record and how many chunks. */
const storedOf = (page: Page, hash: string): Promise<{ record: boolean; chunks: number }> =>
  page.evaluate(
    (h) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('chorus');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['blobs', 'blobChunks']);
          const record = tx.objectStore('blobs').count(h);
          const chunks = tx.objectStore('blobChunks').count(IDBKeyRange.bound([h, 0], [h, Infinity]));
          tx.oncomplete = () => {
            db.close();
            resolve({ record: record.result > 0, chunks: chunks.result });
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    hash,
  );

async function groupIdOf(tab: ChatTab, group: string): Promise<GroupId> {
  const href = await tab.navLink(group).getAttribute('href');
  const groupId = decodeURIComponent(/#\/g(?:roup)?\/(.+)$/.exec(href ?? '')?.[1] ?? '') as GroupId;
  expect(groupId).not.toBe('');
  return groupId;
}

function mallory(baseURL: string, blobs: ClaimingBlobs): ChorusPeer {
  return createPeer({
    name: 'Mallory',
    trackerUrl: baseURL,
    wrtc,
    socketOptions: { transports: ['websocket'] },
    blobStore: blobs,
    // Her own cap is over everyone else's; she fetches nothing herself.
    files: { maxFileBytes: 200 * MiB, autoDownloadBytes: 0 },
  });
}

test('a member serving garbage for a file it claims spoils nothing: refused, counted, skipped', async ({
  user,
  makeUser,
  uniqueName,
  baseURL,
}) => {
  test.setTimeout(240_000);
  const group = uniqueName('files-hostile');
  const alice = user.tab;
  await alice.createGroup(group, 'FIFO');
  const groupId = await groupIdOf(alice, group);

  const blobs = new ClaimingBlobs();
  const peer = mallory(baseURL as string, blobs);
  try {
    // She claims every file she hears of.
    peer.on('message', (m: ChatMessage) => {
      if (m.file) blobs.claim(m.file);
    });
    await peer.connect();
    await peer.join(groupId);
    await expect(alice.member(group, 'Mallory')).toContainText('online');

    // Over "Download automatically" (10 MiB), so each receiver starts it once everyone is online.
    const file = randomFile('results.bin', 11 * MiB);
    const chunks = Math.ceil(file.buffer.length / FILE_CHUNK_BYTES);
    expect(chunks).toBeGreaterThan(2 * WANT_WINDOW);
    await attachFile(alice.page, file);
    await alice.page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => blobs.claims(sha256(file.buffer))).toBe(true);

    const ben = (await makeUser('Ben')).tab;
    await ben.join(group);
    const cat = (await makeUser('Cat')).tab;
    await cat.join(group);
    for (const tab of [ben, cat])
      for (const name of ['Alice', 'Mallory', 'Ben', 'Cat'])
        await expect(tab.member(group, name)).toContainText('online');

    const saved = await Promise.all(
      [ben, cat].map((tab) => downloadedHash(tab.page, fileMessage(tab, group, 'results.bin'))),
    );
    expect(saved).toEqual([
      { hash: sha256(file.buffer), name: 'results.bin' },
      { hash: sha256(file.buffer), name: 'results.bin' },
    ]);
    // Every receiver asked her, refused what she sent and said so, and stopped asking after one window.
    expect(blobs.garbageServed).toBeGreaterThan(0);
    expect(blobs.garbageServed).toBeLessThanOrEqual(2 * WANT_WINDOW);
    // Said in two lines that name her as the member list does (name and key fingerprint), not one per chunk.
    const key = peer
      .groups()
      .find((g) => g.groupId === groupId)!
      .members.find((m) => m.peerId === peer.peerId)!.publicKey;
    const who = withFingerprint('Mallory', key);
    for (const tab of [ben, cat]) {
      await expect.poll(() => rejectedFrames(tab)).toBeGreaterThan(0);
      expect(await rejectedFrames(tab)).toBeLessThanOrEqual(WANT_WINDOW);
      const refused = tab.log(group).getByText(`of "results.bin" from ${who}: not matching the file's signed root`);
      await expect(refused).toHaveCount(1);
      // Its running count is every chunk of hers counted in rejected frames (nobody else sent a bad one).
      await expect
        .poll(async () => {
          const counted = /Refused (\d+) chunks? of/u.exec(await refused.innerText())?.[1];
          return Number(counted) === (await rejectedFrames(tab));
        })
        .toBe(true);
      await expect(tab.log(group).getByText(`${who} is not asked for "results.bin" again`)).toHaveCount(1);
      await expect(tab.log(group).getByText(who)).toHaveCount(2);
    }
    // Alice, who sent it, refused nothing: Mallory serves only the files she claims.
    expect(await rejectedFrames(alice)).toBe(0);
  } finally {
    await peer.close();
  }
});

test("a member's file names are shown and saved safely, and a size over the cap is refused before a byte is stored", async ({
  user,
  makeUser,
  uniqueName,
  baseURL,
}) => {
  test.setTimeout(180_000);
  const group = uniqueName('files-names');
  const alice = user.tab;
  await alice.createGroup(group, 'FIFO');
  const groupId = await groupIdOf(alice, group);
  const ben = (await makeUser('Ben')).tab;
  await ben.join(group);

  const blobs = new ClaimingBlobs();
  const peer = mallory(baseURL as string, blobs);
  try {
    await peer.connect();
    await peer.join(groupId);
    for (const tab of [alice, ben]) await expect(tab.member(group, 'Mallory')).toContainText('online');

    // The raw name travels in her signed message; each receiver's parser keeps the last segment, without the override.
    const evil = '..\\..\\<img src=x onerror="window.__pwned=1">\u202egnp.exe';
    const shown = '<img src=x onerror="window.__pwned=1">gnp.exe';
    const small = new Uint8Array(3000).fill(7);
    await peer.files.send(groupId, { name: evil, type: 'text/html', bytes: small }, 'read me');
    for (const tab of [alice, ben]) {
      const card = fileMessage(tab, group, 'read me');
      await expect(card).toContainText(shown);
      await expect(card).not.toContainText('..');
      expect(await card.innerText()).not.toContain('\u202e');
      await expect(card.locator('img')).toHaveCount(0);
      const saved = await downloadedHash(tab.page, card);
      expect(saved.hash).toBe(sha256(small));
      expect(saved.name).not.toMatch(/[\\/\u202e]/u);
      expect(saved.name).toMatch(/gnp\.exe$/u);
      expect(await tab.page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    }

    // Over the receivers' cap (100 MiB): the card says its size, Download says why not, nothing is asked or stored.
    const huge = new Uint8Array(100 * MiB + 1);
    const sent = await peer.files.send(groupId, { name: 'huge.iso', type: '', bytes: huge }, 'too big');
    const hash = sent.file!.sha256;
    const readsBefore = blobs.reads.get(hash) ?? 0;
    const card = fileMessage(ben, group, 'too big');
    await expect(card).toContainText('huge.iso');
    await card.getByRole('button', { name: 'Download' }).click();
    await expect(ben.log(group)).toContainText(
      '"huge.iso" declares 104 857 601 bytes; files are limited to 104 857 600 bytes (100.0 MiB).',
    );
    await expect(ben.page.getByRole('progressbar', { name: 'huge.iso' })).toHaveCount(0);
    for (const tab of [alice, ben]) expect(await storedOf(tab.page, hash)).toEqual({ record: false, chunks: 0 });
    expect(blobs.reads.get(hash) ?? 0).toBe(readsBefore);
  } finally {
    await peer.close();
  }
});
