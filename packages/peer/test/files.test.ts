// Files over the in-memory network through the Peer facade (PROTOCOL.md §10):
// a file message reaches every member and its bytes follow, verified, from
// every holder; a late joiner fetches on demand; a holder serving garbage is
// refused, counted and skipped; a declared size over the cap stores nothing;
// a reload resumes from the chunks already stored.
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeChunkBase64,
  FILE_CHUNK_BYTES,
  LEGACY_FILE_CHUNK_BYTES,
  type GroupId,
  type PeerId,
} from '@chorus/protocol';
import type { TransferEvent } from '../src/api.ts';
import { WANT_WINDOW } from '../src/files/download.ts';
import { chunkFile, proofBytes, proofTexts } from '../src/files/file-chunks.ts';
import { waitFor, type ScenarioPeer } from './scenarios/network.ts';
import { bytesOf, corrupt, fileMessage, hex } from './files-fixtures.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

async function room(names: string[]): Promise<{ groupId: GroupId; peers: ScenarioPeer[]; w: MemoryWorld }> {
  const w = memoryWorld(11);
  world = w;
  const peers: ScenarioPeer[] = [];
  for (const n of names) peers.push(await w.network.addPeer(n));
  const g = await peers[0]!.peer.createGroup('files', 'fifo');
  for (const p of peers) await p.peer.join(g.groupId);
  return { groupId: g.groupId, peers, w };
}

describe('files over the mesh', () => {
  it('sends a file every member fetches by itself, each with the right bytes and progress', async () => {
    const { groupId, peers } = await room(['ana', 'ben', 'cy']);
    const [ana, ben, cy] = peers.map((p) => p.peer);
    const done: TransferEvent[] = [];
    ben!.on('transfer', (e) => {
      if (e.state !== 'running') done.push(e);
    });
    const bytes = bytesOf(20 * FILE_CHUNK_BYTES + 123, 1);
    const sent = await ana!.files.send(groupId, { name: '../etc/report.pdf', type: 'application/pdf', bytes }, 'Q3');
    expect(sent.file).toMatchObject({
      name: 'report.pdf',
      size: bytes.length,
      sha256: await hex(bytes),
      caption: 'Q3',
    });
    for (const p of [ben!, cy!])
      await waitFor(`${p.name} stored the file`, async () => (await p.files.read(sent.file!.sha256)) !== null);
    for (const p of [ben!, cy!]) expect(await hex((await p.files.read(sent.file!.sha256))!)).toBe(sent.file!.sha256);
    expect(done).toEqual([
      expect.objectContaining({
        hash: sent.file!.sha256,
        state: 'done',
        bytesDone: bytes.length,
        direction: 'receive',
      }),
    ]);
    const seen = await fileMessage(peers[1]!, groupId, sent.id);
    expect(seen.file?.name).toBe('report.pdf');
  });

  it('names a file being sent by its hash from its first report, and leaves no send running once its message is out', async () => {
    const { groupId, peers } = await room(['ana', 'ben']);
    const ana = peers[0]!.peer;
    const sends: TransferEvent[] = [];
    ana.on('transfer', (e) => {
      if (e.direction === 'send') sends.push(e);
    });
    // Over 256 chunks: the Merkle hashing reports progress (every 256 chunks) before the message goes out.
    const bytes = bytesOf(300 * FILE_CHUNK_BYTES, 9);
    const sent = await ana.files.send(groupId, { name: 'big.bin', type: 'application/octet-stream', bytes });
    expect(sends.length).toBeGreaterThan(1);
    expect(new Set(sends.map((e) => e.hash))).toEqual(new Set([sent.file!.sha256]));
    expect(ana.files.transfers().filter((t) => t.direction === 'send' && t.state === 'running')).toEqual([]);
  });

  it('keeps a file stored in the earlier chunk size in that size: sent again, it is fetched and verified in it', async () => {
    const { groupId, peers, w } = await room(['ana', 'ben']);
    const bytes = bytesOf(7 * LEGACY_FILE_CHUNK_BYTES + 5, 6);
    // Ana holds the file as a peer from before the chunk size changed stored it.
    const old = await chunkFile(bytes, undefined, LEGACY_FILE_CHUNK_BYTES);
    const store = w.stores.get(peers[0]!.peerId)!;
    for (const [i, c] of old.chunks.entries()) await store.putChunk(old.sha256, i, c);
    const record = { hash: old.sha256, root: old.root, size: bytes.length, chunkSize: LEGACY_FILE_CHUNK_BYTES };
    await store.putBlob({ ...record, complete: true });
    const sent = await peers[0]!.peer.files.send(groupId, { name: 'old.bin', type: '', bytes });
    expect(sent.file).toMatchObject({ chunkSize: LEGACY_FILE_CHUNK_BYTES, root: old.root });
    await waitFor('ben holds it', async () => (await peers[1]!.peer.files.read(sent.file!.sha256)) !== null);
    expect(await hex((await peers[1]!.peer.files.read(sent.file!.sha256))!)).toBe(old.sha256);
    expect(await w.stores.get(peers[1]!.peerId)!.getBlob(old.sha256)).toMatchObject({ ...record, complete: true });
  });

  it('lets a late joiner fetch an old file from the members that hold it', async () => {
    const { groupId, peers, w } = await room(['ana', 'ben']);
    const bytes = bytesOf(9 * FILE_CHUNK_BYTES, 2);
    const sent = await peers[0]!.peer.files.send(groupId, { name: 'a.bin', type: '', bytes });
    await waitFor('ben holds it', async () => (await peers[1]!.peer.files.read(sent.file!.sha256)) !== null);
    const dee = await w.network.addPeer('dee');
    dee.peer.files.setAutoDownload(0);
    await dee.peer.join(groupId);
    const msg = await fileMessage(dee, groupId, sent.id);
    expect(await dee.peer.files.stored(sent.file!.sha256)).toBeNull();
    const got = await dee.peer.files.fetch(msg);
    expect(await hex(got)).toBe(sent.file!.sha256);
  });

  it('refuses and counts chunks from a holder serving garbage, and still completes from the others', async () => {
    const { groupId, peers, w } = await room(['ana', 'ben', 'cy']);
    // More chunks than one member's window, so every holder is asked for some.
    const bytes = bytesOf(3 * WANT_WINDOW * FILE_CHUNK_BYTES, 3);
    const sent = await peers[0]!.peer.files.send(groupId, { name: 'b.bin', type: '', bytes });
    await waitFor('ben holds it', async () => (await peers[1]!.peer.files.read(sent.file!.sha256)) !== null);
    corrupt(w, peers[1]!.peerId);
    const dee = await w.network.addPeer('dee');
    dee.peer.files.setAutoDownload(0);
    await dee.peer.join(groupId);
    const got = await dee.peer.files.fetch(await fileMessage(dee, groupId, sent.id));
    expect(await hex(got)).toBe(sent.file!.sha256);
    expect(dee.peer.metrics(groupId)?.rejectedFrames).toBeGreaterThan(0);
  });

  it('refuses to send a file over the cap, storing nothing and sending nothing', async () => {
    const { groupId, peers } = await room(['ana']);
    const ana = peers[0]!.peer;
    const big = new Uint8Array(ana.files.maxFileBytes + 1);
    await expect(ana.files.send(groupId, { name: 'big', type: '', bytes: big })).rejects.toMatchObject({
      code: 'too-large',
    });
    expect(ana.metrics(groupId)?.sent).toBe(0);
    expect(await ana.files.stored(await hex(big))).toBeNull();
  });

  it('refuses a declared size over its own cap before asking for or storing any byte', async () => {
    // Ben's cap is lower than the file Ana sends (and than his auto-download limit).
    const w = memoryWorld(12, {
      filesOf: (name) =>
        name === 'ben' ? { maxFileBytes: 20 * FILE_CHUNK_BYTES, autoDownloadBytes: 100 * FILE_CHUNK_BYTES } : undefined,
    });
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const { groupId } = await ana.peer.createGroup('files', 'fifo');
    for (const p of [ana, ben]) await p.peer.join(groupId);
    const wants: PeerId[] = [];
    w.net.dropFrames((_g, from, _to, f) => {
      if (f.t === 'file-want') wants.push(from);
      return false;
    });
    const transfers: TransferEvent[] = [];
    ben.peer.on('transfer', (e) => transfers.push(e));
    const sent = await ana.peer.files.send(groupId, {
      name: 'e.bin',
      type: '',
      bytes: bytesOf(21 * FILE_CHUNK_BYTES, 6),
    });
    const msg = await fileMessage(ben, groupId, sent.id);
    expect(msg.file?.size).toBe(21 * FILE_CHUNK_BYTES);
    await expect(ben.peer.files.fetch(msg)).rejects.toMatchObject({ code: 'too-large' });
    // A later message goes through the same links: the file message's auto-download would have asked by then.
    await ana.peer.send(groupId, 'after');
    await waitFor('ben has the later message', async () =>
      (await ben.peer.history(groupId)).some((m) => m.body === 'after'),
    );
    expect(wants).toEqual([]);
    expect(transfers).toEqual([]);
    expect(await ben.peer.files.stored(sent.file!.sha256)).toBeNull();
  });

  it('reports a full disk as a quota error and keeps the chunks stored before it', async () => {
    const { groupId, peers, w } = await room(['ana', 'ben']);
    peers[1]!.peer.files.setAutoDownload(0);
    const bytes = bytesOf(20 * FILE_CHUNK_BYTES, 5);
    const sent = await peers[0]!.peer.files.send(groupId, { name: 'd.bin', type: '', bytes });
    const store = w.stores.get(peers[1]!.peerId)!;
    const put = store.putChunk.bind(store);
    let writes = 0;
    store.putChunk = (hash, index, chunk) =>
      ++writes > 5 ? Promise.reject(new DOMException('full', 'QuotaExceededError')) : put(hash, index, chunk);
    const ended: TransferEvent[] = [];
    peers[1]!.peer.on('transfer', (e) => {
      if (e.state !== 'running') ended.push(e);
    });
    const fetching = peers[1]!.peer.files.fetch(await fileMessage(peers[1]!, groupId, sent.id));
    await expect(fetching).rejects.toMatchObject({ code: 'quota' });
    expect(ended).toEqual([
      expect.objectContaining({ state: 'failed', error: expect.objectContaining({ code: 'quota' }) }),
    ]);
    expect((await peers[1]!.peer.files.stored(sent.file!.sha256))?.bytesStored).toBe(5 * FILE_CHUNK_BYTES);
    expect(await peers[1]!.peer.history(groupId)).toHaveLength(1);
  });

  it('resumes after a reload from the chunks already stored', async () => {
    const { groupId, peers, w } = await room(['ana', 'ben']);
    const bytes = bytesOf(30 * FILE_CHUNK_BYTES, 4);
    peers[1]!.peer.files.setAutoDownload(0);
    const sent = await peers[0]!.peer.files.send(groupId, { name: 'c.bin', type: '', bytes });
    const msg = await fileMessage(peers[1]!, groupId, sent.id);
    // Only part of the file gets through before ben's tab reloads.
    let passed = 0;
    w.net.dropFrames((_g, _from, _to, f) => f.t === 'file-chunk' && ++passed > 12);
    void peers[1]!.peer.files.fetch(msg).catch(() => {});
    await waitFor(
      'ben stored some',
      async () => ((await peers[1]!.peer.files.stored(sent.file!.sha256))?.bytesStored ?? 0) >= 12 * FILE_CHUNK_BYTES,
    );
    const ben = await w.reload(peers[1]!);
    w.net.dropFrames(null);
    ben.peer.files.setAutoDownload(0);
    await ben.peer.join(groupId);
    const before = await ben.peer.files.stored(sent.file!.sha256);
    expect(before?.bytesStored).toBe(12 * FILE_CHUNK_BYTES);
    const got = await ben.peer.files.fetch(msg);
    expect(await hex(got)).toBe(sent.file!.sha256);
  });

  it('stores an audit path as the base64 text of each hash, read back as the same bytes', () => {
    for (let n = 0; n <= 20; n++) {
      const path = Array.from({ length: n }, (_, k) =>
        Uint8Array.from({ length: 32 }, (_, i) => (k * 37 + i * 11) & 255),
      );
      const texts = proofTexts(path);
      expect(texts).toEqual(path.map((h) => encodeChunkBase64(h)));
      expect(proofBytes(texts)).toEqual(path);
    }
  });
});
