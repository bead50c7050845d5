// The relay layer (src/relay/, PROTOCOL.md §1.6) over the in-memory network
// with real Ed25519 keys: a cut pair talks through the lowest-id member that
// reaches both, a relay that alters an envelope is refused and routed around,
// a relay that dies leaves the pair down (reported to the tracker), and an
// envelope handed on by anyone but its origin is refused (no relay of relay).

import { afterEach, describe, expect, it } from 'vitest';
import {
  asGroupId,
  asPeerId,
  asViewId,
  encodeFrame,
  exportPublicKey,
  generateIdentity,
  signText,
} from '@chorus/protocol';
import type { GroupFrame, LinkReportState, MemberInfo, PeerId, ProtocolError, RelayFrame } from '@chorus/protocol';
import { MemoryNetwork } from '../src/memory-transport.ts';
import { RelayTransport } from '../src/relay/index.ts';
import { waitFor } from './scenarios/network.ts';

const G = asGroupId('g-relay');
const [A, B, C, D] = ['pa', 'pb', 'pc', 'pd'].map(asPeerId) as [PeerId, PeerId, PeerId, PeerId];

interface Node {
  readonly relay: RelayTransport;
  readonly frames: { from: PeerId; frame: GroupFrame }[];
  readonly rejects: { from: PeerId; error: ProtocolError }[];
  readonly reports: { peer: PeerId; state: LinkReportState; via?: PeerId }[];
  readonly links: string[];
}

let network: MemoryNetwork | null = null;
let relays: RelayTransport[] = [];
let peerInfos: MemberInfo[] = [];
const infosOf = (_node: Node): MemberInfo[] => peerInfos;
afterEach(() => {
  // Each layer probes every 10 ms with real signatures: one left running slows the next test's.
  for (const r of relays) r.close();
  relays = [];
  network?.close();
  network = null;
});

async function mesh(ids: readonly PeerId[], budget?: { perSecond: number; burst: number }): Promise<Map<PeerId, Node>> {
  const net = new MemoryNetwork({ seed: 7 });
  network = net;
  net.cut(A, B);
  const keys = await Promise.all(ids.map(() => generateIdentity()));
  const infos: MemberInfo[] = await Promise.all(
    ids.map(async (peerId, i) => ({ peerId, name: peerId, publicKey: await exportPublicKey(keys[i]!.publicKey) })),
  );
  const nodes = new Map<PeerId, Node>();
  ids.forEach((id, i) => {
    const node: Node = { frames: [], rejects: [], reports: [], links: [] } as unknown as Node;
    const relay = new RelayTransport({
      inner: net.transport(id),
      report: (_g, peer, state, via) => node.reports.push(via === undefined ? { peer, state } : { peer, state, via }),
      sign: (text) => signText(keys[i]!.privateKey, text),
      relayAfterMs: 30,
      probeIntervalMs: 10,
      // Generous next to the 10 ms probes: a loaded box delays signatures and timers by a lot.
      times: { routeTtlMs: 1000 },
      unreachedMs: () => 2000,
      ...(budget === undefined ? {} : { budget }),
    });
    relays.push(relay);
    Object.assign(node, { relay });
    relay.on('frame', (_g, from, frame) => node.frames.push({ from, frame }));
    relay.on('reject', (_g, from, error) => node.rejects.push({ from, error }));
    relay.on('link', (_g, peer, state) => node.links.push(`${peer} ${state}`));
    nodes.set(id, node);
  });
  for (const n of nodes.values()) n.relay.setPeers(G, infos);
  peerInfos = infos;
  return nodes;
}

const hwm = (n: number): GroupFrame => ({ t: 'hwm', groupId: G, viewId: asViewId(n), delivered: {} });
const got = (node: Node, from: PeerId, viewId: number): boolean =>
  node.frames.some((f) => f.from === from && f.frame.t === 'hwm' && f.frame.viewId === viewId);

describe('relay layer', () => {
  it('carries a cut pair through the lowest-id member that reaches both, and tells the tracker "relayed via" it', async () => {
    const nodes = await mesh([A, B, C, D]);
    const [a, b] = [nodes.get(A)!, nodes.get(B)!];
    await waitFor('both ends relay through pc', () => a.relay.relayOf(G, B) === C && b.relay.relayOf(G, A) === C);
    expect(a.relay.openPeers(G)).toContain(B);
    expect(a.links).toContain(`${B} up`);
    expect(a.reports).toContainEqual({ peer: B, state: 'relayed', via: C });
    a.relay.send(G, B, hwm(1));
    b.relay.send(G, A, hwm(2));
    await waitFor('each end gets the other one’s frame, attributed to its origin', () => got(b, A, 1) && got(a, B, 2));
    expect(nodes.get(C)!.relay.relayForwarded).toBeGreaterThan(0);
    expect(nodes.get(C)!.frames.some((f) => f.from === A && f.frame.t === 'hwm')).toBe(false);
  });

  it('refuses an envelope the relay altered (bad signature, counted against the relay) and moves to another relay', async () => {
    const nodes = await mesh([A, B, C, D]);
    const [a, b, c] = [nodes.get(A)!, nodes.get(B)!, nodes.get(C)!];
    await waitFor('relayed through pc', () => a.relay.relayOf(G, B) === C && b.relay.relayOf(G, A) === C);
    c.relay.setForwardHook((env) => (env.kind === 'msg' ? { ...env, body: env.body.replace('"hwm"', '"hwm" ') } : env));
    a.relay.send(G, B, hwm(3));
    await waitFor('B refuses the altered envelope', () => b.rejects.some((r) => r.error.code === 'bad-signature'));
    expect(b.rejects.find((r) => r.error.code === 'bad-signature')?.from).toBe(C);
    expect(got(b, A, 3)).toBe(false);
    await waitFor('both ends move to pd', () => a.relay.relayOf(G, B) === D && b.relay.relayOf(G, A) === D);
    a.relay.send(G, B, hwm(4));
    await waitFor('the next frame arrives through pd', () => got(b, A, 4));
  });

  it('with its only relay gone, the pair is down: the session hears it and the tracker gets "down"', async () => {
    const nodes = await mesh([A, B, C]);
    const [a, b] = [nodes.get(A)!, nodes.get(B)!];
    await waitFor('relayed through pc', () => a.relay.relayOf(G, B) === C && b.relay.relayOf(G, A) === C);
    network!.crash(C);
    await waitFor(
      'both ends see the pair down',
      () => a.relay.relayOf(G, B) === null && b.relay.relayOf(G, A) === null,
    );
    expect(a.relay.openPeers(G)).not.toContain(B);
    expect(a.links.at(-1)).toBe(`${B} down`);
    expect(a.reports.at(-1)).toEqual({ peer: B, state: 'down' });
  });

  it('refuses an envelope handed on by anyone but its origin (no relay of relay), forwarding nothing', async () => {
    const nodes = await mesh([A, B, C, D]);
    const d = nodes.get(D)!;
    await waitFor('links up', () => d.relay.openPeers(G).includes(C));
    const forwarded: string[] = [];
    d.relay.setForwardHook((env) => (forwarded.push(env.sig), env));
    const env = { t: 'relay', groupId: G, from: A, to: B, n: 1, kind: 'probe', body: '1', sig: `${'A'.repeat(86)}==` };
    network!.inject(G, C, D, encodeFrame(env as GroupFrame));
    await waitFor('D refuses it', () => d.rejects.some((r) => r.error.code === 'forged-sender' && r.from === C));
    // D goes on relaying the pair's own probes, never this one.
    expect(forwarded).not.toContain(env.sig);
  });

  it('answers a dropped envelope with a reset: both ends re-open the link (the engines resend) and later frames flow', async () => {
    const nodes = await mesh([A, B, C]);
    const [a, b, c] = [nodes.get(A)!, nodes.get(B)!, nodes.get(C)!];
    await waitFor('relayed through pc', () => a.relay.relayOf(G, B) === C && b.relay.relayOf(G, A) === C);
    let dropped = 0;
    c.relay.setForwardHook((env) => (env.kind === 'msg' && env.from === A && dropped++ === 0 ? null : env));
    const [aLinks, bLinks] = [a.links.length, b.links.length];
    a.relay.send(G, B, hwm(5));
    a.relay.send(G, B, hwm(6));
    await waitFor('B takes the next frame', () => got(b, A, 6));
    expect(got(b, A, 5)).toBe(false);
    await waitFor('both ends re-open the link', () => {
      const flap = (links: string[], from: number, peer: PeerId) =>
        links.slice(from).join() === `${peer} down,${peer} up`;
      return flap(b.links, bLinks, A) && flap(a.links, aLinks, B);
    });
  });

  it('leaves a relay that forwards probes but drops every message, and moves the pair to another relay', async () => {
    const nodes = await mesh([A, B, C, D]);
    const [a, b, c] = [nodes.get(A)!, nodes.get(B)!, nodes.get(C)!];
    await waitFor('relayed through pc', () => a.relay.relayOf(G, B) === C && b.relay.relayOf(G, A) === C);
    c.relay.setForwardHook((env) => (env.kind === 'probe' ? env : null));
    // Each end keeps sending, as its engine does after every re-open (hwm and resends).
    let k = 100;
    const traffic = setInterval(() => {
      a.relay.send(G, B, hwm(k++));
      b.relay.send(G, A, hwm(k++));
    }, 10);
    try {
      // At least one end finds pc bad (counted against it, with the reason); the other's route there lapses.
      const badC = () => [...a.rejects, ...b.rejects].find((r) => r.from === C && r.error.code === 'bad-state');
      await waitFor('one end finds pc bad', () => badC() !== undefined);
      expect(badC()?.error.message).toMatch(/forwards probes but not messages/);
      await waitFor('both ends move to pd', () => a.relay.relayOf(G, B) === D && b.relay.relayOf(G, A) === D);
      const sent = k;
      await waitFor('frames flow through pd', () => got(b, A, sent + 2) || got(a, B, sent + 3));
      // Never back to pc, although its probes still come through.
      await new Promise((r) => setTimeout(r, 300));
      expect(a.relay.relayOf(G, B)).not.toBe(C);
      expect(b.relay.relayOf(G, A)).not.toBe(C);
    } finally {
      clearInterval(traffic);
    }
  });

  it('with only a relay that drops every message, the pair ends up down (reported to the tracker)', async () => {
    const nodes = await mesh([A, B, C]);
    const [a, b, c] = [nodes.get(A)!, nodes.get(B)!, nodes.get(C)!];
    await waitFor('relayed through pc', () => a.relay.relayOf(G, B) === C && b.relay.relayOf(G, A) === C);
    c.relay.setForwardHook((env) => (env.kind === 'probe' ? env : null));
    let k = 200;
    const traffic = setInterval(() => {
      a.relay.send(G, B, hwm(k++));
      b.relay.send(G, A, hwm(k++));
    }, 10);
    try {
      await waitFor(
        'both ends see the pair down',
        () => a.relay.relayOf(G, B) === null && b.relay.relayOf(G, A) === null,
      );
      expect(a.reports.at(-1)).toEqual({ peer: B, state: 'down' });
      expect(b.reports.at(-1)).toEqual({ peer: A, state: 'down' });
      await new Promise((r) => setTimeout(r, 300));
      expect(a.relay.relayOf(G, B)).toBeNull();
    } finally {
      clearInterval(traffic);
    }
  });

  it('a relay cannot keep a dead route alive with probes it held back, nor hand on a probe twice', async () => {
    const nodes = await mesh([A, B, C]);
    const [a, c] = [nodes.get(A)!, nodes.get(C)!];
    await waitFor('relayed through pc', () => a.relay.relayOf(G, B) === C);
    // pc holds back every probe of pb to pa (and forwards the rest): pa's route lapses.
    const held: RelayFrame[] = [];
    c.relay.setForwardHook((env) => (env.from === B && env.kind === 'probe' ? (held.push(env), null) : env));
    await waitFor('pa sees pb down', () => a.relay.relayOf(G, B) === null && held.length >= 20);
    // pb is gone for good; well after, pc hands pa the probes it held, one every 10 ms, in order.
    network!.cut(B, C);
    await new Promise((r) => setTimeout(r, 1_500));
    const reportsBefore = a.reports.length;
    for (const env of held) {
      network!.inject(G, C, A, encodeFrame(env));
      await new Promise((r) => setTimeout(r, 10));
      expect(a.relay.relayOf(G, B)).toBeNull();
    }
    await new Promise((r) => setTimeout(r, 100));
    // Signed by pb, never seen before, and answering nothing pa asked lately: no route.
    expect(a.relay.relayOf(G, B)).toBeNull();
    expect(a.relay.openPeers(G)).not.toContain(B);
    expect(a.reports.slice(reportsBefore).filter((r) => r.state === 'relayed')).toEqual([]);
    // The same probe a second time is a replay: refused, and counted against the relay.
    network!.inject(G, C, A, encodeFrame(held.at(-1)!));
    await waitFor('pa refuses the replay', () => a.rejects.some((r) => r.from === C && r.error.code === 'replay'));
  });

  it('a route made anew at one end (the peer dropped and re-added) is not refused as a replay at the other', async () => {
    const nodes = await mesh([A, B, C]);
    const [a, b] = [nodes.get(A)!, nodes.get(B)!];
    await waitFor('relayed through pc', () => a.relay.relayOf(G, B) === C && b.relay.relayOf(G, A) === C);
    for (let k = 40; k < 45; k++) a.relay.send(G, B, hwm(k));
    await waitFor('B takes them', () => got(b, A, 44));
    // A forgets B and takes it back (a joiner gone and back): its route to B starts over; B keeps its own.
    const infos = infosOf(a);
    a.relay.setPeers(
      G,
      infos.filter((m) => m.peerId !== B),
    );
    a.relay.setPeers(G, infos);
    await waitFor('A relays to B again', () => a.relay.relayOf(G, B) === C);
    a.relay.send(G, B, hwm(50));
    await waitFor('B takes what the new route carries', () => got(b, A, 50));
  });

  it('drops what an origin pushes through a relay beyond its byte budget, and counts it', async () => {
    const nodes = await mesh([A, B, C], { perSecond: 1, burst: 20_000 });
    const [a, b, c] = [nodes.get(A)!, nodes.get(B)!, nodes.get(C)!];
    await waitFor('relayed through pc', () => a.relay.relayOf(G, B) === C && b.relay.relayOf(G, A) === C);
    const before = c.relay.relayDropped;
    // ~6 KB each: three or so fit the burst, the rest do not.
    const delivered = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`peer-${i}`, i + 1]));
    for (let k = 10; k < 30; k++) a.relay.send(G, B, { ...(hwm(k) as object), delivered } as GroupFrame);
    await waitFor('the relay drops what is over the budget', () => c.relay.relayDropped > before);
    expect(b.frames.filter((f) => f.from === A && f.frame.t === 'hwm').length).toBeLessThan(20);
  });
});
