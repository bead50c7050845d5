// Message operations through the Peer facade (PROTOCOL.md §8), over the
// in-memory network: sendOp sends a reply, edit, delete or reaction like a
// message; send refuses a text that would read as an operation; and the
// runtime refuses and counts an edit or delete of a message another key
// wrote (here sent through sendOp by an honest-looking client that skips the UI's rule).
import { afterEach, describe, expect, it } from 'vitest';
import { foldLog, MAX_BODY_CHARS, messageId, type GroupId, type PeerId } from '@chorus/protocol';
import { logOf, waitFor, type ScenarioPeer } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

async function room(names: string[]): Promise<{ groupId: GroupId; peers: ScenarioPeer[] }> {
  const w = memoryWorld(7);
  world = w;
  const peers: ScenarioPeer[] = [];
  for (const n of names) peers.push(await w.network.addPeer(n));
  const g = await peers[0]!.peer.createGroup('ops', 'fifo');
  for (const p of peers) await p.peer.join(g.groupId);
  return { groupId: g.groupId, peers };
}

describe('Peer facade: message operations', () => {
  it('refuses a text that starts with the operation marker, an operation on another group and one too long, sending nothing', async () => {
    const { groupId, peers } = await room(['ana']);
    const ana = peers[0]!.peer;
    await expect(ana.send(groupId, '\u0000{"op":"delete"}')).rejects.toMatchObject({ code: 'bad-input' });
    await expect(
      ana.sendOp(groupId, { op: 'delete', target: messageId('other' as GroupId, 'x' as PeerId, 1) }),
    ).rejects.toMatchObject({ code: 'bad-input' });
    await expect(
      ana.sendOp(groupId, { op: 'edit', target: messageId(groupId, ana.peerId, 1), text: 'x'.repeat(MAX_BODY_CHARS) }),
    ).rejects.toMatchObject({ code: 'too-long' });
    expect(ana.metrics(groupId)?.sent).toBe(0);
  });

  it("applies the author's edit everywhere and has every peer refuse and count an edit by another key", async () => {
    const { groupId, peers } = await room(['ana', 'ben']);
    const [ana, ben] = [peers[0]!.peer, peers[1]!.peer];
    const errors: string[] = [];
    ana.on('error', (e) => errors.push(e.code));
    const hello = await ana.send(groupId, 'helo');
    await waitFor('ben has it', async () => (await logOf(peers[1]!, groupId)).length === 1);
    await ana.sendOp(groupId, { op: 'edit', target: hello.id, text: 'hello' });
    await ben.sendOp(groupId, { op: 'edit', target: hello.id, text: 'ben was here' });
    await ben.sendOp(groupId, { op: 'react', target: hello.id, emoji: '👋', on: true });
    for (const p of peers) await waitFor(`${p.name} has all four`, async () => (await logOf(p, groupId)).length === 4);
    await waitFor('both counted the refusal', () => [ana, ben].every((p) => p.metrics(groupId)?.refusedOps === 1));
    expect(errors).toContain('op-not-author');
    for (const p of peers) {
      const shown = foldLog(groupId, await logOf(p, groupId));
      expect(shown.views).toEqual([
        expect.objectContaining({
          id: hello.id,
          text: 'hello',
          edited: true,
          reactions: [{ emoji: '👋', keys: [expect.any(String)] }],
        }),
      ]);
    }
  });
});
