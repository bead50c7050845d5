// A ScenarioNetwork of real peers: one child process each (peer-child.ts),
// real WebRTC data channels between them (@roamhq/wrtc), a real tracker at
// `trackerUrl`. Crashes are SIGKILLs; link cuts destroy a real data channel
// (the mesh reconnects it by itself, so "heal" waits for that); injected
// frames are raw text on a real channel.

import type { GroupId } from '@chorus/protocol';
import { waitFor } from '../scenarios/network.ts';
import type { ScenarioNetwork, ScenarioPeer } from '../scenarios/network.ts';
import { ChildPeer } from './child-peer.ts';

export interface ProcessNetwork extends ScenarioNetwork {
  /** Every child started so far (alive or not), for tests that reach past the ChorusPeer API. */
  readonly children: readonly ChildPeer[];
  child(p: ScenarioPeer): ChildPeer;
}

export function processNetwork(trackerUrl: string, label: string): ProcessNetwork {
  const children: ChildPeer[] = [];
  // One process is always loading ahead: tsx + wrtc take a second or two to
  // load, and a scenario adds its peers one after another.
  let spare: ChildPeer | null = null;
  const take = (): ChildPeer => {
    const c = spare ?? new ChildPeer();
    spare = new ChildPeer();
    return c;
  };
  const childOf = (p: ScenarioPeer): ChildPeer => {
    if (!(p.peer instanceof ChildPeer)) throw new Error(`${p.name} is not a child-process peer`);
    return p.peer;
  };
  const shared = (a: ChildPeer, b: ChildPeer): GroupId[] => {
    const mine = new Set(b.groups().map((g) => g.groupId));
    return a
      .groups()
      .map((g) => g.groupId)
      .filter((g) => mine.has(g));
  };

  return {
    label,
    children,
    child: childOf,
    async addPeer(name) {
      const c = take();
      children.push(c);
      await c.start(trackerUrl, name);
      return { name, peerId: c.peerId, peer: c };
    },
    async crash(p) {
      await childOf(p).kill();
    },
    async cutLink(a, b) {
      const ca = childOf(a);
      for (const g of shared(ca, childOf(b))) await ca.dropLink(g, b.peerId);
    },
    async healLink(a, b) {
      const ca = childOf(a);
      const cb = childOf(b);
      for (const g of shared(ca, cb)) {
        await waitFor(
          `link ${a.name}<->${b.name} back up [${label}]`,
          async () => (await ca.linkState(g, b.peerId)) === 'up' && (await cb.linkState(g, a.peerId)) === 'up',
        );
      }
    },
    async inject(groupId, from, to, text) {
      const sent = await childOf(from).inject(groupId, to.peerId, text);
      if (!sent) throw new Error(`[${label}] no open link ${from.name} -> ${to.name} to inject on`);
    },
    async close() {
      const all = spare ? [...children, spare] : children;
      spare = null;
      await Promise.all(all.map((c) => c.kill()));
    },
  };
}
