// What a receiver is told when a file goes wrong (PROTOCOL.md §10.5): a
// member serving garbage is named (display name and key fingerprint) in one
// running line per download, plus one line when it is no longer asked, while
// every bad chunk still counts in rejected frames; a size over the cap says
// two different numbers, in exact bytes when the MiB would round alike.
import { afterEach, describe, expect, it } from 'vitest';
import { FILE_CHUNK_BYTES, withFingerprint } from '@chorus/protocol';
import type { PeerEventMap } from '../src/api.ts';
import { MAX_STRIKES, WANT_WINDOW } from '../src/files/download.ts';
import { overLimit } from '../src/files/file-hub.ts';
import { waitFor } from './scenarios/network.ts';
import { corrupt, fileMessage } from './files-fixtures.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

const bytesOf = (n: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

/** The log lines `events` make: one per event without a topic, one per topic (holding its newest text). */
function lines(events: readonly PeerEventMap['error'][]): string[] {
  const out: string[] = [];
  const at = new Map<string, number>();
  for (const e of events) {
    const i = e.topic === undefined ? undefined : at.get(e.topic);
    if (i !== undefined) out[i] = e.message;
    else {
      if (e.topic !== undefined) at.set(e.topic, out.length);
      out.push(e.message);
    }
  }
  return out;
}

describe('file refusals as a receiver sees them', () => {
  it('names a member serving garbage in one counting line per download and one when it is skipped', async () => {
    const w = memoryWorld(21);
    world = w;
    const [ana, ben, cy] = [
      await w.network.addPeer('ana'),
      await w.network.addPeer('ben'),
      await w.network.addPeer('cy'),
    ];
    const { groupId } = await ana.peer.createGroup('files', 'fifo');
    for (const p of [ana, ben, cy]) await p.peer.join(groupId);
    // More chunks than two windows, so Ben is asked for a whole window before his first bad chunk comes back.
    const bytes = bytesOf(3 * WANT_WINDOW * FILE_CHUNK_BYTES, 7);
    const sent = await ana.peer.files.send(groupId, { name: 'b.bin', type: '', bytes });
    for (const p of [ben, cy])
      await waitFor(`${p.name} holds it`, async () => (await p.peer.files.read(sent.file!.sha256)) !== null);
    corrupt(w, ben.peerId);
    const dee = await w.network.addPeer('dee');
    dee.peer.files.setAutoDownload(0);
    const errors: PeerEventMap['error'][] = [];
    dee.peer.on('error', (e) => errors.push(e));
    await dee.peer.join(groupId);
    const msg = await fileMessage(dee, groupId, sent.id);

    const got = await dee.peer.files.fetch(msg);
    expect(Buffer.from(got).equals(Buffer.from(bytes))).toBe(true);
    const benKey = dee.peer.groups()[0]!.members.find((m) => m.peerId === ben.peerId)!.publicKey;
    const who = withFingerprint('ben', benKey);
    const rejected = dee.peer.metrics(groupId)!.rejectedFrames;
    // His whole first window came back bad, after he was skipped too: the count goes on past the skip.
    expect(rejected).toBeGreaterThan(MAX_STRIKES);
    // Every bad chunk is an event (so a UI can keep its count), but they make two lines.
    expect(errors).toHaveLength(rejected + 1);
    expect(lines(errors)).toEqual([
      `Refused ${rejected} chunks of "b.bin" from ${who}: not matching the file's signed root; asking other members.`,
      `${who} is not asked for "b.bin" again: ${MAX_STRIKES} chunks from them did not match the file's signed root.`,
    ]);
    expect(errors[0]!.message).toContain('Refused 1 chunk of "b.bin"');
    expect(errors.every((e) => e.groupId === groupId && e.code === 'bad-proof')).toBe(true);
  });

  it('says a size just over the cap in exact bytes, and a larger one in MiB', async () => {
    expect(overLimit(100 * 1024 * 1024 + 1, 100 * 1024 * 1024)).toBe(
      '104 857 601 bytes; files are limited to 104 857 600 bytes (100.0 MiB)',
    );
    expect(overLimit(150 * 1024 * 1024, 100 * 1024 * 1024)).toBe('150.0 MiB; files are limited to 100.0 MiB');

    const cap = 20 * FILE_CHUNK_BYTES;
    const w = memoryWorld(22, { filesOf: (name) => (name === 'ben' ? { maxFileBytes: cap } : undefined) });
    world = w;
    const [ana, ben] = [await w.network.addPeer('ana'), await w.network.addPeer('ben')];
    const { groupId } = await ana.peer.createGroup('files', 'fifo');
    for (const p of [ana, ben]) await p.peer.join(groupId);
    const sent = await ana.peer.files.send(groupId, { name: 'e.bin', type: '', bytes: bytesOf(cap + 1, 3) });
    const msg = await fileMessage(ben, groupId, sent.id);
    await expect(ben.peer.files.fetch(msg)).rejects.toMatchObject({
      code: 'too-large',
      message: '"e.bin" declares 307 201 bytes; files are limited to 307 200 bytes (0.3 MiB).',
    });
  });
});
