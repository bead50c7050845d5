// One peer per process, driven by bench/run.ts over IPC. The same process
// plays three parts, one at a time or side by side, so every comparison runs
// over identical processes on the same cores:
//  - floor:  one raw simple-peer data channel (the lower bound of any mesh),
//  - relay:  a Socket.IO client of a broadcast server (a server-based chat),
//  - chorus: a real Chorus peer (createPeer from @chorus/peer over @roamhq/wrtc).
import wrtc from '@roamhq/wrtc';
import SimplePeer from 'simple-peer';
import { io, type Socket } from 'socket.io-client';
import { serve } from '../lib/rpc.ts';
import { makeBody, Recorder, runLoad, type LoadPlan } from '../lib/load.ts';
import { wallNowMs, withTimeout } from '../lib/wall-clock.ts';
import { loadChorus, type ChorusHandle } from '../lib/chorus-loader.ts';
import { CountingStore } from '../lib/counting-store.ts';

/** Generous: on 2 shared cores a 16-process mesh can take many seconds to form. */
const CONNECT_TIMEOUT_MS = 60_000;

const recorder = new Recorder();
let floor: SimplePeer.Instance | null = null;
let relay: Socket | null = null;
let chorus: ChorusHandle | null = null;
let store: CountingStore | null = null;
let probe: ReturnType<typeof setInterval> | null = null;
/** Per group: when this peer first saw an installed view of at least n members. */
const viewSeen = new Map<string, { size: number; at: number }[]>();

const emit = serve({
  // ---- arrivals ----
  expect: ({ tag, warmUntil }: { tag: string; warmUntil: number }) => recorder.expectTag(tag, warmUntil),
  wait: ({ tag, count, timeoutMs }: { tag: string; count: number; timeoutMs: number }) => recorder.waitFor(tag, count, timeoutMs),
  count: ({ tag }: { tag: string }) => recorder.count(tag),
  take: ({ tag }: { tag: string }) => recorder.take(tag),

  // ---- floor: a single raw data channel ----
  'floor-open': ({ initiator }: { initiator: boolean }) => {
    floor?.destroy();
    const p = new SimplePeer({ initiator, wrtc, trickle: true });
    p.on('signal', (data) => emit('floor-signal', data));
    p.on('data', (d: Uint8Array) => recorder.record(new TextDecoder().decode(d)));
    p.on('error', (e) => emit('log', `floor error: ${e.message}`));
    floor = p;
  },
  'floor-signal': (data: SimplePeer.SignalData) => floor?.signal(data),
  'floor-wait': () => {
    const p = floor;
    if (p === null) throw new Error('floor-open first');
    if (p.connected) return null;
    return withTimeout(new Promise((resolve) => p.once('connect', () => resolve(null))), CONNECT_TIMEOUT_MS, 'floor data channel');
  },
  'floor-load': (plan: LoadPlan) => {
    const p = floor;
    if (p === null) throw new Error('floor-open first');
    return runLoad(plan, (body) => p.send(body));
  },
  'floor-close': () => { floor?.destroy(); floor = null; },

  // ---- relay: a Socket.IO broadcast server, as a server-based chat ----
  'relay-connect': async ({ url, room }: { url: string; room: string }) => {
    relay?.close();
    const s = io(url, { transports: ['websocket'], forceNew: true });
    s.on('msg', (body: string) => recorder.record(body));
    relay = s;
    await withTimeout(new Promise<void>((resolve) => s.once('connect', () => resolve())), CONNECT_TIMEOUT_MS, 'relay connect');
    await withTimeout(new Promise<void>((resolve) => s.emit('join', room, () => resolve())), CONNECT_TIMEOUT_MS, 'relay join');
  },
  'relay-load': (plan: LoadPlan) => {
    const s = relay;
    if (s === null) throw new Error('relay-connect first');
    return runLoad(plan, (body) => s.emit('msg', body));
  },
  'relay-close': () => { relay?.close(); relay = null; },

  // ---- chorus: the real peer ----
  'chorus-connect': async ({ trackerUrl, name, counting }: { trackerUrl: string; name: string; counting?: boolean }) => {
    await chorus?.peer.close();
    store = counting === true ? await CountingStore.overMemory() : null;
    chorus = await loadChorus({ trackerUrl, name, wrtc, store });
    const h = chorus;
    h.peer.on('message', (m) => {
      if (m.state === 'delivered' && m.sender !== h.peer.peerId) recorder.record(m.body);
    });
    h.peer.on('group', (g) => {
      if (g.status !== 'member' || g.view === null) return;
      if (!g.view.members.some((m) => m.peerId === h.peer.peerId)) return;
      const list = viewSeen.get(g.groupId) ?? [];
      list.push({ size: g.view.members.length, at: wallNowMs() });
      viewSeen.set(g.groupId, list);
    });
    await withTimeout(h.peer.connect(), CONNECT_TIMEOUT_MS, 'tracker connect');
    return { peerId: h.peer.peerId };
  },
  'chorus-create': async ({ name, ordering }: { name: string; ordering: 'fifo' | 'total' }) => {
    const h = need();
    const g = await h.peer.createGroup(name, ordering);
    return g.groupId;
  },
  /** Join and say when join() was called and when it resolved (wall clock). */
  'chorus-join': async ({ groupId }: { groupId: string }) => {
    const h = need();
    const calledAt = wallNowMs();
    await withTimeout(h.join(groupId), CONNECT_TIMEOUT_MS, `join ${groupId}`);
    return { calledAt, resolvedAt: wallNowMs() };
  },
  /** Wall time at which this peer first had an installed view with at least `size` members. */
  'chorus-view-at': async ({ groupId, size, timeoutMs }: { groupId: string; size: number; timeoutMs: number }) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = (viewSeen.get(groupId) ?? []).find((v) => v.size >= size);
      if (hit !== undefined) return hit.at;
      if (Date.now() > deadline) throw new Error(`no view of ${size} members in ${timeoutMs} ms (saw ${JSON.stringify((viewSeen.get(groupId) ?? []).map((v) => v.size))})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  },
  'chorus-load': ({ groupId, plan }: { groupId: string; plan: LoadPlan }) => {
    const h = need();
    return runLoad(plan, (body) => h.peer.send(h.groupId(groupId), body));
  },
  /** Send `count` messages alone (to fill a history) and resolve when this peer delivered all of them. */
  'chorus-fill': async ({ groupId, count, batch }: { groupId: string; count: number; batch: number }) => {
    const h = need();
    const started = wallNowMs();
    for (let i = 0; i < count; i += batch) {
      const n = Math.min(batch, count - i);
      await Promise.all(Array.from({ length: n }, (_, k) => h.peer.send(h.groupId(groupId), `fill ${i + k + 1}`)));
    }
    const s = store;
    if (s !== null) await s.waitFor(groupId, count, CONNECT_TIMEOUT_MS * 5);
    return { ms: wallNowMs() - started };
  },
  /** Wall time at which the store first held `count` messages of the group. */
  'store-at': async ({ groupId, count, timeoutMs }: { groupId: string; count: number; timeoutMs: number }) => {
    const s = store;
    if (s === null) throw new Error('connect with counting: true');
    const at = await s.waitFor(groupId, count, timeoutMs);
    if (at === null) throw new Error(`store holds ${s.stored(groupId)} of ${count} messages after ${timeoutMs} ms`);
    return at;
  },
  /** Send a small message every intervalMs until probe-stop, so joiners can time their first delivery. */
  'probe-start': ({ groupId, tag, intervalMs }: { groupId: string; tag: string; intervalMs: number }) => {
    const h = need();
    let seq = 0;
    probe = setInterval(() => {
      seq += 1;
      h.peer.send(h.groupId(groupId), makeBody(tag, 'probe', seq, wallNowMs())).catch(() => undefined);
    }, intervalMs);
  },
  'probe-stop': () => { if (probe !== null) clearInterval(probe); probe = null; },
  /** Wall time of the first arrival of a tag (waits up to timeoutMs for it). */
  'first-at': async ({ tag, timeoutMs }: { tag: string; timeoutMs: number }) => {
    if (!(await recorder.waitFor(tag, 1, timeoutMs))) throw new Error(`nothing of ${tag} arrived in ${timeoutMs} ms`);
    return recorder.firstAt(tag);
  },
  'chorus-metrics': ({ groupId }: { groupId: string }) => need().peer.metrics(need().groupId(groupId)),
  'chorus-leave': async ({ groupId }: { groupId: string }) => { await need().peer.leave(need().groupId(groupId)); },
  'chorus-close': async () => { await chorus?.peer.close(); chorus = null; },
  mem: () => process.memoryUsage(),
});

function need(): ChorusHandle {
  if (chorus === null) throw new Error('chorus-connect first');
  return chorus;
}
