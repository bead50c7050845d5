// The Peer facade (api.ts ChorusPeer): one identity, one tracker link, one
// transport, and a GroupSession per joined group. Owns the groups: it starts
// joins (tracker join → links to every member → links-ready → history sync,
// whose steps are group-join.ts), routes tracker notices to the groups' entries
// (group-entry.ts), re-syncs after a tracker reconnect (rejoin.ts), ends
// groups, and answers the UI's calls (history: peer-history.ts, `/` commands:
// peer-commands.ts). Ordering, signatures and history live in the session and
// below; sockets and data channels in the tracker client and mesh.

import {
  encodeOp,
  exportPublicKey,
  generateIdentity,
  groupOfMessageId,
  isOpBody,
  MAX_BODY_CHARS,
  opFits,
  type GroupId,
  type GroupSummary,
  type JoinReply,
  type MemberInfo,
  type MessageId,
  type MessageOp,
  type Ordering,
  type PeerId,
  type View,
} from '@chorus/protocol';
import type { ChatMessage, ChorusPeer, CommandResult, GroupMetrics, JoinedGroup, PeerEventMap } from './api.ts';
import { ChorusError, errorCode, errorMessage } from './chorus-error.ts';
import { Emitter } from './emitter.ts';
import {
  applyJoinerGone,
  applyJoining,
  applyView,
  joinedGroup,
  type GroupEntry,
  type TrackerNotice,
} from './group-entry.ts';
import { joinWith, type JoinHost, type PeerEvents } from './group-join.ts';
import { loadOrCreateKeyPair, MemoryKeyStore, randomPeerId } from './key-store.ts';
import { MemoryStore } from './memory-store.ts';
import { runCommand } from './peer-commands.ts';
import { readHistory, type HistoryQuery } from './peer-history.ts';
import type { CreatePeerOptions } from './peer-options.ts';
import { Rejoins } from './rejoin.ts';
import { withFile, type FileHub } from './files/file-hub.ts';
import { peerFiles } from './files/peer-files.ts';
import type { MessageStore } from './storage.ts';
import type { TrackerLink } from './tracker-link.ts';
import type { Transport } from './transport.ts';

export { LINKS_READY_TIMEOUT_MS } from './join-links.ts';

export type { CreatePeerOptions, PeerIdentity } from './peer-options.ts';

export function createPeer(opts: CreatePeerOptions): ChorusPeer {
  return new Peer(opts);
}

class Peer implements ChorusPeer {
  readonly peerId: PeerId;
  readonly name: string;
  readonly files: FileHub;
  readonly #opts: CreatePeerOptions;
  readonly #events = new Emitter<PeerEvents>((e) => console.error('peer listener failed', e));
  readonly #store: MessageStore;
  readonly #ownsStore: boolean;
  readonly #now: () => number;
  readonly #groups = new Map<GroupId, GroupEntry>();
  /** Direct messages of this key: listed at hello, pushed when opened (PROTOCOL.md §2 Direct messages). */
  readonly #dms = new Map<GroupId, GroupSummary>();
  /**
   * Notices for a group this peer is joining for the first time, heard
   * before its entry exists (the join's answer is followed by a store read):
   * replayed to the new entry. Two joins of an empty group race (the other
   * person's tab joins a direct message as soon as it is opened); the one
   * installed alone must not miss "the other is joining".
   */
  readonly #early = new Map<GroupId, TrackerNotice[]>();
  readonly #unsubscribe: (() => void)[] = [];
  #tracker: TrackerLink | null;
  #transport: Transport | null;
  #self: MemberInfo | null = null;
  #privateKey: CryptoKey | null = null;
  #connecting: Promise<void> | null = null;
  readonly #rejoins: Rejoins;
  readonly #join: JoinHost;
  #readyOnce = false;
  #closed = false;
  #offLinks: (() => void) | null = null;
  readonly #relayOf = (g: GroupId, p: PeerId): PeerId | null => this.#transport?.relayOf?.(g, p) ?? null;

  constructor(opts: CreatePeerOptions) {
    this.#opts = opts;
    this.name = opts.name;
    this.#tracker = opts.tracker ?? null;
    this.#transport = opts.transport ?? null;
    this.peerId = opts.tracker?.peerId ?? opts.transport?.self ?? randomPeerId();
    this.#ownsStore = opts.store === undefined;
    this.#store = opts.store ?? new MemoryStore();
    this.#now = opts.now ?? Date.now;
    if (opts.tracker && opts.transport && opts.transport.self !== opts.tracker.peerId)
      throw new ChorusError('bad-state', 'The transport and the tracker link belong to different peer sessions.');
    this.#rejoins = new Rejoins({
      closed: () => this.#closed,
      tracker: () => this.#tracker,
      entry: (groupId) => this.#groups.get(groupId),
      joinWith: (reply, password) => this.#joinWith(reply, false, password),
      drop: (entry) => this.#dropGroup(entry, 'removed'),
      changed: (entry) => this.#emitGroup(entry),
      onView: (view) => this.#onView(view),
      error: (e) => this.#events.emit('error', e),
    });
    this.#join = {
      peerId: this.peerId,
      store: this.#store,
      events: this.#events,
      groups: this.#groups,
      now: this.#now,
      linksReadyTimeoutMs: opts.linksReadyTimeoutMs,
      metricsReportMs: opts.metricsReportMs,
      need: () => this.#need(),
      closed: () => this.#closed,
      tracker: () => this.#tracker,
      transport: () => this.#transport,
      put: (entry) => this.#groups.set(entry.summary.groupId, entry),
      changed: (entry) => this.#emitGroup(entry),
      onView: (view) => this.#onView(view),
      notice: (groupId, n) => this.#notice(groupId, n),
      replayEarly: (groupId) => {
        for (const n of this.#early.get(groupId)?.splice(0) ?? []) this.#notice(groupId, n);
      },
      drop: (entry, status) => this.#dropGroup(entry, status),
      leave: (groupId) => this.leave(groupId),
    };
    this.files = peerFiles(opts, this.#store, this.peerId, this.#now, this.#events, (g) => this.#groups.get(g));
  }

  // ---- connection ----

  connect(): Promise<void> {
    this.#connecting ??= this.#connect().catch((e: unknown) => {
      this.#connecting = null;
      throw e;
    });
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    if (this.#closed) throw new ChorusError('bad-state', 'This peer is closed.');
    const keyPair =
      this.#opts.identity?.keyPair ??
      (await loadOrCreateKeyPair(this.#opts.keyStore ?? new MemoryKeyStore(), this.name, () => generateIdentity()));
    const publicKey = this.#opts.identity?.publicKey ?? (await exportPublicKey(keyPair.publicKey));
    this.#privateKey = keyPair.privateKey;
    this.#self = { peerId: this.peerId, name: this.name, publicKey };
    if (!this.#tracker) {
      if (this.#opts.trackerUrl === undefined)
        throw new ChorusError('missing-field', 'Give createPeer a trackerUrl or a tracker.');
      const { TrackerClient } = await import('./tracker-client.ts');
      this.#tracker = new TrackerClient({
        url: this.#opts.trackerUrl,
        name: this.name,
        peerId: this.peerId,
        keyPair,
        publicKey,
        ...(this.#opts.socketOptions === undefined ? {} : { socketOptions: this.#opts.socketOptions }),
      });
    }
    const tracker = this.#tracker;
    // A UI retries connect() after a failure: listen to the tracker once only.
    if (this.#unsubscribe.length === 0)
      this.#unsubscribe.push(
        tracker.on('connection', (state) => this.#events.emit('connection', state)),
        tracker.on('directory', (groups) => this.#events.emit('directory', groups)),
        tracker.on('ready', (hello) => {
          for (const group of hello.dms ?? []) this.#noteDm(group, false);
          this.#onReady();
        }),
        tracker.on('dm', (group) => this.#noteDm(group, true)),
        tracker.on('view', (view) => this.#onView(view)),
        tracker.on('joining', (n) => this.#onJoining(n.groupId, n.peer)),
        tracker.on('joinerGone', (n) => this.#onJoinerGone(n.groupId, n.peerId)),
        tracker.on('removed', (n) => void this.#onRemoved(n.groupId, n.reason)),
        tracker.on('error', (n) => this.#events.emit('error', { code: n.code, message: n.message })),
      );
    if (!this.#transport) {
      const { WebRtcMesh } = await import('./mesh/webrtc-mesh.ts');
      const { relayed } = await import('./relay/index.ts');
      // A pair whose channel cannot open talks through a third member (PROTOCOL.md §1.6).
      const wrtc = this.#opts.wrtc === undefined ? {} : { wrtc: this.#opts.wrtc };
      this.#transport = relayed(tracker, keyPair.privateKey, (link) => new WebRtcMesh({ tracker: link, ...wrtc }));
    }
    this.files.attach(this.#transport);
    // A link that comes up, goes or moves to a relay changes the members list ("via Ben").
    this.#offLinks ??= this.#transport.on('link', (g) => this.#emitGroup(this.#groups.get(g)));
    this.#events.emit('connection', 'connecting');
    await tracker.connect();
  }

  #need(): { tracker: TrackerLink; transport: Transport; self: MemberInfo; privateKey: CryptoKey } {
    if (this.#closed) throw new ChorusError('bad-state', 'This peer is closed.');
    if (!this.#tracker || !this.#transport || !this.#self || !this.#privateKey)
      throw new ChorusError('bad-state', 'Call connect() first.');
    return { tracker: this.#tracker, transport: this.#transport, self: this.#self, privateKey: this.#privateKey };
  }

  directory(): readonly GroupSummary[] {
    return this.#tracker?.directory ?? [];
  }

  groups(): readonly JoinedGroup[] {
    return [...this.#groups.values()].map((e) => joinedGroup(e, this.#relayOf));
  }

  async createGroup(name: string, ordering: Ordering, password?: string): Promise<GroupSummary> {
    return this.#need().tracker.createGroup(name, ordering, password);
  }

  async openDm(person: { readonly publicKey: string; readonly name: string }): Promise<GroupSummary> {
    const group = await this.#need().tracker.openDm(person.publicKey, person.name);
    this.#dms.set(group.groupId, group);
    return group;
  }

  dms(): readonly GroupSummary[] {
    return [...this.#dms.values()];
  }

  #noteDm(group: GroupSummary, opened: boolean): void {
    this.#dms.set(group.groupId, group);
    this.#events.emit('dm', { group, opened });
  }

  // ---- joining ----

  async join(groupId: GroupId, password?: string): Promise<JoinedGroup> {
    const { tracker } = this.#need();
    const existing = this.#groups.get(groupId);
    if (existing && (existing.status === 'member' || existing.status === 'joining')) {
      await existing.member;
      return joinedGroup(existing, this.#relayOf);
    }
    const early = existing === undefined && !this.#early.has(groupId);
    if (early) this.#early.set(groupId, []);
    try {
      const reply = await tracker.join(groupId, password);
      return await this.#joinWith(reply, true, password);
    } finally {
      if (early) this.#early.delete(groupId);
    }
  }

  #joinWith(reply: JoinReply, leaveOnFailure: boolean, password: string | undefined): Promise<JoinedGroup> {
    return joinWith(this.#join, reply, leaveOnFailure, password);
  }

  // ---- tracker notices ----

  #onView(view: View): void {
    const entry = this.#groups.get(view.groupId);
    if (!entry) this.#early.get(view.groupId)?.push({ kind: 'view', view });
    if (entry && applyView(entry, view, this.peerId, this.#transport)) this.#emitGroup(entry);
  }

  #onJoinerGone(groupId: GroupId, peerId: PeerId): void {
    const entry = this.#groups.get(groupId);
    if (!entry) this.#early.get(groupId)?.push({ kind: 'joiner-gone', peerId });
    if (entry) applyJoinerGone(entry, peerId, this.peerId, this.#transport);
  }

  #onJoining(groupId: GroupId, peer: MemberInfo): void {
    const entry = this.#groups.get(groupId);
    if (!entry) this.#early.get(groupId)?.push({ kind: 'joining', peer });
    if (!entry || peer.peerId === this.peerId) return;
    // The tracker installs a joiner once every member confirms its channel to
    // it; one still open from before (a member re-joining) raises no new `up`.
    // The channel is the transport's, whichever session is current: say so now.
    if (this.#transport?.openPeers(groupId).includes(peer.peerId) === true)
      this.#tracker?.reportLink(groupId, peer.peerId, 'up');
    applyJoining(entry, peer, this.peerId, this.#transport);
  }

  /**
   * The tracker took us out of a group. `left` is final (another tab of this
   * session, or the tracker's own cleanup); `failed` and `evicted` while we
   * are alive to hear it are a false suspicion or a broken link, and a person
   * would expect the app to come back by itself: re-join as a joiner.
   */
  async #onRemoved(groupId: GroupId, reason: 'left' | 'failed' | 'evicted'): Promise<void> {
    const entry = this.#groups.get(groupId);
    if (!entry || entry.status !== 'member') return;
    this.#events.emit('system', { groupId, at: this.#now(), peerId: this.peerId, name: this.name, change: reason });
    if (reason === 'left' || this.#closed) {
      await this.#dropGroup(entry, 'removed');
      return;
    }
    await this.#rejoins.rejoin(entry, null);
  }

  #notice(groupId: GroupId, n: TrackerNotice): void {
    if (n.kind === 'view') this.#onView(n.view);
    else if (n.kind === 'joining') this.#onJoining(groupId, n.peer);
    else this.#onJoinerGone(groupId, n.peerId);
  }

  /** After every reconnect: fetch each open group's view again; re-join groups the tracker forgot. */
  #onReady(): void {
    if (!this.#readyOnce) {
      this.#readyOnce = true;
      return;
    }
    this.#rejoins.wakeAll();
    for (const entry of this.#groups.values()) {
      if (entry.status === 'member') void this.#rejoins.resync(entry);
    }
  }

  /**
   * Ends a group here. `beforeUnlink` runs after the session reported its
   * final numbers and before the data channels close: a leave tells the
   * tracker first, so the others drop their links to us deliberately instead
   * of reporting them broken.
   */
  async #dropGroup(entry: GroupEntry, status: 'left' | 'removed', beforeUnlink?: () => Promise<void>): Promise<void> {
    if (entry.status === 'left' || entry.status === 'removed') return;
    entry.status = status;
    const groupId = entry.summary.groupId;
    await entry.session.close(status === 'left' ? 'You left the group.' : 'This peer was removed from the group.');
    await beforeUnlink?.();
    this.#transport?.close(groupId);
    for (const u of entry.unsubscribe) u();
    this.#emitGroup(entry);
    if (this.#groups.get(groupId) === entry) this.#groups.delete(groupId);
  }

  // ---- messages ----

  async leave(groupId: GroupId): Promise<void> {
    const entry = this.#groups.get(groupId);
    if (!entry) throw new ChorusError('not-member', 'This peer is not in that group.');
    const tracker = this.#tracker;
    // The session reports its final numbers on close, before the tracker forgets us.
    await this.#dropGroup(entry, 'left', async () => {
      await tracker?.leave(groupId).catch((e: unknown) => {
        this.#events.emit('error', {
          groupId,
          code: errorCode(e),
          message: `The tracker did not confirm the leave: ${errorMessage(e)}`,
        });
      });
    });
  }

  send(groupId: GroupId, text: string): Promise<ChatMessage> {
    const entry = this.#groups.get(groupId);
    if (!entry) return Promise.reject(new ChorusError('not-member', 'Join the group before sending to it.'));
    if (isOpBody(text))
      return Promise.reject(new ChorusError('bad-input', 'A text may not start with U+0000 (it marks an operation).'));
    return entry.session.send(text);
  }

  sendOp(groupId: GroupId, op: MessageOp): Promise<ChatMessage> {
    const entry = this.#groups.get(groupId);
    if (!entry) return Promise.reject(new ChorusError('not-member', 'Join the group before sending to it.'));
    if (groupOfMessageId(op.target) !== groupId)
      return Promise.reject(new ChorusError('bad-input', `${op.target} is not a message of this group.`));
    if (!opFits(op))
      return Promise.reject(
        new ChorusError(
          'too-long',
          `This ${op.op} does not fit a message (at most ${MAX_BODY_CHARS} characters with its target).`,
        ),
      );
    return entry.session.send(encodeOp(op));
  }

  signal(
    groupId: GroupId,
    marker: { readonly kind: 'typing' } | { readonly kind: 'read'; readonly seen: MessageId },
  ): boolean {
    const entry = this.#groups.get(groupId);
    if (!entry || (marker.kind === 'read' && groupOfMessageId(marker.seen) !== groupId)) return false;
    return entry.session.signal(marker);
  }

  async history(groupId: GroupId, opts: HistoryQuery = {}): Promise<readonly ChatMessage[]> {
    await this.#groups
      .get(groupId)
      ?.session.flushStore()
      .catch(() => {});
    return (await readHistory(this.#store, groupId, opts)).map(withFile);
  }

  metrics(groupId: GroupId): GroupMetrics | null {
    return this.#groups.get(groupId)?.session.metrics() ?? null;
  }

  // ---- commands ----

  command(line: string, current: GroupId | null): Promise<CommandResult> {
    const joined = (): GroupSummary[] => [...this.#groups.values()].map((e) => e.summary);
    return runCommand(
      {
        directory: () => this.directory(),
        joined,
        members: (groupId) => this.#need().tracker.members(groupId),
        join: (groupId) => this.join(groupId),
        leave: (groupId) => this.leave(groupId),
        close: () => this.close(),
      },
      line,
      current,
    );
  }

  on<K extends keyof PeerEventMap>(event: K, listener: (value: PeerEventMap[K]) => void): () => void {
    return this.#events.on(event, listener as never);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const groups = [...this.#groups.keys()];
    for (const g of groups) await this.leave(g).catch(() => {});
    this.#closed = true;
    // Re-joins waiting out a pause see the peer closed and stop.
    this.#rejoins.wakeAll();
    for (const u of this.#unsubscribe) u();
    this.#offLinks?.();
    this.files.close();
    this.#transport?.close();
    await this.#tracker?.close().catch(() => {});
    if (this.#ownsStore) await this.#store.close();
    this.#events.emit('connection', 'offline');
  }

  // ---- plain-data views for UIs ----

  #emitGroup(e: GroupEntry | undefined): void {
    if (e) this.#events.emit('group', joinedGroup(e, this.#relayOf));
  }
}
