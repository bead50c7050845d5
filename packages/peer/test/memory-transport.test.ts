// The in-memory Transport keeps the promises the WebRTC mesh makes (transport.ts):
// links only between peers that want each other, per-link FIFO, nothing
// carried without a link, every frame through the wire parser.
import { describe, expect, it } from 'vitest';
import {
  asGroupId,
  asPeerId,
  asViewId,
  type GroupFrame,
  type LinkState,
  type MemberInfo,
  type PeerId,
  type ProtocolError,
} from '@chorus/protocol';
import { MemoryNetwork, type MemoryTransport } from '../src/memory-transport.ts';
import { waitFor } from './scenarios/network.ts';

const g = asGroupId('g1');
const member = (peerId: PeerId): MemberInfo => ({ peerId, name: peerId, publicKey: 'k' });
const A = asPeerId('aaa');
const B = asPeerId('bbb');
const hwm = (n: number): GroupFrame => ({ t: 'hwm', groupId: g, viewId: asViewId(1), delivered: { [A]: n } });

function watch(t: MemoryTransport) {
  const links: string[] = [];
  const frames: { from: PeerId; frame: GroupFrame }[] = [];
  const rejects: ProtocolError[] = [];
  t.on('link', (_g, peer, state: LinkState) => links.push(`${peer} ${state}`));
  t.on('frame', (_g, from, frame) => frames.push({ from, frame }));
  t.on('reject', (_g, _from, error) => rejects.push(error));
  return { links, frames, rejects };
}

describe('MemoryTransport', () => {
  it('opens a link only when both ends want it, and keeps each link FIFO', async () => {
    const net = new MemoryNetwork({ seed: 9, maxDelayMs: 5 });
    const a = net.transport(A);
    const b = net.transport(B);
    const wb = watch(b);
    a.setPeers(g, [member(B)]);
    await waitFor('nothing pending on the network', () => !net.busy);
    expect(a.openPeers(g)).toEqual([]);
    a.send(g, B, hwm(0)); // no link yet: lost, as on a real channel
    b.setPeers(g, [member(A)]);
    await waitFor('link up', () => a.openPeers(g).includes(B));
    for (let i = 1; i <= 50; i++) a.send(g, B, hwm(i));
    await waitFor('50 frames', () => wb.frames.length === 50);
    expect(wb.frames.map((f) => (f.frame as { delivered: Record<string, number> }).delivered[A])).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    expect(wb.links).toEqual([`${A} up`]);
    expect(net.droppedFrames).toBe(1);
    net.close();
  });

  it('reports cuts, crashes and deliberate closes as link down, and heals', async () => {
    const net = new MemoryNetwork({ seed: 3 });
    const a = net.transport(A);
    const b = net.transport(B);
    const wa = watch(a);
    a.setPeers(g, [member(B)]);
    b.setPeers(g, [member(A)]);
    await waitFor('up', () => wa.links.length === 1);
    net.cut(A, B);
    net.heal(A, B);
    await waitFor('up again', () => wa.links.length === 3);
    b.close(g);
    net.crash(B);
    expect(wa.links).toEqual([`${B} up`, `${B} down`, `${B} up`, `${B} down`]);
    expect(a.openPeers(g)).toEqual([]);
    net.close();
  });

  it('runs every inbound text through the wire parser', async () => {
    const net = new MemoryNetwork({ seed: 4 });
    const a = net.transport(A);
    const wa = watch(a);
    net.inject(g, B, A, '{"t":"hwm"');
    net.inject(g, B, A, JSON.stringify({ t: 'chunk', id: 'c', index: 0, count: 2, part: 'x' }));
    net.inject(g, B, A, JSON.stringify(hwm(3)));
    await waitFor('three inputs', () => wa.rejects.length + wa.frames.length === 3);
    expect(wa.rejects.map((r) => r.code)).toEqual(['bad-json', 'bad-type']);
    expect(wa.frames).toHaveLength(1);
    net.close();
  });
});
