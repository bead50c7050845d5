// Files over real data channels (@roamhq/wrtc, one process per peer, a real
// tracker; PROTOCOL.md §10): a multi-MiB file sent by one member reaches the
// other two with the right SHA-256, fetched by themselves; a member who
// joins later fetches it on demand from the members that hold it, while one
// of them serves garbage for every chunk: its chunks are refused and counted,
// and the file still arrives whole.

import { describe, expect, it } from 'vitest';
import { sha256Bytes, toHex, type GroupId } from '@chorus/protocol';
import type { ChatMessage } from '../../src/api.ts';
import { ChildPeer } from './child-peer.ts';
import { clusterPerTest, waitFor } from './cluster.ts';
import { bytesOf } from '../files-fixtures.ts';

const MIB = 1024 * 1024;
const FILE_BYTES = 6 * MIB + 777;

const cluster = clusterPerTest();

const start = (name: string, autoDownloadBytes: number): Promise<ChildPeer> =>
  new ChildPeer().start(cluster.tracker.url, name, { autoDownloadBytes });

async function messageAt(p: ChildPeer, groupId: GroupId, id: string): Promise<ChatMessage> {
  let found: ChatMessage | undefined;
  await waitFor(`${p.name} has the file message`, async () => {
    found = (await p.history(groupId, { limit: 1000 })).find((m) => m.id === id);
    return found !== undefined;
  });
  return found!;
}

describe('files over WebRTC', () => {
  it('reaches every member whole, a late joiner fetches it from holders, a corrupting holder spoils nothing', async () => {
    cluster.peers = await Promise.all([start('ana', 0), start('ben', 16 * MIB), start('cy', 16 * MIB)]);
    const [ana, ben, cy] = cluster.peers as [ChildPeer, ChildPeer, ChildPeer];
    const g = await ana.createGroup('files', 'fifo');
    for (const p of cluster.peers) await p.join(g.groupId);

    const bytes = bytesOf(FILE_BYTES, 7);
    const sha = toHex(await sha256Bytes(bytes));
    const sent = await ana.files.send(g.groupId, { name: 'video.mp4', type: 'video/mp4', bytes }, 'the demo');
    expect(sent.file).toMatchObject({ name: 'video.mp4', size: FILE_BYTES, sha256: sha, caption: 'the demo' });

    for (const p of [ben, cy])
      await waitFor(`${p.name} holds the file`, async () => (await p.files.stored(sha))?.complete === true, 60_000);
    for (const p of [ben, cy]) expect(toHex(await sha256Bytes((await p.files.read(sha))!))).toBe(sha);

    // Ben now serves garbage for every chunk; dee joins late and fetches on demand from ana, ben and cy.
    await ben.files.corrupt();
    const dee = await start('dee', 0);
    cluster.peers.push(dee);
    await dee.join(g.groupId);
    const msg = await messageAt(dee, g.groupId, sent.id);
    expect(msg.file?.sha256).toBe(sha);
    expect(await dee.files.stored(sha)).toBeNull();
    const got = await dee.files.fetch(msg);
    expect(toHex(await sha256Bytes(got))).toBe(sha);
    const metrics = await dee.fetchMetrics(g.groupId);
    expect(metrics?.rejectedFrames).toBeGreaterThan(0);
  }, 150_000);
});
