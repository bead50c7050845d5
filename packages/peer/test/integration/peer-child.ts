// One Chorus peer in its own process, driven by the test over IPC
// (process.send). A crash is a real SIGKILL of this process; its data
// channels and tracker socket die with it, as a closed laptop's would.
//
// Run with `node --import tsx peer-child.ts`. Protocol (ipc-protocol.ts):
// the parent sends requests `{ id, cmd, args }` and gets `{ id, ok, value }`
// or `{ id, ok: false, error: { code, message } }`; the child pushes its
// state (groups, directory, metrics) whenever it changes, and its events.

import wrtc from '@roamhq/wrtc';
import type { GroupId, MessageOp, PeerId } from '@chorus/protocol';
import { exportPublicKey, generateIdentity } from '@chorus/protocol';
import type { ChatMessage, ChorusPeer, FileInput, GroupMetrics, PeerEventMap } from '../../src/api.ts';
import type { FileOptions } from '../../src/files/file-hub.ts';
import { createPeer } from '../../src/peer.ts';
import { randomPeerId } from '../../src/key-store.ts';
import { TrackerClient } from '../../src/tracker-client.ts';
import { WebRtcMesh } from '../../src/mesh/webrtc-mesh.ts';
import { relayed } from '../../src/relay/index.ts';
import type { RelayTransport } from '../../src/relay/index.ts';
import type { Transport } from '../../src/transport.ts';
import { BlockedTransport } from './blocked-transport.ts';
import type { ChildPush, ChildRequest, ChildResponse } from './ipc-protocol.ts';

/** State pushes are coalesced to at most one per this interval (metrics change with every frame). */
const STATE_PUSH_MS = 50;

let peer: ChorusPeer | null = null;
let mesh: WebRtcMesh | null = null;
let trackerLink: TrackerClient | null = null;
/** With `connect {relay: true}`: the relay layer over a mesh whose links to `blocked` peers never open. */
let relay: RelayTransport | null = null;
let blocker: BlockedTransport | null = null;
let pushTimer: ReturnType<typeof setTimeout> | null = null;
let corruptChunks = false;
/** A hostile sponsor: every history page it sends says "not done" and carries nothing. */
let endlessPages = false;
/** A hostile sponsor: the state on its newest page counts every other sender's messages this many past the truth. */
let inflateCounts = 0;
/** A hostile sponsor: the state on its newest page names an `agreed` priority this much above its own. */
let raiseAgreed = 0;
/** Base64 of as many bytes as `data` holds, none of them the same. */
const garble = (data: Uint8Array): Uint8Array => data.map((b) => b ^ 0x5a);
/** Frames the mesh handed up, by kind (diagnostics: did frames arrive at all?). */
const framesByKind: Record<string, number> = {};

const send = (msg: ChildResponse | ChildPush): void => {
  if (process.connected) process.send?.(msg);
};

function pushStateSoon(): void {
  if (pushTimer || !peer) return;
  pushTimer = setTimeout(() => {
    pushTimer = null;
    if (!peer) return;
    const metrics: Record<string, GroupMetrics | null> = {};
    for (const g of peer.groups()) metrics[g.groupId] = peer.metrics(g.groupId);
    send({ push: 'state', groups: peer.groups(), directory: peer.directory(), metrics });
  }, STATE_PUSH_MS);
}

function need(): { peer: ChorusPeer; mesh: WebRtcMesh } {
  if (!peer || !mesh) throw Object.assign(new Error('connect first'), { code: 'bad-state' });
  return { peer, mesh };
}

const handlers: Record<string, (args: Record<string, unknown>) => Promise<unknown>> = {
  async connect(args) {
    if (peer) throw Object.assign(new Error('already connected'), { code: 'bad-state' });
    const name = String(args['name']);
    const keyPair = await generateIdentity();
    const publicKey = await exportPublicKey(keyPair.publicKey);
    const tracker = new TrackerClient({
      url: String(args['trackerUrl']),
      name,
      peerId: randomPeerId(),
      keyPair,
      publicKey,
      socketOptions: { transports: ['websocket'] },
    });
    trackerLink = tracker;
    let transport: Transport;
    if (args['relay'] === true) {
      const timing = (args['relayTiming'] ?? {}) as { relayAfterMs?: number; times?: { routeTtlMs?: number } };
      relay = relayed(
        tracker,
        keyPair.privateKey,
        (link) => {
          mesh = new WebRtcMesh({ tracker: link, wrtc });
          blocker = new BlockedTransport(mesh);
          return blocker;
        },
        timing,
      );
      transport = relay;
    } else transport = mesh = new WebRtcMesh({ tracker, wrtc });
    mesh?.on('frame', (_g, _from, frame) => {
      framesByKind[frame.t] = (framesByKind[frame.t] ?? 0) + 1;
    });
    const files = args['files'] as FileOptions | undefined;
    peer = createPeer({
      name,
      tracker,
      transport,
      identity: { keyPair, publicKey },
      ...(files ? { files } : {}),
    });
    // A hostile holder (tests): every file chunk it serves carries other bytes of the same length.
    const m: WebRtcMesh | null = mesh;
    if (m) {
      const meshSend = m.send.bind(m);
      m.send = (g, to, frame) => {
        if (corruptChunks && frame.t === 'file-chunk') return meshSend(g, to, { ...frame, data: garble(frame.data) });
        if (endlessPages && frame.t === 'history-res')
          return meshSend(g, to, { t: 'history-res', groupId: frame.groupId, req: frame.req, items: [], done: false });
        if (raiseAgreed > 0 && frame.t === 'history-res' && frame.state !== undefined)
          return meshSend(g, to, { ...frame, state: { ...frame.state, agreed: frame.state.agreed + raiseAgreed } });
        if (inflateCounts > 0 && frame.t === 'history-res' && frame.state !== undefined) {
          const counts = Object.entries(frame.state.nextSeq).map(([s, n]) => [s, s === m.self ? n : n + inflateCounts]);
          return meshSend(g, to, { ...frame, state: { ...frame.state, nextSeq: Object.fromEntries(counts) } });
        }
        return meshSend(g, to, frame);
      };
    }
    const events: (keyof PeerEventMap)[] = [
      'connection',
      'directory',
      'group',
      'message',
      'system',
      'error',
      'transfer',
    ];
    for (const event of events) {
      peer.on(event, (value) => {
        send({ push: 'event', event, value });
        pushStateSoon();
      });
    }
    await peer.connect();
    // Metrics move without an event (rejected frames, throughput); keep the parent's copy fresh.
    setInterval(pushStateSoon, STATE_PUSH_MS * 4).unref();
    pushStateSoon();
    return { peerId: peer.peerId };
  },
  createGroup: async (a) =>
    need().peer.createGroup(String(a['name']), a['ordering'] as 'fifo' | 'total', a['password'] as string | undefined),
  join: async (a) => need().peer.join(a['groupId'] as GroupId, a['password'] as string | undefined),
  leave: async (a) => need().peer.leave(a['groupId'] as GroupId),
  send: async (a) => need().peer.send(a['groupId'] as GroupId, String(a['text'])),
  sendOp: async (a) => need().peer.sendOp(a['groupId'] as GroupId, a['op'] as MessageOp),
  /** `count` messages `${prefix}${k}`, all started at once: the engine and mesh see a real burst. */
  async burst(a) {
    const p = need().peer;
    const count = Number(a['count']);
    const prefix = String(a['prefix']);
    const sent = await Promise.all(
      Array.from({ length: count }, (_, i) => p.send(a['groupId'] as GroupId, `${prefix}${i + 1}`)),
    );
    return sent.map((m) => m.id);
  },
  history: async (a) =>
    need().peer.history(a['groupId'] as GroupId, (a['opts'] ?? {}) as { since?: number; limit?: number }),
  metrics: async (a) => need().peer.metrics(a['groupId'] as GroupId),
  fileSend: async (a) =>
    need().peer.files.send(a['groupId'] as GroupId, a['file'] as FileInput, (a['caption'] ?? '') as string),
  fileFetch: async (a) => need().peer.files.fetch(a['message'] as ChatMessage),
  fileCancel: async (a) => need().peer.files.cancel(String(a['hash'])),
  fileRead: async (a) => need().peer.files.read(String(a['hash'])),
  fileStored: async (a) => need().peer.files.stored(String(a['hash'])),
  fileAuto: async (a) => need().peer.files.setAutoDownload(Number(a['bytes'])),
  /** Debug: serve garbage for every file chunk from now on (a corrupting holder). */
  async corruptChunks() {
    corruptChunks = true;
    return null;
  },
  /** Debug: answer every history request with a page that is not the last and carries nothing (a lying sponsor). */
  async endlessPages() {
    endlessPages = true;
    return null;
  },
  /** Debug: the state on every newest history page it sends counts the other senders' messages `by` too many. */
  async inflateCounts(a) {
    inflateCounts = Number(a['by']);
    return null;
  },
  /** Debug: the state on every newest history page it sends names an `agreed` priority `by` above its own. */
  async raiseAgreed(a) {
    raiseAgreed = Number(a['by']);
    return null;
  },
  command: async (a) => need().peer.command(String(a['line']), (a['current'] ?? null) as GroupId | null),
  /** Debug: destroy this peer's data channel to `peer` in a group as a network failure would. */
  dropLink: async (a) => need().mesh.dropLink(a['groupId'] as GroupId, a['peer'] as PeerId),
  /** Debug: raw text on the channel to `to`, bypassing the codec (what a hostile peer can do). */
  inject: async (a) => need().mesh.sendRaw(a['groupId'] as GroupId, a['to'] as PeerId, String(a['text'])),
  frameCounts: async () => ({ ...framesByKind }),
  selectedPair: async (a) => need().mesh.selectedPair(a['groupId'] as GroupId, a['peer'] as PeerId),
  linkState: async (a) => need().mesh.linkState(a['groupId'] as GroupId, a['peer'] as PeerId),
  /** Debug: a link report to the tracker whatever the channel's real state (what a lying member can do). */
  async reportLink(a) {
    need();
    trackerLink?.reportLink(a['groupId'] as GroupId, a['peer'] as PeerId, a['state'] as 'up' | 'down');
    return null;
  },
  /** Relay runs only: the direct links to these peers never open (before joining). */
  async block(a) {
    for (const p of a['peers'] as PeerId[]) blocker?.blocked.add(p);
    return null;
  },
  /** Relay runs only: the member our frames to `peer` go through, or null. */
  relayOf: async (a) => relay?.relayOf(a['groupId'] as GroupId, a['peer'] as PeerId) ?? null,
  relayCounts: async () => ({ forwarded: relay?.relayForwarded ?? 0, dropped: relay?.relayDropped ?? 0 }),
  /** Debug: as a relay, alter the text of every DATA body this member forwards (a lying relay). */
  async tamperRelay(a) {
    relay?.setForwardHook(
      a['on'] === true ? (env) => ({ ...env, body: env.body.replace(/"body":"/g, '"body":"altered ') }) : null,
    );
    return null;
  },
  async close() {
    await peer?.close();
    peer = null;
    setTimeout(() => process.exit(0), 10);
    return null;
  },
};

process.on('message', (raw: unknown) => {
  const req = raw as ChildRequest;
  const handler = handlers[req.cmd];
  const reply = (msg: ChildResponse): void => send(msg);
  if (!handler) {
    reply({ id: req.id, ok: false, error: { code: 'unknown-command', message: `No command "${req.cmd}".` } });
    return;
  }
  handler(req.args ?? {}).then(
    (value) => {
      reply({ id: req.id, ok: true, value: value ?? null });
      pushStateSoon();
    },
    (e: unknown) => {
      const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : 'internal';
      reply({ id: req.id, ok: false, error: { code, message: e instanceof Error ? e.message : String(e) } });
    },
  );
});

// The test runner went away: do not linger as an orphan holding data channels.
process.on('disconnect', () => process.exit(0));
send({ push: 'loaded' });
