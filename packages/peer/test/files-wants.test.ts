// How a receiver asks several holders (PROTOCOL.md §10.4 "From whom"): the
// download's window (DOWNLOAD_WINDOW over all members) binds before the
// members' own when several hold the file, and it refills by halves of a
// member's window like theirs. Asking as soon as one place was free sent a
// `file-want` of one chunk for nearly every chunk stored: each a blocking
// send on the receiver and a want to read and queue on the holder (at 3 and
// 7 receivers in the bench, as many wants as chunks).
import { afterEach, describe, expect, it } from 'vitest';
import { FILE_CHUNK_BYTES, type GroupId, type PeerId } from '@chorus/protocol';
import { WANT_REFILL_AT, WANT_WINDOW } from '../src/files/download.ts';
import { waitFor } from './scenarios/network.ts';
import { bytesOf, fileMessage, hex } from './files-fixtures.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

describe('wants to several holders', () => {
  it('ask at least half a window of chunks each, save at the end of the file', async () => {
    const w = memoryWorld(31);
    world = w;
    const holders = [];
    for (const name of ['ana', 'ben', 'cy', 'eve']) holders.push(await w.network.addPeer(name));
    const { groupId } = await holders[0]!.peer.createGroup('files', 'fifo');
    for (const p of holders) await p.peer.join(groupId);
    // Under the holders' auto-download limit (10 MiB), so they fetch it by themselves first.
    const chunks = 4 * WANT_WINDOW;
    const bytes = bytesOf(chunks * FILE_CHUNK_BYTES, 4);
    const sent = await holders[0]!.peer.files.send(groupId, { name: 'big.bin', type: '', bytes });
    const hash = sent.file!.sha256;
    for (const p of holders.slice(1))
      await waitFor(`${p.name} holds it`, async () => (await p.peer.files.stored(hash))?.complete === true);

    // Dee fetches from the four holders; every want it sends is counted.
    const dee = await w.network.addPeer('dee');
    dee.peer.files.setAutoDownload(0);
    await dee.peer.join(groupId);
    const wants: { to: PeerId; chunks: number }[] = [];
    w.net.dropFrames((_g: GroupId, from, to, frame) => {
      if (from === dee.peerId && frame.t === 'file-want') wants.push({ to, chunks: frame.chunks.length });
      return false;
    });
    const got = await dee.peer.files.fetch(await fileMessage(dee, groupId, sent.id));
    expect(await hex(got)).toBe(hash);

    // More than one holder served (the file came from several), in wants of half a window or more but for the
    // last few, when fewer chunks than that were left to ask.
    expect(new Set(wants.map((x) => x.to)).size).toBeGreaterThan(1);
    const small = wants.filter((x) => x.chunks < WANT_REFILL_AT);
    expect(small.length).toBeLessThanOrEqual(holders.length);
    expect(wants.length).toBeLessThanOrEqual(chunks / WANT_REFILL_AT + holders.length);
  });
});
