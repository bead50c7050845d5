// A link that receives a burst in one callback (@roamhq/wrtc hands over every
// message that arrived meanwhile at once) must not freeze its process: its
// timers (the tracker heartbeat) and the other links' messages run while the
// burst is handed up in slices, nothing of it is lost or reordered, a lone
// message is still handed up at once, and bytes past the link's inbound bound
// are refused and counted.

import { afterEach, describe, expect, it } from 'vitest';
import type { GroupFrame, PeerId, ProtocolError } from '@chorus/protocol';
import { asGroupId, asPeerId } from '@chorus/protocol';
import { wireCodec } from '../src/mesh/frame-codec.ts';
import { INBOUND_SLICE_MESSAGES } from '../src/mesh/inbound-queue.ts';
import type { InboundQueueOptions } from '../src/mesh/inbound-queue.ts';
import { PairLink } from '../src/mesh/pair-link.ts';
import type { LinkConnection } from '../src/mesh/pair-link.ts';
import type { RtcConnectionHandlers } from '../src/mesh/rtc-connection.ts';
import { dataFrame } from './integration/test-frames.ts';

const G = asGroupId('g');
const links: PairLink[] = [];
afterEach(() => {
  for (const l of links.splice(0)) l.close();
});

interface Probe {
  readonly link: PairLink;
  /** Delivers channel messages as the connection would (several in one call: one burst). */
  readonly arrive: (...texts: string[]) => void;
  readonly seqs: number[];
  readonly rejects: ProtocolError[];
  /** Reasons the link failed its connection with. */
  readonly failed: string[];
}

/** An open link from `peer` (we are 'p0', the initiator) over a connection double. */
function openLink(peer: string, inbound?: InboundQueueOptions): Probe {
  let handlers: RtcConnectionHandlers | null = null;
  const failed: string[] = [];
  const conn: LinkConnection = {
    queued: 0,
    signal: () => {},
    send: () => {},
    sendBulk: () => false,
    destroy: () => {},
    fail: (reason) => failed.push(reason),
    selectedPair: () => Promise.resolve(null),
  };
  const seqs: number[] = [];
  const rejects: ProtocolError[] = [];
  const link = new PairLink(
    {
      self: asPeerId('p0'),
      groupId: G,
      peer: asPeerId(peer),
      iceServers: () => [],
      codec: wireCodec,
      now: () => Date.now(),
      randomId: () => 'c1',
      connect: (_opts, h) => {
        handlers = h;
        return conn;
      },
      ...(inbound ? { inbound } : {}),
    },
    {
      sendSignal: () => {},
      up: () => {},
      down: () => {},
      frame: (f: GroupFrame) => seqs.push(f.t === 'data' ? f.seq : -1),
      reject: (e) => rejects.push(e),
    },
  );
  links.push(link);
  link.start();
  const h = handlers as RtcConnectionHandlers | null;
  if (!h) throw new Error('the link did not connect');
  h.open();
  expect(link.state).toBe('up');
  return { link, arrive: (...texts) => texts.forEach((t) => h.text(t)), seqs, rejects, failed };
}

const texts = (from: PeerId, first: number, n: number, body?: string): string[] =>
  Array.from({ length: n }, (_, i) => JSON.stringify(dataFrame(G, from, first + i, body)));

const range = (first: number, n: number): number[] => Array.from({ length: n }, (_, i) => first + i);

const nextTimer = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !cond(); i++) await nextTimer();
  if (!cond()) throw new Error(`never: ${what}`);
}

describe('a link receiving a burst', () => {
  it('hands a lone message up in the turn it arrived', () => {
    const a = openLink('p1');
    a.arrive(...texts(asPeerId('p1'), 1, 1));
    expect(a.seqs).toEqual([1]);
  });

  it('lets a timer set before a 3000-message burst run before the burst is all handed up; nothing lost or reordered', async () => {
    const a = openLink('p1');
    const N = 3_000;
    let handedWhenTimerRan = -1;
    setTimeout(() => (handedWhenTimerRan = a.seqs.length), 0);
    a.arrive(...texts(asPeerId('p1'), 1, N));
    // What the burst's own callback handed up: one slice, not the burst.
    expect(a.seqs.length).toBeLessThanOrEqual(INBOUND_SLICE_MESSAGES);
    await until('the whole burst is handed up', () => a.seqs.length === N);
    expect(handedWhenTimerRan).toBeGreaterThan(0);
    expect(handedWhenTimerRan).toBeLessThan(N);
    expect(a.seqs).toEqual(range(1, N));
    expect(a.rejects).toEqual([]);
  });

  it("hands another peer's message up at once while a flood of the first waits", async () => {
    const a = openLink('p1');
    const b = openLink('p2');
    a.arrive(...texts(asPeerId('p1'), 1, 2_000));
    b.arrive(...texts(asPeerId('p2'), 1, 1));
    expect(b.seqs).toEqual([1]);
    expect(a.seqs.length).toBeLessThan(2_000);
    await until('the flood is handed up', () => a.seqs.length === 2_000);
  });

  it('refuses and counts the messages past its inbound bound, and hands up everything it took, in order', async () => {
    // Seqs of three digits: every message the same length.
    const burst = texts(asPeerId('p1'), 100, 300);
    const a = openLink('p1', { maxQueuedBytes: 50 * (burst[0] as string).length });
    a.arrive(...burst);
    const atOnce = a.seqs.length;
    expect(atOnce).toBeGreaterThan(0);
    // The first slice went up at once, 50 messages' bytes wait, the rest was refused.
    expect(a.rejects).toHaveLength(300 - atOnce - 50);
    expect(a.rejects.every((e) => e.code === 'too-many')).toBe(true);
    // What it refused is lost on this connection: the link fails it (once) so that its repair, when it is
    // up again, has the sender send it again (PROTOCOL.md §3.7); a gate waiting for it would wait for good.
    expect(a.failed).toHaveLength(1);
    await until('what was taken is handed up', () => a.seqs.length === atOnce + 50);
    expect(a.seqs).toEqual(range(100, atOnce + 50));
    // Room again once it drained: the next message is taken.
    a.arrive(...texts(asPeerId('p1'), 400, 1));
    await until('the next message is handed up', () => a.seqs.length === atOnce + 51);
    expect(a.seqs.at(-1)).toBe(400);
  });

  it('hands up everything waiting, in order, before closing for a removal from the view', async () => {
    const a = openLink('p1');
    a.arrive(...texts(asPeerId('p1'), 1, 1_000));
    expect(a.seqs.length).toBeLessThan(1_000);
    a.link.close({ drain: true });
    // In the same turn: the caller (WebRtcMesh.setPeers, then the session's new view) comes right after.
    expect(a.seqs).toEqual(range(1, 1_000));
    await nextTimer();
    expect(a.seqs).toHaveLength(1_000);
  });

  it('drops what waits when the link is closed (the peer is no longer wanted)', async () => {
    const a = openLink('p1');
    a.arrive(...texts(asPeerId('p1'), 1, 1_000));
    const handed = a.seqs.length;
    a.link.close();
    await nextTimer();
    await nextTimer();
    expect(a.seqs.length).toBe(handed);
  });
});
