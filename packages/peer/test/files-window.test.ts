// How far ahead a receiver asks (PROTOCOL.md §10.4 "From whom"): deep enough
// that its holder's data channel holds megabytes (writing into an empty one
// costs @roamhq/wrtc's `send` several times a write into a full one), and a
// member's window is shared by every file fetched from it at once, so what a
// holder queues for one receiver stays within that window.
import { afterEach, describe, expect, it } from 'vitest';
import { FILE_CHUNK_BYTES, type GroupId, type PeerId } from '@chorus/protocol';
import { Download, STORED_WANT_WINDOW, WANT_WINDOW, type DownloadHost } from '../src/files/download.ts';
import type { BlobStore } from '../src/files/blob-store.ts';
import { bytesOf, fileMessage, hex } from './files-fixtures.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

const MIB = 1024 * 1024;

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

/** Ana holds `files` files of `chunks` chunks each; Dee, in the group with her alone, fetches none by itself. */
async function holderAndReceiver(files: number, chunks: number) {
  const w = memoryWorld(41);
  world = w;
  const ana = await w.network.addPeer('ana');
  const { groupId } = await ana.peer.createGroup('files', 'fifo');
  await ana.peer.join(groupId);
  const sent = [];
  for (let k = 0; k < files; k++)
    sent.push(
      await ana.peer.files.send(groupId, {
        name: `f${k}.bin`,
        type: '',
        bytes: bytesOf(chunks * FILE_CHUNK_BYTES, 50 + k),
      }),
    );
  const dee = await w.network.addPeer('dee');
  dee.peer.files.setAutoDownload(0);
  await dee.peer.join(groupId);
  const messages = [];
  for (const m of sent) messages.push(await fileMessage(dee, groupId, m.id));
  // Chunks Dee asked of Ana and has not received yet, over all files, and the most at any moment.
  const outstanding = new Set<string>();
  let most = 0;
  w.net.dropFrames((_g: GroupId, from: PeerId, to: PeerId, frame) => {
    if (from === dee.peerId && to === ana.peerId && frame.t === 'file-want') {
      for (const i of frame.chunks) outstanding.add(`${frame.hash}:${i}`);
      most = Math.max(most, outstanding.size);
    } else if (from === ana.peerId && frame.t === 'file-chunk') outstanding.delete(`${frame.hash}:${frame.index}`);
    return false;
  });
  return { dee, messages, most: () => most };
}

describe('how far ahead a receiver asks', () => {
  it('keeps megabytes asked of its only holder, not half a megabyte', async () => {
    const { dee, messages, most } = await holderAndReceiver(1, 2 * WANT_WINDOW);
    const got = await dee.peer.files.fetch(messages[0]!);
    expect(await hex(got)).toBe(messages[0]!.file!.sha256);
    // 32 chunks (≈ 500 KiB) before: the holder wrote every chunk into an empty channel.
    expect(most() * FILE_CHUNK_BYTES).toBeGreaterThanOrEqual(1.5 * MIB);
  });

  it('asks one holder for at most a window in all while it fetches several files from it', async () => {
    const { dee, messages, most } = await holderAndReceiver(3, WANT_WINDOW);
    const got = await Promise.all(messages.map((m) => dee.peer.files.fetch(m)));
    for (const [k, bytes] of got.entries()) expect(await hex(bytes)).toBe(messages[k]!.file!.sha256);
    // Before, each download had a window of its own: three files asked three windows of one member.
    expect(most()).toBeLessThanOrEqual(WANT_WINDOW);
  });
});

describe('a receiver that stores in IndexedDB', () => {
  /** Chunks one download asks of its only holder before any comes back, with or without an off-thread check. */
  async function firstAsk(offThread: boolean): Promise<number> {
    const store: BlobStore = {
      getBlob: async () => null,
      putBlob: async () => {},
      putChunk: async () => {},
      getChunk: async () => null,
      chunkIndexes: async () => [],
      ...(offThread ? { checkAndPutChunk: () => new Promise<boolean>(() => {}) } : {}),
    };
    const asked: number[] = [];
    const holder = 'holder' as PeerId;
    let d: Download | null = null;
    const host: DownloadHost = {
      store,
      chunkTimeoutMs: 30_000,
      openPeers: () => [holder],
      running: () => 1,
      asked: (_g, peer) => d?.askedOf(peer) ?? 0,
      send: (_g, _to, frame) => {
        if (frame.t === 'file-want') asked.push(...frame.chunks);
      },
      refused: () => {},
      now: () => 0,
      changed: () => {},
    };
    const size = 4 * WANT_WINDOW * FILE_CHUNK_BYTES;
    const meta = {
      name: 'f',
      type: '',
      size,
      sha256: '0'.repeat(64),
      root: '1'.repeat(64),
      chunkSize: FILE_CHUNK_BYTES,
    };
    d = new Download(host, 'g' as GroupId, { ...meta, caption: '' });
    await d.start();
    return asked.length;
  }

  it('keeps the shallow window (it works through chunks slower than they come), a Node receiver the deep one', async () => {
    expect(await firstAsk(true)).toBe(STORED_WANT_WINDOW);
    expect(await firstAsk(false)).toBe(WANT_WINDOW);
  });
});
