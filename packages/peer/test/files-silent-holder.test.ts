// A holder that answers nothing (PROTOCOL.md §10.4, §10.5): a member with an
// open link that takes the wants for its share of a file and never sends a
// chunk nor a `file-none`. The receiver, with a short `files.chunkTimeoutMs`,
// gives up on those chunks and has them served by another holder, whatever
// order its links are in: the silent member is the first one asked (the
// first to get a want), so a receiver that gave the timed-out chunks back to
// the first member with room would ask the silent one forever. Silence is no
// strike: nothing is counted as rejected. Also the option's bad values.
import { afterEach, describe, expect, it } from 'vitest';
import { FILE_CHUNK_BYTES, type GroupId, type PeerId } from '@chorus/protocol';
import { createPeer } from '../src/index.ts';
import { WANT_WINDOW } from '../src/files/download.ts';
import { MemoryNetwork, MemoryStore, MemoryTracker } from '../src/testing.ts';
import { waitFor, type ScenarioPeer } from './scenarios/network.ts';
import { bytesOf, hex } from './files-fixtures.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

describe('a silent holder', () => {
  it('has its chunks asked of another holder after the chunk timeout, and is not counted as rejected', async () => {
    // Dee gives a member 300 ms per chunk; it gives up on the whole file only after 20 s without a chunk.
    const w = memoryWorld(23, {
      filesOf: (name) => (name === 'dee' ? { chunkTimeoutMs: 300, unavailableMs: 20_000 } : undefined),
    });
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const { groupId } = await ana.peer.createGroup('files', 'fifo');
    for (const p of [ana, ben]) await p.peer.join(groupId);
    // Three windows of chunks: each holder is asked for a full window at first.
    const bytes = bytesOf(3 * WANT_WINDOW * FILE_CHUNK_BYTES, 9);
    const sent = await ana.peer.files.send(groupId, { name: 'big.bin', type: '', bytes });
    const hash = sent.file!.sha256;
    await waitFor('ben holds it', async () => (await ben.peer.files.stored(hash))?.complete === true);

    const dee: ScenarioPeer = await w.network.addPeer('dee');
    dee.peer.files.setAutoDownload(0);
    await dee.peer.join(groupId);
    let msg = (await dee.peer.history(groupId)).find((m) => m.id === sent.id);
    await waitFor('dee has the file message', async () => {
      msg = (await dee.peer.history(groupId)).find((m) => m.id === sent.id);
      return msg !== undefined;
    });

    // Whoever dee asks first goes silent toward dee: its chunk and none frames never leave.
    let silent: PeerId | null = null;
    const askedOf = new Map<PeerId, Set<number>>();
    w.net.dropFrames((_g: GroupId, from, to, frame) => {
      if (from === dee.peerId && frame.t === 'file-want') {
        silent ??= to;
        const s = askedOf.get(to) ?? new Set<number>();
        for (const i of frame.chunks) s.add(i);
        askedOf.set(to, s);
      }
      return from === silent && to === dee.peerId && (frame.t === 'file-chunk' || frame.t === 'file-none');
    });

    const got = await dee.peer.files.fetch(msg!);
    expect(await hex(got)).toBe(hash);
    const other = [ana.peerId, ben.peerId].find((p) => p !== silent)!;
    const ofSilent = askedOf.get(silent!) ?? new Set<number>();
    // The silent member was asked a window's worth, and every one of those chunks was then asked of the other.
    expect(ofSilent.size).toBeGreaterThanOrEqual(WANT_WINDOW);
    const ofOther = askedOf.get(other)!;
    expect([...ofSilent].filter((i) => !ofOther.has(i))).toEqual([]);
    expect(dee.peer.metrics(groupId)?.rejectedFrames).toBe(0);
    expect(await dee.peer.files.stored(hash)).toMatchObject({ complete: true, bytesStored: bytes.length });
  });

  it('refuses a chunk timeout that is not a positive number of milliseconds', () => {
    const net = new MemoryNetwork({ seed: 1 });
    const tracker = new MemoryTracker();
    for (const chunkTimeoutMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const link = tracker.link({ peerId: 'p' as PeerId, name: 'p', publicKey: 'k' });
      expect(() =>
        createPeer({
          name: 'p',
          tracker: link,
          transport: net.transport('p' as PeerId, link),
          store: new MemoryStore(),
          files: { chunkTimeoutMs },
        }),
      ).toThrow(/chunkTimeoutMs must be a positive number/);
    }
    net.close();
  });
});
