// The commands a bench driver sends to one Chorus peer, shared by the Node
// worker process (over IPC) and the browser bench page (over page.evaluate),
// so both kinds of peers are measured by the same code. No Node imports.
import { createPeer, randomPeerId, TrackerClient, WebRtcMesh } from '@chorus/peer';
import type { ChorusPeer } from '@chorus/peer';
import { exportPublicKey, generateIdentity } from '@chorus/protocol';
import type { GroupId } from '@chorus/protocol';
import { TimingProbe, TimingTransport } from './timing-transport.ts';
import { CountingStore } from './counting-store.ts';
import { makeBody, runLoad, type LoadPlan, type Recorder } from './load.ts';

const wallNow = (): number => performance.timeOrigin + performance.now();

/** Generous: on 2 shared cores a 16-peer mesh can take many seconds to form. */
const CONNECT_TIMEOUT_MS = 60_000;
/** Closing a peer is a leave per group and a socket close; longer means it is stuck. */
const CLOSE_TIMEOUT_MS = 5_000;
/** How often the view / store checks poll while waiting. */
const POLL_MS = 10;

export interface ChorusHandlerDeps {
  readonly recorder: Recorder;
  /** `@roamhq/wrtc` in Node; undefined in the browser. */
  readonly wrtc?: object;
  /** A fresh store for "counting" peers (memory in Node, IndexedDB in Chromium). */
  readonly countingStore: () => Promise<CountingStore>;
  /** Data-channel messages this process wrote since the last call (Node: every RTCDataChannel.send counted). */
  readonly takeChannelMessages?: () => number;
}

const timeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });

export const chorusHandlers = (deps: ChorusHandlerDeps): Record<string, (args: any) => unknown> => {
  const { recorder } = deps;
  let peer: ChorusPeer | null = null;
  let store: CountingStore | null = null;
  let timing = new TimingProbe();
  let probe: ReturnType<typeof setInterval> | null = null;
  /** Files (scenario 9): when each file (by SHA-256) finished arriving here, or why it failed. */
  const filesDone = new Map<string, { at: number; error?: string }>();
  /** Per group: when this peer first saw itself in an installed view of n members. */
  const viewSeen = new Map<string, { size: number; at: number }[]>();
  const need = (): ChorusPeer => {
    if (peer === null) throw new Error('chorus-connect first');
    return peer;
  };
  const gid = (raw: string): GroupId => raw as GroupId;

  return {
    'chorus-connect': async ({
      trackerUrl,
      name,
      counting,
    }: {
      trackerUrl: string;
      name: string;
      counting?: boolean;
    }) => {
      // A peer left stuck mid-join by an earlier run must not block the next one.
      if (peer !== null)
        await timeout(peer.close(), CLOSE_TIMEOUT_MS, 'closing the previous peer').catch(() => undefined);
      store = counting === true ? await deps.countingStore() : null;
      // The same tracker client and WebRTC mesh createPeer builds for a trackerUrl, built here so the
      // mesh can be wrapped in a pass-through that times where a message spends its latency.
      const keyPair = await generateIdentity();
      const publicKey = await exportPublicKey(keyPair.publicKey);
      const tracker = new TrackerClient({ url: trackerUrl, name, peerId: randomPeerId(), keyPair, publicKey });
      const mesh = new WebRtcMesh({ tracker, ...(deps.wrtc === undefined ? {} : { wrtc: deps.wrtc }) });
      timing = new TimingProbe();
      const timed = timing;
      const p = createPeer({
        name,
        tracker,
        transport: new TimingTransport(mesh, timed),
        identity: { keyPair, publicKey },
        ...(store === null ? {} : { store }),
      });
      peer = p;
      p.on('message', (m) => {
        if (m.state !== 'delivered' || m.sender === p.peerId) return;
        recorder.record(m.body);
        timed.deliver(m.id, m.body);
      });
      p.on('transfer', (e) => {
        if (e.direction !== 'receive' || e.state === 'running') return;
        filesDone.set(e.hash, { at: wallNow(), ...(e.state === 'done' ? {} : { error: e.error?.message ?? e.state }) });
      });
      p.on('group', (g) => {
        if (g.status !== 'member' || g.view === null) return;
        if (!g.view.members.some((m) => m.peerId === p.peerId)) return;
        const list = viewSeen.get(g.groupId) ?? [];
        list.push({ size: g.view.members.length, at: wallNow() });
        viewSeen.set(g.groupId, list);
      });
      await timeout(p.connect(), CONNECT_TIMEOUT_MS, 'tracker connect');
      return { peerId: p.peerId };
    },
    'chorus-create': async ({ name, ordering }: { name: string; ordering: 'fifo' | 'total' }) =>
      (await need().createGroup(name, ordering)).groupId,
    /**
     * Join; say when join() was called and when it resolved (wall clock), and how many of the group's
     * messages a counting store held then (null without one).
     */
    'chorus-join': async ({ groupId, timeoutMs }: { groupId: string; timeoutMs?: number }) => {
      const calledAt = wallNow();
      await timeout(need().join(gid(groupId)), timeoutMs ?? CONNECT_TIMEOUT_MS, `join ${groupId}`);
      return { calledAt, resolvedAt: wallNow(), stored: store?.stored(groupId) ?? null };
    },
    /** Wall time at which this peer first had an installed view with at least `size` members. */
    'chorus-view-at': async ({ groupId, size, timeoutMs }: { groupId: string; size: number; timeoutMs: number }) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = (viewSeen.get(groupId) ?? []).find((v) => v.size >= size);
        if (hit !== undefined) return hit.at;
        if (Date.now() > deadline)
          throw new Error(
            `no view of ${size} members in ${timeoutMs} ms (saw sizes ${JSON.stringify((viewSeen.get(groupId) ?? []).map((v) => v.size))})`,
          );
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    },
    /** Files in delivered messages up to `bytes` are fetched by this peer without asking. */
    'chorus-file-auto': ({ bytes }: { bytes: number }) => need().files.setAutoDownload(bytes),
    /** Sends a file of `size` pseudo-random bytes (`seed`); its hash and the time hashing and storing it took. */
    'chorus-file-send': async ({ groupId, size, seed }: { groupId: string; size: number; seed: number }) => {
      const bytes = new Uint8Array(size);
      let x = seed >>> 0;
      for (let i = 0; i < size; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        bytes[i] = x >>> 24;
      }
      const started = wallNow();
      const m = await need().files.send(gid(groupId), { name: `bench-${seed}.bin`, type: '', bytes });
      return { sha256: m.file?.sha256 ?? '', sentAt: wallNow(), prepMs: wallNow() - started };
    },
    /** Wall time at which the file `sha256` finished arriving here (waits up to timeoutMs). */
    'chorus-file-done-at': async ({ sha256, timeoutMs }: { sha256: string; timeoutMs: number }) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const done = filesDone.get(sha256);
        if (done?.error !== undefined) throw new Error(`the file failed here: ${done.error}`);
        if (done !== undefined) return done.at;
        if (Date.now() > deadline) throw new Error(`the file did not arrive in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    },
    'chorus-load': ({ groupId, plan }: { groupId: string; plan: LoadPlan }) => {
      const p = need();
      return runLoad(plan, (body) => p.send(gid(groupId), body));
    },
    /** Send `count` messages (to fill a history), `batch` at a time, and wait until all are stored. */
    'chorus-fill': async ({ groupId, count, batch }: { groupId: string; count: number; batch: number }) => {
      const p = need();
      const started = wallNow();
      for (let i = 0; i < count; i += batch) {
        const n = Math.min(batch, count - i);
        await Promise.all(Array.from({ length: n }, (_, k) => p.send(gid(groupId), `history message ${i + k + 1}`)));
      }
      if (store !== null && (await store.waitFor(groupId, count, CONNECT_TIMEOUT_MS * 5)) === null) {
        throw new Error(`only ${store.stored(groupId)} of ${count} sent messages were stored`);
      }
      return { ms: wallNow() - started };
    },
    /** Wall time at which the counting store first held `count` messages of the group. */
    'store-at': async ({ groupId, count, timeoutMs }: { groupId: string; count: number; timeoutMs: number }) => {
      const s = store;
      if (s === null) throw new Error('connect with counting: true');
      const at = await s.waitFor(groupId, count, timeoutMs);
      if (at === null)
        throw new Error(`the store holds ${s.stored(groupId)} of ${count} messages after ${timeoutMs} ms`);
      return at;
    },
    /** Send a probe every intervalMs until probe-stop, so joiners can time their first delivery. */
    'probe-start': ({ groupId, tag, intervalMs }: { groupId: string; tag: string; intervalMs: number }) => {
      const p = need();
      let seq = 0;
      if (probe !== null) clearInterval(probe);
      probe = setInterval(() => {
        seq += 1;
        p.send(gid(groupId), makeBody(tag, 'probe', seq, wallNow())).catch(() => undefined);
      }, intervalMs);
    },
    'probe-stop': () => {
      if (probe !== null) clearInterval(probe);
      probe = null;
    },
    /** What this peer believes about its groups: for diagnosing a join that never completes. */
    'chorus-state': () =>
      need()
        .groups()
        .map((g) => ({
          groupId: g.groupId,
          status: g.status,
          viewId: g.view?.viewId ?? null,
          members: g.view?.members.length ?? 0,
        })),
    /** Where the latency of a tag's messages went, as seen by this peer (see timing-transport.ts). */
    'timing-take': ({ tag }: { tag: string }) => timing.take(tag),
    /** Frames handed to the mesh since the last call, by kind, and data-channel messages written (Node only). */
    'wire-counts': () => ({ frames: timing.takeSent(), messages: deps.takeChannelMessages?.() ?? null }),
    'chorus-metrics': ({ groupId }: { groupId: string }) => need().metrics(gid(groupId)),
    'chorus-leave': async ({ groupId }: { groupId: string }) => {
      await need().leave(gid(groupId));
    },
    'chorus-close': async () => {
      await peer?.close();
      peer = null;
    },
  };
};

/** Arrival bookkeeping commands, the same for every kind of peer. */
export const recorderHandlers = (recorder: Recorder): Record<string, (args: any) => unknown> => ({
  /** This peer's clock (timeOrigin + now), for the driver's clock-agreement check. */
  now: () => wallNow(),
  expect: ({ tag, warmUntil }: { tag: string; warmUntil: number }) => recorder.expectTag(tag, warmUntil),
  wait: ({ tag, count, timeoutMs }: { tag: string; count: number; timeoutMs: number }) =>
    recorder.waitFor(tag, count, timeoutMs),
  count: ({ tag }: { tag: string }) => recorder.count(tag),
  take: ({ tag }: { tag: string }) => recorder.take(tag),
  /** Wall time of the first arrival of a tag (waits up to timeoutMs for it). */
  'first-at': async ({ tag, timeoutMs }: { tag: string; timeoutMs: number }) => {
    if (!(await recorder.waitFor(tag, 1, timeoutMs))) throw new Error(`nothing of ${tag} arrived in ${timeoutMs} ms`);
    return recorder.firstAt(tag);
  },
});
