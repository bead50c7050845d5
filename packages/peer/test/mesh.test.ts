// The WebRTC mesh over real data channels (@roamhq/wrtc), signaled through an
// in-process relay. Checks what a session on top would notice: frames arrive
// whole, complete and in order, links report down and come back, and garbage
// from the other end is refused without hurting what follows.

import wrtc from '@roamhq/wrtc';
import { afterEach, describe, expect, it } from 'vitest';
import type { GroupFrame, LinkState, MemberInfo, PeerId, ProtocolError } from '@chorus/protocol';
import { asGroupId, asPeerId, encodeBatch, MAX_BODY_CHARS } from '@chorus/protocol';
import { WebRtcMesh } from '../src/mesh/webrtc-mesh.ts';
import { wireCodec } from '../src/mesh/frame-codec.ts';
import type { FrameCodec } from '../src/mesh/frame-codec.ts';
import { SignalRelay } from './integration/signal-relay.ts';
import { bigHistoryPage, dataFrame } from './integration/test-frames.ts';

const G = asGroupId('g1');
const meshes: WebRtcMesh[] = [];

interface Probe {
  readonly mesh: WebRtcMesh;
  readonly frames: { from: PeerId; frame: GroupFrame }[];
  readonly links: { peer: PeerId; state: LinkState }[];
  readonly rejects: { from: PeerId; error: ProtocolError }[];
}

const member = (peerId: PeerId): MemberInfo => ({ peerId, name: peerId, publicKey: '' });

function makeMesh(relay: SignalRelay, id: string, codec?: FrameCodec): Probe {
  const mesh = new WebRtcMesh(codec ? { tracker: relay.end(id), wrtc, codec } : { tracker: relay.end(id), wrtc });
  meshes.push(mesh);
  const probe: Probe = { mesh, frames: [], links: [], rejects: [] };
  mesh.on('frame', (_g, from, frame) => probe.frames.push({ from, frame }));
  mesh.on('link', (_g, peer, state) => probe.links.push({ peer, state }));
  mesh.on('reject', (_g, from, error) => probe.rejects.push({ from, error }));
  return probe;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Wire every probe to every other one in group G and wait until all channels are open. */
async function fullMesh(probes: readonly Probe[]): Promise<void> {
  const members = probes.map((p) => member(p.mesh.self));
  for (const p of probes) p.mesh.setPeers(G, members);
  await waitFor('all links up', () => probes.every((p) => p.mesh.openPeers(G).length === probes.length - 1));
}

afterEach(() => {
  for (const m of meshes.splice(0)) m.destroy();
});

describe('WebRtcMesh over real data channels', () => {
  it('opens one link per pair and carries frames both ways', async () => {
    const relay = new SignalRelay();
    const a = makeMesh(relay, 'peer-a');
    const b = makeMesh(relay, 'peer-b');
    await fullMesh([a, b]);

    a.mesh.send(G, b.mesh.self, dataFrame(G, a.mesh.self, 1, 'hello b'));
    b.mesh.send(G, a.mesh.self, dataFrame(G, b.mesh.self, 1, 'hello a'));
    await waitFor('both frames', () => a.frames.length === 1 && b.frames.length === 1);

    expect(b.frames[0]).toMatchObject({ from: a.mesh.self, frame: { t: 'data', body: 'hello b' } });
    expect(a.frames[0]).toMatchObject({ from: b.mesh.self, frame: { t: 'data', body: 'hello a' } });
    expect(a.links).toEqual([{ peer: b.mesh.self, state: 'up' }]);
    expect(b.links).toEqual([{ peer: a.mesh.self, state: 'up' }]);
    // Both ends told the tracker the link is up.
    expect(relay.reports.filter((r) => r.state === 'up')).toHaveLength(2);
  });

  it('chunks a 200 KiB frame and delivers it whole', async () => {
    const relay = new SignalRelay();
    const a = makeMesh(relay, 'peer-a');
    const b = makeMesh(relay, 'peer-b');
    await fullMesh([a, b]);

    const page = bigHistoryPage(G, a.mesh.self, 50);
    const size = JSON.stringify(page).length;
    expect(size).toBeGreaterThan(200 * 1024);
    let messages = 0;
    const counting: FrameCodec = {
      encode: (f) => {
        const texts = wireCodec.encode(f);
        messages += texts.length;
        return texts;
      },
      encodeChunk: wireCodec.encodeChunk,
      decoder: wireCodec.decoder,
    };
    // A third mesh with a counting codec shows the frame really went as many messages.
    const c = makeMesh(relay, 'peer-c', counting);
    await fullMesh([a, b, c]);
    c.mesh.send(G, b.mesh.self, page);
    a.mesh.send(G, b.mesh.self, page);
    await waitFor('two pages', () => b.frames.length === 2);

    expect(messages).toBeGreaterThan(10);
    for (const got of b.frames) expect(got.frame).toEqual(page);
    expect(b.rejects).toEqual([]);
  });

  it('delivers a burst of 5000 frames complete and in order', async () => {
    const relay = new SignalRelay();
    const a = makeMesh(relay, 'peer-a');
    const b = makeMesh(relay, 'peer-b');
    await fullMesh([a, b]);

    const N = 5000;
    // ~4.2 KiB a frame, ~21 MiB in all: more than libwebrtc's 16 MiB send
    // buffer, which closes the channel (losing everything) if it overflows.
    const body = 'x'.repeat(MAX_BODY_CHARS);
    for (let seq = 1; seq <= N; seq++) a.mesh.send(G, b.mesh.self, dataFrame(G, a.mesh.self, seq, body));
    await waitFor('whole burst', () => b.frames.length === N);

    const seqs = b.frames.map((f) => (f.frame.t === 'data' ? f.frame.seq : -1));
    expect(seqs).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(a.mesh.queuedTexts()).toBe(0);
  });

  it('holds back a burst larger than the channel buffer instead of losing it', async () => {
    const relay = new SignalRelay();
    // Encode each frame object once, so the sends come as fast as a real burst
    // of ready texts would and the native side cannot drain in between.
    const encoded = new WeakMap<GroupFrame, readonly string[]>();
    const caching: FrameCodec = {
      encode: (f) => encoded.get(f) ?? (encoded.set(f, wireCodec.encode(f)).get(f) as readonly string[]),
      encodeChunk: wireCodec.encodeChunk,
      decoder: wireCodec.decoder,
    };
    const a = makeMesh(relay, 'peer-a', caching);
    const b = makeMesh(relay, 'peer-b');
    await fullMesh([a, b]);

    // 120 chunked pages of ~205 KiB: ~24 MiB written in one go, past the
    // 16 MiB at which libwebrtc stops accepting data on a channel.
    const PAGES = 120;
    const page = bigHistoryPage(G, a.mesh.self, 50);
    for (let i = 0; i < PAGES; i++) a.mesh.send(G, b.mesh.self, page);
    await waitFor('every page', () => b.frames.length === PAGES);

    expect(b.frames.every((f) => f.frame.t === 'history-res' && f.frame.items.length === 50)).toBe(true);
    expect(b.rejects).toEqual([]);
  });

  it('reports a destroyed channel down, reconnects it through signaling, and carries frames again', async () => {
    const relay = new SignalRelay();
    const a = makeMesh(relay, 'peer-a');
    const b = makeMesh(relay, 'peer-b');
    await fullMesh([a, b]);
    const signalsBefore = relay.relayed;

    // Destroy the channel at the responder's end (peer-b): the initiator must notice and re-offer.
    expect(b.mesh.dropLink(G, a.mesh.self)).toBe(true);
    await waitFor('down and up again on both ends', () =>
      [a, b].every((p) => p.links.map((l) => l.state).join(',') === 'up,down,up'),
    );

    expect(relay.relayed).toBeGreaterThan(signalsBefore);
    expect(relay.reports.filter((r) => r.state === 'down').length).toBeGreaterThanOrEqual(1);
    a.mesh.send(G, b.mesh.self, dataFrame(G, a.mesh.self, 7, 'after reconnect'));
    await waitFor('frame after reconnect', () => b.frames.length === 1);
    expect(b.frames[0]?.frame).toMatchObject({ body: 'after reconnect' });

    // And from the initiator's end too.
    expect(a.mesh.dropLink(G, b.mesh.self)).toBe(true);
    await waitFor(
      'second reconnect',
      () => a.links.length === 5 && b.links.length === 5 && a.mesh.openPeers(G).length === 1,
    );
    expect(a.links.at(-1)?.state).toBe('up');
  });

  it('ignores garbage and stale signaling without touching an open link', async () => {
    const relay = new SignalRelay();
    const a = makeMesh(relay, 'peer-a');
    const b = makeMesh(relay, 'peer-b');
    await fullMesh([a, b]);

    const junk: unknown[] = [
      null,
      'hello',
      { c: 'old', rtc: { type: 'answer', sdp: 'v=0' } },
      { c: 'old', rtc: { candidate: { candidate: 'x' } } },
      { c: 'old', rtc: { type: 'offer' } },
      { c: 'none', restart: true },
      { rtc: { type: 'offer', sdp: 'x' } },
    ];
    for (const data of junk) {
      relay.deliver(a.mesh.self, G, b.mesh.self, data);
      relay.deliver(b.mesh.self, G, a.mesh.self, data);
    }
    // Signals from a peer nobody wants are held briefly, never acted on.
    relay.deliver(asPeerId('stranger'), G, a.mesh.self, { c: 'x', rtc: { type: 'offer', sdp: 'v=0' } });
    await new Promise((r) => setTimeout(r, 300));

    a.mesh.send(G, b.mesh.self, dataFrame(G, a.mesh.self, 1, 'still here'));
    await waitFor('frame after junk', () => b.frames.length === 1);
    expect(a.links).toEqual([{ peer: b.mesh.self, state: 'up' }]);
    expect(b.links).toEqual([{ peer: a.mesh.self, state: 'up' }]);
    expect(a.mesh.openPeers(G)).toEqual([b.mesh.self]);
  });

  it('connects three meshes pairwise and delivers to each member', async () => {
    const relay = new SignalRelay();
    const probes = ['peer-a', 'peer-b', 'peer-c'].map((id) => makeMesh(relay, id));
    await fullMesh(probes);

    for (const from of probes) {
      for (const to of probes) {
        if (from !== to)
          from.mesh.send(G, to.mesh.self, dataFrame(G, from.mesh.self, 1, `${from.mesh.self}->${to.mesh.self}`));
      }
    }
    await waitFor('two frames at each', () => probes.every((p) => p.frames.length === 2));
    for (const p of probes) {
      expect(p.frames.map((f) => (f.frame.t === 'data' ? f.frame.body : '')).sort()).toEqual(
        probes
          .filter((q) => q !== p)
          .map((q) => `${q.mesh.self}->${p.mesh.self}`)
          .sort(),
      );
    }

    // Removing a member closes its links without telling the tracker anything failed.
    const [a, b, c] = probes as [Probe, Probe, Probe];
    const downReports = relay.reports.filter((r) => r.state === 'down').length;
    a.mesh.setPeers(G, [member(a.mesh.self), member(b.mesh.self)]);
    expect(a.mesh.openPeers(G)).toEqual([b.mesh.self]);
    expect(a.links.at(-1)).toEqual({ peer: c.mesh.self, state: 'down' });
    expect(relay.reports.filter((r) => r.state === 'down' && r.from === a.mesh.self)).toHaveLength(downReports);
  });

  it('rejects malformed text from a hostile end and still delivers the honest frames after it', async () => {
    const relay = new SignalRelay();
    const a = makeMesh(relay, 'peer-a');
    const h = makeMesh(relay, 'peer-h');
    await fullMesh([a, h]);

    const honest = (seq: number): GroupFrame => dataFrame(G, h.mesh.self, seq, `honest ${seq}`);
    const garbage = [
      '{not json',
      '"just a string"',
      JSON.stringify({ t: 'nope', groupId: G }),
      JSON.stringify(dataFrame(G, asPeerId('someone-else'), 1)),
      JSON.stringify(dataFrame(asGroupId('other-group'), h.mesh.self, 1)),
      'x'.repeat(20 * 1024),
    ];
    for (const text of garbage) expect(h.mesh.sendRaw(G, a.mesh.self, text)).toBe(true);
    for (let seq = 1; seq <= 3; seq++) h.mesh.send(G, a.mesh.self, honest(seq));
    await waitFor('honest frames', () => a.frames.length === 3);

    expect(a.rejects).toHaveLength(6);
    expect(a.rejects.every((r) => r.from === h.mesh.self)).toBe(true);
    const codes = a.rejects.map((r) => r.error.code);
    expect(codes).toContain('bad-json');
    expect(codes).toContain('forged-sender');
    expect(codes).toContain('too-large');
    expect(a.frames.map((f) => (f.frame.t === 'data' ? f.frame.body : ''))).toEqual([
      'honest 1',
      'honest 2',
      'honest 3',
    ]);
    // The link survived the garbage.
    expect(a.mesh.openPeers(G)).toEqual([h.mesh.self]);
  });

  it('sends the frames of one turn as one batch message, and a lone frame at once', async () => {
    const relay = new SignalRelay();
    let messages = 0;
    const counting: FrameCodec = {
      encode: wireCodec.encode,
      encodeChunk: wireCodec.encodeChunk,
      decoder: (g, from) => {
        const inner = wireCodec.decoder(g, from);
        return {
          decode: (text, now) => {
            messages += 1;
            return inner.decode(text, now);
          },
          decodeBinary: (bytes) => inner.decodeBinary(bytes),
        };
      },
    };
    const a = makeMesh(relay, 'peer-a');
    const b = makeMesh(relay, 'peer-b', counting);
    await fullMesh([a, b]);

    for (let seq = 1; seq <= 40; seq++) a.mesh.send(G, b.mesh.self, dataFrame(G, a.mesh.self, seq, `burst ${seq}`));
    await waitFor('the burst', () => b.frames.length === 40);
    expect(messages).toBe(1);
    expect(b.frames.map((f) => (f.frame.t === 'data' ? f.frame.seq : -1))).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );

    // A frame alone in its turn leaves without waiting for company.
    a.mesh.send(G, b.mesh.self, dataFrame(G, a.mesh.self, 41, 'alone'));
    await waitFor('the lone frame', () => b.frames.length === 41);
    expect(messages).toBe(2);

    // Frames past one message's 16 KiB fill more than one batch, none over the cap, all in order.
    const body = 'y'.repeat(3000);
    for (let seq = 42; seq <= 61; seq++) a.mesh.send(G, b.mesh.self, dataFrame(G, a.mesh.self, seq, body));
    await waitFor('the big burst', () => b.frames.length === 61);
    expect(messages).toBeGreaterThan(2 + 3);
    expect(messages).toBeLessThan(2 + 20);
    expect(b.frames.map((f) => (f.frame.t === 'data' ? f.frame.seq : -1))).toEqual(
      Array.from({ length: 61 }, (_, i) => i + 1),
    );
    expect(b.rejects).toEqual([]);
  });

  it('a frame sent just before the link is closed in the same turn still leaves (the batch is not dropped)', async () => {
    const relay = new SignalRelay();
    const a = makeMesh(relay, 'peer-a');
    const b = makeMesh(relay, 'peer-b');
    await fullMesh([a, b]);

    a.mesh.send(G, b.mesh.self, dataFrame(G, a.mesh.self, 1, 'last words'));
    a.mesh.setPeers(G, [member(a.mesh.self)]);
    await waitFor('the last frame', () => b.frames.length === 1, 5_000);
    expect(b.frames[0]?.frame).toMatchObject({ body: 'last words' });
  });

  it('keeps the good members of a batch with a bad one and refuses a malformed batch whole, counting each refusal', async () => {
    const relay = new SignalRelay();
    const a = makeMesh(relay, 'peer-a');
    const h = makeMesh(relay, 'peer-h');
    await fullMesh([a, h]);

    const good = (seq: number): string => JSON.stringify(dataFrame(G, h.mesh.self, seq, `good ${seq}`));
    const forgedMember = JSON.stringify(dataFrame(G, asPeerId('someone-else'), 9, 'forged'));
    h.mesh.sendRaw(
      G,
      a.mesh.self,
      encodeBatch([good(1), forgedMember, good(2), '{"t":"chunk","id":"c","index":0,"count":1,"part":"x"}', good(3)]),
    );
    h.mesh.sendRaw(G, a.mesh.self, '{"t":"batch","frames":[]}');
    h.mesh.sendRaw(G, a.mesh.self, `{"t":"batch","frames":[${good(4)}`);
    h.mesh.send(G, a.mesh.self, dataFrame(G, h.mesh.self, 5, 'good 5'));
    await waitFor('good frames', () => a.frames.length === 4);

    expect(a.frames.map((f) => (f.frame.t === 'data' ? f.frame.body : ''))).toEqual([
      'good 1',
      'good 2',
      'good 3',
      'good 5',
    ]);
    expect(a.rejects.map((r) => r.error.code)).toEqual(['forged-sender', 'bad-type', 'bad-type', 'bad-json']);
    expect(a.rejects[0]?.error.message).toMatch(/^batch\.frames\[1\]: /);
    expect(a.mesh.openPeers(G)).toEqual([h.mesh.self]);
  });
});
