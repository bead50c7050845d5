// The Peer facade (api.ts ChorusPeer): one identity, one tracker link, one
// transport, and a GroupSession per joined group. Owns the join sequence
// (tracker join → links to every member → links-ready → history sync), the
// re-sync after a tracker reconnect, routing tracker notices to sessions and
// carrying out `/` commands. Ordering, signatures and history live in the
// session and below; sockets and data channels in the tracker client and mesh.

import {
  createEngine, encodeOp, exportPublicKey, generateIdentity, groupOfMessageId, isOpBody, MAX_BODY_CHARS, membership, opFits, recordFloors, resumeAfterSent, resumePoint,
  type EngineResume, type GroupCharter, type GroupId, type GroupSummary, type JoinReply, type MemberInfo, type MessageId, type MessageOp, type Ordering, type PeerId, type View,
} from '@chorus/protocol';
import type {
  ChatMessage, ChorusPeer, CommandResult, GroupMetrics, GroupStatus, JoinedGroup, MemberState, PeerEventMap,
} from './api.ts';
import { Backoff } from './backoff.ts';
import { ChorusError, errorCode, errorMessage } from './chorus-error.ts';
import { isCommandError, parseCommand, resolveGroup } from './commands.ts';
import { Emitter } from './emitter.ts';
import { chatFromStored, GroupSession } from './group-session.ts';
import { loadOrCreateKeyPair, MemoryKeyStore, randomPeerId, randomRestoreOffset, type KeyStore } from './key-store.ts';
import { MemoryStore } from './memory-store.ts';
import type { MessageStore, StoredMessage } from './storage.ts';
import type { TrackerClientOptions } from './tracker-client.ts';
import type { TrackerLink } from './tracker-link.ts';
import type { Transport } from './transport.ts';

/**
 * How long a joiner waits for data channels to every member before giving
 * up. ICE through STUN/TURN takes a few seconds at worst; the mesh's own
 * connect timeout is 10 s, so this leaves it room for one retry.
 */
export const LINKS_READY_TIMEOUT_MS = 25_000;
/** While a joiner waits for its links, it re-reads the member list this often (a member may die meanwhile). */
export const JOIN_MEMBERS_POLL_MS = 1_000;
/** A history() call without a limit returns at most this many messages (the newest). */
export const DEFAULT_HISTORY_LIMIT = 1_000;
/** Page size when reading a group's whole history out of the store. */
const STORE_PAGE = 500;
/**
 * A re-join that failed on a tracker error which may pass (rate-limited,
 * timeout, offline, a member gone mid-join) is tried again after a pause:
 * the first window is this long and doubles per failure (full jitter).
 */
export const REJOIN_RETRY_BASE_MS = 500;
/** The longest pause between re-join attempts: a tracker down for minutes is still tried twice a minute. */
export const REJOIN_RETRY_CAP_MS = 30_000;
/** Never retry sooner than this, so a retry cannot spin on an error that comes back at once. */
export const REJOIN_RETRY_MIN_MS = 100;
/**
 * Answers after which another attempt cannot help, so the group is dropped:
 * the group is gone (not-found, after the restore attempt), the password
 * changed, its name went to another group, or the tracker refuses who we
 * are, or this peer is closing.
 */
export const FINAL_REJOIN_CODES: ReadonlySet<string> = new Set(['not-found', 'wrong-password', 'name-taken', 'not-authenticated', 'closed']);

export interface PeerIdentity {
  readonly keyPair: CryptoKeyPair;
  /** Raw public key, base64; derived from the key pair when left out. */
  readonly publicKey?: string;
}

export interface CreatePeerOptions {
  readonly name: string;
  /** Tracker to connect to when no `tracker` is given (socket.io-client). */
  readonly trackerUrl?: string;
  readonly tracker?: TrackerLink;
  /** Data channels; a WebRTC mesh over the tracker when left out. */
  readonly transport?: Transport;
  /** `@roamhq/wrtc` in Node, for the default mesh. */
  readonly wrtc?: object;
  /** socket.io-client options for the default tracker client (Node passes `{ transports: ['websocket'] }`). */
  readonly socketOptions?: TrackerClientOptions['socketOptions'];
  readonly store?: MessageStore;
  readonly keyStore?: KeyStore;
  /** Use this key pair instead of the key store's one for `name`. Must match an injected tracker's. */
  readonly identity?: PeerIdentity;
  readonly now?: () => number;
  readonly linksReadyTimeoutMs?: number;
  /** How often each group reports its metrics to the tracker (METRICS_REPORT_MS by default). */
  readonly metricsReportMs?: number;
}

interface GroupEntry {
  summary: GroupSummary;
  status: GroupStatus;
  readonly session: GroupSession;
  view: View | null;
  /** Everyone seen in a view of this group, for the members panel (online = in the current view). */
  readonly known: Map<PeerId, MemberInfo>;
  /** Phase-one joiners the tracker told us about: we keep links to them too. */
  readonly joiners: Map<PeerId, MemberInfo>;
  /** Resolves when the session is a full member (history synced). */
  member: Promise<void>;
  /** The password this tab joined with, in memory only: re-joins and restores of a locked group need it. */
  readonly password: string | undefined;
  /** The group's charter from the join reply, in memory only: the proof a restore needs after the tracker forgot the group. */
  readonly charter: GroupCharter | undefined;
  readonly unsubscribe: (() => void)[];
  /**
   * While a re-join attempt is under way: the tracker's notices for the group
   * (views, joiners), kept in order for the session that attempt makes. The
   * old session must not act on views of the group it is being replaced in,
   * and the new one must see every view from its join on (PROTOCOL.md §2,
   * "Restore"). Null otherwise.
   */
  held: TrackerNotice[] | null;
  /** The highest own seq the sessions this entry replaced sent (its new engine goes on above it). */
  readonly sentSeq: number;
}

type TrackerNotice =
  | { readonly kind: 'view'; readonly view: View }
  | { readonly kind: 'joining'; readonly peer: MemberInfo }
  | { readonly kind: 'joiner-gone'; readonly peerId: PeerId };

export function createPeer(opts: CreatePeerOptions): ChorusPeer {
  return new Peer(opts);
}

class Peer implements ChorusPeer {
  readonly peerId: PeerId;
  readonly name: string;
  readonly #opts: CreatePeerOptions;
  readonly #events = new Emitter<{ [K in keyof PeerEventMap]: (value: PeerEventMap[K]) => void }>((e) =>
    console.error('peer listener failed', e),
  );
  readonly #store: MessageStore;
  readonly #ownsStore: boolean;
  readonly #now: () => number;
  readonly #groups = new Map<GroupId, GroupEntry>();
  readonly #unsubscribe: (() => void)[] = [];
  #tracker: TrackerLink | null;
  #transport: Transport | null;
  #self: MemberInfo | null = null;
  #privateKey: CryptoKey | null = null;
  #connecting: Promise<void> | null = null;
  /** Re-joins waiting out a pause after a transient error; a reconnect ends their wait. */
  readonly #wakeRejoins = new Set<() => void>();
  #readyOnce = false;
  #closed = false;

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
    const keyPair = this.#opts.identity?.keyPair ??
      (await loadOrCreateKeyPair(this.#opts.keyStore ?? new MemoryKeyStore(), this.name, () => generateIdentity()));
    const publicKey = this.#opts.identity?.publicKey ?? (await exportPublicKey(keyPair.publicKey));
    this.#privateKey = keyPair.privateKey;
    this.#self = { peerId: this.peerId, name: this.name, publicKey };
    if (!this.#tracker) {
      if (this.#opts.trackerUrl === undefined) throw new ChorusError('missing-field', 'Give createPeer a trackerUrl or a tracker.');
      const { TrackerClient } = await import('./tracker-client.ts');
      this.#tracker = new TrackerClient({
        url: this.#opts.trackerUrl, name: this.name, peerId: this.peerId, keyPair, publicKey,
        ...(this.#opts.socketOptions === undefined ? {} : { socketOptions: this.#opts.socketOptions }),
      });
    }
    const tracker = this.#tracker;
    // A UI retries connect() after a failure: listen to the tracker once only.
    if (this.#unsubscribe.length === 0) this.#unsubscribe.push(
      tracker.on('connection', (state) => this.#events.emit('connection', state)),
      tracker.on('directory', (groups) => this.#events.emit('directory', groups)),
      tracker.on('ready', () => this.#onReady()),
      tracker.on('view', (view) => this.#onView(view)),
      tracker.on('joining', (n) => this.#onJoining(n.groupId, n.peer)),
      tracker.on('joinerGone', (n) => this.#onJoinerGone(n.groupId, n.peerId)),
      tracker.on('removed', (n) => void this.#onRemoved(n.groupId, n.reason)),
      tracker.on('error', (n) => this.#events.emit('error', { code: n.code, message: n.message })),
    );
    if (!this.#transport) {
      const { WebRtcMesh } = await import('./mesh/webrtc-mesh.ts');
      this.#transport = new WebRtcMesh({ tracker, ...(this.#opts.wrtc === undefined ? {} : { wrtc: this.#opts.wrtc }) });
    }
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
    return [...this.#groups.values()].map((e) => this.#joined(e));
  }

  async createGroup(name: string, ordering: Ordering, password?: string): Promise<GroupSummary> {
    return this.#need().tracker.createGroup(name, ordering, password);
  }

  // ---- joining ----

  async join(groupId: GroupId, password?: string): Promise<JoinedGroup> {
    const { tracker } = this.#need();
    const existing = this.#groups.get(groupId);
    if (existing && (existing.status === 'member' || existing.status === 'joining')) {
      await existing.member;
      return this.#joined(existing);
    }
    const reply = await tracker.join(groupId, password);
    return this.#joinWith(reply, true, password);
  }

  /**
   * Phase one is done (`reply`): a fresh session and engine, links to every
   * member, links-ready, then history and state from a sponsor. A re-join
   * after the tracker dropped us takes the same road: our old engine state
   * misses whatever was said meanwhile, so we come back as a joiner.
   */
  async #joinWith(reply: JoinReply, leaveOnFailure: boolean, password: string | undefined): Promise<JoinedGroup> {
    const { tracker, transport, self, privateKey } = this.#need();
    const groupId = reply.group.groupId;
    const { point: stored, floors } = await this.#resumePoint(groupId, reply.group.ordering);
    const previous = this.#groups.get(groupId);
    // The store's point, raised above what the session we replace sent (delivered here or not).
    const sentSeq = Math.max(previous?.sentSeq ?? 0, previous?.session.sentSeq ?? 0);
    const resume = resumeAfterSent(stored, sentSeq);
    const session = new GroupSession({
      groupId, self, privateKey, transport, store: this.#store, groupName: reply.group.name, floors,
      engine: createEngine({ mode: reply.group.ordering, self: self.peerId, groupId, ...(resume === null ? {} : { resume }) }),
      reportMetrics: (r) => this.#tracker?.reportMetrics(r),
      now: this.#now,
      ...(this.#opts.metricsReportMs === undefined ? {} : { metricsReportMs: this.#opts.metricsReportMs }),
    });
    const entry: GroupEntry = {
      summary: reply.group, status: 'joining', session, view: null, known: new Map(previous?.known ?? []), joiners: new Map(),
      member: Promise.resolve(), unsubscribe: [], password, charter: reply.charter ?? previous?.charter, held: null, sentSeq,
    };
    entry.member = new Promise<void>((resolve, reject) => {
      entry.unsubscribe.push(
        session.on('phase', (phase) => {
          if (phase === 'member') resolve();
          if (phase === 'closed') reject(new ChorusError('bad-state', 'The group was closed before the join finished.'));
        }),
      );
    });
    entry.member.catch(() => {});
    entry.unsubscribe.push(
      session.on('message', (m) => this.#events.emit('message', m)),
      session.on('system', (line) => this.#events.emit('system', line)),
      session.on('view', (view) => {
        if (entry.view === null || view.viewId >= entry.view.viewId) entry.view = view;
        this.#emitGroup(entry);
      }),
      session.on('signal', (sig) => this.#events.emit('signal', sig)),
      session.on('problem', (p) => this.#events.emit('error', { groupId: p.groupId, code: p.code, message: p.message })),
      this.#onceTurnFails(groupId, transport),
    );
    if (previous && previous.status !== 'left' && previous.status !== 'removed') {
      // Keep the links (the new session takes them over); only the old session and its listeners go.
      previous.status = 'removed';
      for (const u of previous.unsubscribe) u();
      await previous.session.close('Re-joining the group.');
    }
    this.#groups.set(groupId, entry);
    for (const m of reply.view.members) entry.known.set(m.peerId, m);
    for (const m of reply.view.members) session.noteJoining(m);
    // What the tracker said while this attempt was being set up (the views that installed us and
    // those after it come before the join's answer is handled): the new session hears it first.
    for (const n of previous?.held?.splice(0) ?? []) this.#notice(groupId, n);
    this.#emitGroup(entry);
    try {
      await this.#enterMesh(entry, reply.view, tracker, transport);
      await entry.member;
    } catch (e) {
      if (leaveOnFailure) {
        await this.#dropGroup(entry, 'left');
        tracker.leave(groupId).catch(() => {});
      } else await this.#parkFailedRejoin(entry);
      throw e;
    }
    entry.status = 'member';
    this.#emitGroup(entry);
    return this.#joined(entry);
  }

  /**
   * Where this peer id stood in a group it has history of (a re-join in the
   * same tab, a group restored after a tracker restart): its own seq, the
   * last order key's number as Lamport time and, for total order, as the
   * agreed priority, and every sender's delivered count (used if it founds
   * the view alone). Without it a re-joined peer would reuse message ids, and
   * a group that starts afresh would reuse priorities. Null for a new group.
   * With it, the floors of the store's group record (PROTOCOL.md §4), which
   * the new session keeps in the records it saves.
   */
  async #resumePoint(groupId: GroupId, ordering: Ordering): Promise<{ point: EngineResume | null; floors: Record<string, number> }> {
    const [record, lastOrder, count] = await Promise.all([
      this.#store.getGroup(groupId).catch(() => null),
      // The highest key stored, not the sync cursor: that one may restart from null to refill gaps.
      (this.#store.lastOrder?.(groupId) ?? this.#store.cursor(groupId)).catch(() => null),
      this.#store.count(groupId).catch(() => 0),
    ]);
    return { point: resumePoint({ nextSeq: record?.state?.nextSeq ?? null, lastOrder, count }, this.peerId, ordering), floors: recordFloors(record) };
  }

  /** A relay-only link that cannot get a TURN address is told to the user once per join, naming TURN. */
  #onceTurnFails(groupId: GroupId, transport: Transport): () => void {
    let told = false;
    return transport.on('turn', (g, _peer, problem) => {
      if (g !== groupId || !problem.fatal || told) return;
      told = true;
      this.#events.emit('error', { groupId, code: 'turn', message: problem.message });
    });
  }

  /** Phase two of a join: open links to everyone in `view`, report them ready, hand the view to the session. */
  async #enterMesh(entry: GroupEntry, view: View, tracker: TrackerLink, transport: Transport): Promise<void> {
    const groupId = entry.summary.groupId;
    // A newer view may have come already (replayed notices): links follow the newest one.
    this.#setLinks(entry, (entry.view !== null && entry.view.viewId > view.viewId ? entry.view : view).members);
    const others = view.members.map((m) => m.peerId).filter((p) => p !== this.peerId);
    await this.#waitForLinks(entry, others, tracker, transport);
    // The tracker installs us once the members confirm their channels to us
    // too; until then links-ready answers the view without us, and the view
    // with us comes as a push. Asking again now and then re-checks (a member
    // that never confirmed may have gone); a tracker that dropped us answers
    // not-member, which fails the join.
    this.#onView(await tracker.linksReady(groupId));
    while (!this.#installed(entry)) {
      await new Promise((r) => setTimeout(r, JOIN_MEMBERS_POLL_MS));
      if (this.#closed || this.#groups.get(groupId) !== entry || entry.status !== 'joining' || this.#installed(entry)) return;
      this.#onView(await tracker.linksReady(groupId));
    }
  }

  #installed(entry: GroupEntry): boolean {
    return entry.view?.members.some((m) => m.peerId === this.peerId) === true;
  }

  /**
   * Resolves once a data channel to every member is open. A joiner hears no
   * views, so it asks the tracker for the member list now and then: a member
   * that died meanwhile must not hold the join up until the timeout.
   */
  #waitForLinks(entry: GroupEntry, peers: readonly PeerId[], tracker: TrackerLink, transport: Transport): Promise<void> {
    const groupId = entry.summary.groupId;
    const timeoutMs = this.#opts.linksReadyTimeoutMs ?? LINKS_READY_TIMEOUT_MS;
    let wanted = new Set(peers);
    return new Promise<void>((resolve, reject) => {
      const missing = (): PeerId[] => {
        const open = new Set(transport.openPeers(groupId));
        return [...wanted].filter((p) => !open.has(p));
      };
      const finish = (error: Error | null): void => {
        clearTimeout(timer);
        clearInterval(poll);
        off();
        offTurn();
        if (error) reject(error);
        else resolve();
      };
      let turnProblem = '';
      const timer = setTimeout(() => {
        const turn = turnProblem ? ` ${turnProblem}` : '';
        finish(new ChorusError('timeout', `No data channel to ${missing().length} member(s) after ${timeoutMs / 1000} s; the group cannot be joined from this network.${turn}`));
      }, timeoutMs);
      // Relay-only ICE without a TURN address cannot open any link: say so now, not at the timeout.
      const offTurn = transport.on('turn', (g, peer, problem) => {
        if (g !== groupId || !wanted.has(peer)) return;
        if (problem.fatal) finish(new ChorusError('turn', `No data channel to the group's members through TURN. ${problem.message}`));
        else turnProblem = problem.message;
      });
      const poll = setInterval(() => {
        tracker.members(groupId).then((members) => {
          const now = new Set(members.map((m) => m.peerId));
          wanted = new Set([...wanted].filter((p) => now.has(p)));
          if (missing().length === 0) finish(null);
        }, () => {});
      }, JOIN_MEMBERS_POLL_MS);
      const off = transport.on('link', (g) => {
        if (g === groupId && missing().length === 0) finish(null);
      });
      if (missing().length === 0) finish(null);
    });
  }

  #setLinks(entry: GroupEntry, members: readonly MemberInfo[]): void {
    const peers = new Map<PeerId, MemberInfo>();
    for (const m of members) peers.set(m.peerId, m);
    for (const [p, m] of entry.joiners) peers.set(p, m);
    peers.delete(this.peerId);
    this.#transport?.setPeers(entry.summary.groupId, [...peers.values()]);
  }

  // ---- tracker notices ----

  #onView(view: View): void {
    const entry = this.#groups.get(view.groupId);
    if (!entry || entry.status === 'left' || entry.status === 'removed') return;
    if (entry.held !== null) {
      entry.held.push({ kind: 'view', view });
      return;
    }
    // An older view (a links-ready answer overtaken by the push of the next view) changes nothing:
    // its member list would close the link to whoever the newer view added.
    if (entry.view !== null && view.viewId < entry.view.viewId) return;
    entry.view = view;
    for (const m of view.members) {
      entry.known.set(m.peerId, m);
      entry.joiners.delete(m.peerId);
    }
    entry.summary = { ...entry.summary, online: view.members.length };
    this.#setLinks(entry, view.members);
    entry.session.onTrackerView(view);
    this.#emitGroup(entry);
  }

  /** A joiner we were told of left or failed before it was installed: stop keeping a link to it. */
  #onJoinerGone(groupId: GroupId, peerId: PeerId): void {
    const entry = this.#groups.get(groupId);
    if (entry?.held) entry.held.push({ kind: 'joiner-gone', peerId });
    if (!entry || entry.held !== null || !entry.joiners.delete(peerId)) return;
    this.#setLinks(entry, entry.view?.members ?? []);
  }

  #onJoining(groupId: GroupId, peer: MemberInfo): void {
    const entry = this.#groups.get(groupId);
    if (!entry || peer.peerId === this.peerId) return;
    // The tracker installs a joiner once every member confirms its channel to
    // it; one still open from before (a member re-joining) raises no new `up`.
    // The channel is the transport's, whichever session is current: say so now.
    if (this.#transport?.openPeers(groupId).includes(peer.peerId) === true) this.#tracker?.reportLink(groupId, peer.peerId, 'up');
    if (entry.held !== null) {
      entry.held.push({ kind: 'joining', peer });
      return;
    }
    entry.joiners.set(peer.peerId, peer);
    entry.session.noteJoining(peer);
    this.#setLinks(entry, entry.view?.members ?? []);
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
    await this.#rejoin(entry, null);
  }

  /**
   * Back into a group the tracker no longer lists us in. A tracker error that
   * may pass is retried after a growing pause (REJOIN_RETRY_*_MS), as a person
   * expects the app to keep trying; the group is dropped only on a final
   * answer (FINAL_REJOIN_CODES) or when it was left meanwhile.
   */
  async #rejoin(entry: GroupEntry, reply: JoinReply | null): Promise<void> {
    const groupId = entry.summary.groupId;
    if (!this.#tracker || entry.status !== 'member') return;
    // Marks the re-join as under way, so a `removed` and a reconnect do not both start one.
    entry.status = 'joining';
    this.#emitGroup(entry);
    // A restored group's views must continue above every view this tab saw of it.
    const restoreViewId = entry.view?.viewId ?? 0;
    const backoff = new Backoff({ baseMs: REJOIN_RETRY_BASE_MS, capMs: REJOIN_RETRY_CAP_MS, minMs: REJOIN_RETRY_MIN_MS });
    let first = reply;
    for (;;) {
      const current = this.#groups.get(groupId);
      const tracker = this.#tracker;
      // Left (leave(), close()) or dropped meanwhile: nothing to get back into.
      if (this.#closed || !tracker || current === undefined || current.status !== 'joining') return;
      // From here the tracker's notices for the group wait for the session this attempt makes.
      current.held = [];
      try {
        await this.#joinWith(first ?? (await this.#joinOrRestore(current, tracker, restoreViewId)), false, current.password);
        return;
      } catch (e) {
        first = null;
        const code = errorCode(e);
        const now = this.#groups.get(groupId);
        if (this.#closed || now === undefined || now.status !== 'joining') return;
        if (FINAL_REJOIN_CODES.has(code)) {
          this.#events.emit('error', { groupId, code, message: `Could not get back into the group: ${errorMessage(e)}` });
          await this.#dropGroup(now, 'removed');
          return;
        }
        const pause = backoff.next();
        this.#events.emit('error', {
          groupId, code, message: `Getting back into the group failed (${errorMessage(e)}); trying again in ${Math.ceil(pause / 1000)} s.`,
        });
        await this.#pause(pause);
      }
    }
  }

  #notice(groupId: GroupId, n: TrackerNotice): void {
    if (n.kind === 'view') this.#onView(n.view);
    else if (n.kind === 'joining') this.#onJoining(groupId, n.peer);
    else this.#onJoinerGone(groupId, n.peerId);
  }

  /** Waits `ms`, or less if the tracker connection comes back meanwhile (a retry then has a chance at once). */
  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wakeRejoins.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakeRejoins.add(done);
    });
  }

  /**
   * A re-join attempt failed after its session was made: close that session
   * (its listeners go with it) but keep the group listed as `joining`, so the
   * next attempt takes its place and the UI never sees the group vanish.
   */
  async #parkFailedRejoin(entry: GroupEntry): Promise<void> {
    if (entry.status === 'left' || entry.status === 'removed') return;
    entry.status = 'joining';
    for (const u of entry.unsubscribe.splice(0)) u();
    await entry.session.close('Getting back into the group failed; trying again.');
    this.#emitGroup(entry);
  }

  /**
   * Phase one of a re-join. A tracker that restarted with the in-memory store
   * no longer knows the group at all: re-register it (same id, name,
   * ordering, password; views continue above ours) and join it.
   */
  async #joinOrRestore(entry: GroupEntry, tracker: TrackerLink, restoreViewId: number): Promise<JoinReply> {
    const { groupId } = entry.summary;
    try {
      return await tracker.join(groupId, entry.password);
    } catch (e) {
      // Without a charter (a tracker older than charters) there is no proof to restore with: the group is gone.
      if (errorCode(e) !== 'not-found' || entry.charter === undefined) throw e;
    }
    await tracker.restoreGroup({
      groupId, charter: entry.charter, viewId: membership.restoreViewFloor(Math.max(restoreViewId, entry.view?.viewId ?? 0), randomRestoreOffset()),
      ...(entry.password === undefined ? {} : { password: entry.password }),
    });
    return tracker.join(groupId, entry.password);
  }

  /** After every reconnect: fetch each open group's view again; re-join groups the tracker forgot. */
  #onReady(): void {
    if (!this.#readyOnce) {
      this.#readyOnce = true;
      return;
    }
    for (const wake of [...this.#wakeRejoins]) wake();
    for (const entry of this.#groups.values()) {
      if (entry.status === 'member') void this.#resync(entry);
    }
  }

  async #resync(entry: GroupEntry): Promise<void> {
    const groupId = entry.summary.groupId;
    const tracker = this.#tracker;
    if (!tracker) return;
    try {
      this.#onView(await tracker.view(groupId));
      return;
    } catch (e) {
      if (errorCode(e) !== 'not-member' && errorCode(e) !== 'not-found') {
        this.#events.emit('error', { groupId, code: errorCode(e), message: `Re-syncing the group failed: ${errorMessage(e)}` });
        return;
      }
    }
    // The tracker no longer lists us (it restarted, or declared us failed while we were away): join again.
    await this.#rejoin(entry, null);
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
        this.#events.emit('error', { groupId, code: errorCode(e), message: `The tracker did not confirm the leave: ${errorMessage(e)}` });
      });
    });
  }

  send(groupId: GroupId, text: string): Promise<ChatMessage> {
    const entry = this.#groups.get(groupId);
    if (!entry) return Promise.reject(new ChorusError('not-member', 'Join the group before sending to it.'));
    if (isOpBody(text)) return Promise.reject(new ChorusError('bad-input', 'A text may not start with U+0000 (it marks an operation).'));
    return entry.session.send(text);
  }

  sendOp(groupId: GroupId, op: MessageOp): Promise<ChatMessage> {
    const entry = this.#groups.get(groupId);
    if (!entry) return Promise.reject(new ChorusError('not-member', 'Join the group before sending to it.'));
    if (groupOfMessageId(op.target) !== groupId) return Promise.reject(new ChorusError('bad-input', `${op.target} is not a message of this group.`));
    if (!opFits(op)) return Promise.reject(new ChorusError('too-long', `This ${op.op} does not fit a message (at most ${MAX_BODY_CHARS} characters with its target).`));
    return entry.session.send(encodeOp(op));
  }

  signal(groupId: GroupId, marker: { readonly kind: 'typing' } | { readonly kind: 'read'; readonly seen: MessageId }): boolean {
    const entry = this.#groups.get(groupId);
    if (!entry || (marker.kind === 'read' && groupOfMessageId(marker.seen) !== groupId)) return false;
    return entry.session.signal(marker);
  }

  async history(groupId: GroupId, opts: { readonly since?: number; readonly before?: string; readonly limit?: number } = {}): Promise<readonly ChatMessage[]> {
    const limit = opts.limit ?? DEFAULT_HISTORY_LIMIT;
    await this.#groups.get(groupId)?.session.flushStore().catch(() => {});
    if (opts.since !== undefined) return (await this.#store.since(groupId, opts.since, limit)).map(chatFromStored);
    // The newest page (below `before`) straight from the order index, when the store can: never the whole history.
    if (this.#store.before) {
      const pages: (readonly StoredMessage[])[] = [];
      let below = opts.before ?? null;
      for (let left = limit; left > 0;) {
        const want = Math.min(left, STORE_PAGE);
        const page = await this.#store.before(groupId, below, want);
        pages.unshift(page);
        left -= page.length;
        if (page.length < want) break;
        below = page[0]!.order;
      }
      return pages.flat().map(chatFromStored);
    }
    const all: StoredMessage[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await this.#store.page(groupId, { after, limit: STORE_PAGE });
      all.push(...page.items);
      if (page.next === null) break;
      after = page.next;
    }
    const older = opts.before === undefined ? all : all.filter((m) => m.order < opts.before!);
    return older.slice(-limit).map(chatFromStored);
  }

  metrics(groupId: GroupId): GroupMetrics | null {
    return this.#groups.get(groupId)?.session.metrics() ?? null;
  }

  // ---- commands ----

  async command(line: string, current: GroupId | null): Promise<CommandResult> {
    const cmd = parseCommand(line);
    if (isCommandError(cmd)) return { kind: 'error', message: cmd.error.message };
    try {
      switch (cmd.kind) {
        case 'groups':
          return { kind: 'groups', groups: this.directory() };
        case 'quit':
          await this.close();
          return { kind: 'quit' };
        case 'members': {
          // Joined groups resolve by name too: the directory is a page plus coalesced deltas and may
          // not list a group yet (just after a tracker restart, or beyond the first page).
          const joined = [...this.#groups.values()].map((e) => e.summary);
          const groupId = this.#resolve(cmd.group, current, [...joined, ...this.directory()]);
          return { kind: 'members', groupId, members: await this.#need().tracker.members(groupId) };
        }
        case 'join': {
          const groupId = this.#resolve(cmd.group, current, this.directory());
          await this.join(groupId);
          return { kind: 'joined', groupId };
        }
        case 'switch': {
          const joined = [...this.#groups.values()].map((e) => e.summary);
          return { kind: 'switched', groupId: this.#resolve(cmd.group, current, joined, 'You have not joined') };
        }
        case 'leave': {
          const joined = [...this.#groups.values()].map((e) => e.summary);
          const groupId = this.#resolve(cmd.group, current, joined, 'You have not joined');
          await this.leave(groupId);
          return { kind: 'left', groupId };
        }
      }
    } catch (e) {
      return { kind: 'error', message: errorMessage(e) };
    }
  }

  #resolve(ref: string | null, current: GroupId | null, among: readonly GroupSummary[], missing = 'There is no'): GroupId {
    if (ref === null) {
      if (current === null) throw new ChorusError('missing-field', 'Which group? Open one or name it after the command.');
      return current;
    }
    const id = resolveGroup(ref, among);
    if (id === null) throw new ChorusError('not-found', `${missing} group called "${ref}".`);
    return id;
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
    for (const wake of [...this.#wakeRejoins]) wake();
    for (const u of this.#unsubscribe) u();
    this.#transport?.close();
    await this.#tracker?.close().catch(() => {});
    if (this.#ownsStore) await this.#store.close();
    this.#events.emit('connection', 'offline');
  }

  // ---- plain-data views for UIs ----

  #joined(e: GroupEntry): JoinedGroup {
    const online = new Set(e.view?.members.map((m) => m.peerId) ?? []);
    const members: MemberState[] = [...e.known.values()].map((m) => ({ ...m, online: online.has(m.peerId) }));
    return {
      groupId: e.summary.groupId, name: e.summary.name, ordering: e.summary.ordering, status: e.status,
      view: e.session.view ?? e.view, members,
    };
  }

  #emitGroup(e: GroupEntry): void {
    this.#events.emit('group', this.#joined(e));
  }
}

