// One group on one peer: wires an ordering engine to a Transport and a
// MessageStore and carries out everything the engine returns. Owns the
// runtime side of the protocol: signing our DATA, verifying every inbound
// DATA (also inside FLUSH and history pages) while keeping each link's order,
// serialising engine calls, the joiner's history sync and the sponsor's
// answers, batching deliveries into the store, and the group's metrics. It
// does not talk to the tracker: the Peer facade hands it views and notices.

import {
  frameMessageId, isRejection, MAX_BODY_CHARS, signFields,
  type DataFrame, type EngineFrame, type EngineOutput, type EngineResult, type FlushFrame, type GroupFrame,
  type GroupId, type HistoryItem, type HistoryRequestFrame, type HistoryResponseFrame, type JoinerState,
  type MemberChange, type MemberInfo, type MessageId, type MetricsReport, type OrderingEngine, type PeerId, type ProtocolError,
  type Rejection, type View,
} from '@chorus/protocol';
import type { ChatMessage, GroupMetrics, SystemLine } from './api.ts';
import { ChorusError, errorMessage } from './chorus-error.ts';
import { Emitter } from './emitter.ts';
import { GroupMetricsRecorder } from './metrics.ts';
import { DeliveryWriter } from './session/delivery-writer.ts';
import { fitState, HISTORY_PAGE_ITEMS, readHistoryPage } from './session/history-pages.ts';
import { KeyRing, shortName } from './session/key-ring.ts';
import type { GroupRecord, MessageStore, StoredMessage } from './storage.ts';
import type { Transport } from './transport.ts';

/** Engines count time in ticks for retransmits and stability; 100 ms is well under any link's patience. */
export const TICK_MS = 100;
/** DESIGN §3: peers report their numbers every 30 s (and on leave). */
export const METRICS_REPORT_MS = 30_000;
/** A joiner re-asks for a history page after this long without an answer (a sponsor's link may have dropped a frame). */
export const HISTORY_RETRY_MS = 5_000;
/**
 * After a refused hand-over (state for a view we are already past, a last
 * page without state, state our engine refused) the joiner asks again after
 * this long, doubling per refusal up to HISTORY_RETRY_MS. A sponsor answers a
 * request at once, so without a pause a refusal that repeats (the sponsor has
 * not installed our view yet) turns into a request loop as fast as the link.
 */
export const HISTORY_REASK_MIN_MS = 200;
/**
 * Own sends not yet drafted (waiting for state while joining, or queued in a
 * burst faster than signing). Bounds memory; a benchmark's burst of a few
 * thousand still fits, a runaway loop does not.
 */
export const MAX_OUTBOX = 10_000;

export type SessionPhase = 'waiting' | 'syncing' | 'member' | 'closed';

export interface SessionProblem {
  readonly groupId: GroupId;
  readonly code: string;
  readonly message: string;
  /** Set when a peer's input caused it. */
  readonly from?: PeerId;
}

export interface GroupSessionEvents {
  /** A message to show: our own as `pending` first, then every message once `delivered` (also history). */
  message: (message: ChatMessage) => void;
  system: (line: SystemLine) => void;
  /** The engine installed a view (the mesh agreed on a membership). */
  view: (view: View) => void;
  phase: (phase: SessionPhase) => void;
  /** Something went wrong; remote faults are also counted in metrics.rejectedFrames. */
  problem: (problem: SessionProblem) => void;
}

export interface GroupSessionOptions {
  readonly groupId: GroupId;
  readonly self: MemberInfo;
  /** Signs our DATA frames; the public half is `self.publicKey`. */
  readonly privateKey: CryptoKey;
  readonly engine: OrderingEngine;
  readonly transport: Transport;
  readonly store: MessageStore;
  /** The group's name and ordering, saved with the engine state in the store. */
  readonly groupName: string;
  readonly reportMetrics?: (report: MetricsReport) => void;
  readonly now?: () => number;
  readonly tickMs?: number;
  readonly metricsReportMs?: number;
}

interface OutboxEntry {
  readonly text: string;
  readonly resolve: (m: ChatMessage) => void;
  readonly reject: (e: Error) => void;
}

interface SyncState {
  /** Members that were in the group before us: the candidates for sponsor. */
  readonly oldMembers: ReadonlySet<PeerId>;
  sponsor: PeerId;
  /** Where our own store ended when we joined: every fresh hand-over starts here again. */
  readonly initialCursor: string | null;
  cursor: string | null;
  askedAt: number;
  /** The sponsor's state from the last page, waiting until our engine has installed its view. */
  state: JoinerState | null;
  /** Hand-overs refused so far in this sync; sets the pause before the next request (HISTORY_REASK_MIN_MS). */
  refusals: number;
  /** When a paced re-ask is due (after a refusal), or null. */
  reaskAt: number | null;
}

/** The lowest peerId sponsors (DESIGN §4): every member computes the same one without talking. */
const lowest = (peers: Iterable<PeerId>): PeerId | null => {
  let best: PeerId | null = null;
  for (const p of peers) if (best === null || p < best) best = p;
  return best;
};

const pendingOrder = (seq: number): string => `~${String(seq).padStart(16, '0')}`;

export class GroupSession {
  readonly groupId: GroupId;
  readonly self: MemberInfo;
  readonly #opts: GroupSessionOptions;
  readonly #engine: OrderingEngine;
  readonly #transport: Transport;
  readonly #events = new Emitter<GroupSessionEvents>((e) => console.error('group session listener failed', e));
  readonly #keys = new KeyRing();
  readonly #metrics: GroupMetricsRecorder;
  readonly #writer: DeliveryWriter;
  readonly #now: () => number;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #timers: ReturnType<typeof setInterval>[] = [];

  #phase: SessionPhase = 'waiting';
  #installed: View | null = null;
  #lastTrackerViewId = -1;
  /** Members of the newest tracker view: the old members a joiner may still ask for history. */
  #trackerMembers = new Set<PeerId>();
  #sync: SyncState | null = null;
  /** Why each peer last came or went, per the tracker (for system lines when the engine skips a view). */
  readonly #lastChange = new Map<PeerId, MemberChange>();
  /** Per link: the promise of the last inbound frame's handling (verification is async, order must hold). */
  readonly #chains = new Map<PeerId, Promise<void>>();
  /** Serialises every engine call; a draft and its send must not interleave with anything. */
  #lock: Promise<void> = Promise.resolve();
  #outbox: OutboxEntry[] = [];
  #pumping = false;
  /** Own messages sent but not delivered yet, for the pending → delivered switch. */
  readonly #pending = new Map<MessageId, ChatMessage>();
  /**
   * Sponsor side: engine state captured at our last view install (or at our
   * own adoption). Every delivered message it counts is in the store once the
   * writer is flushed, so state and history handed over agree.
   */
  #handover: JoinerState | null = null;
  /** Sponsor side: the hand-over a joiner's paging started with, kept until its last page went out. */
  readonly #pinned = new Map<PeerId, JoinerState>();
  /** Sponsor side: requests that came before we had state to hand over. */
  readonly #waitingRequests = new Map<PeerId, HistoryRequestFrame>();

  constructor(opts: GroupSessionOptions) {
    this.#opts = opts;
    this.groupId = opts.groupId;
    this.self = opts.self;
    this.#engine = opts.engine;
    this.#transport = opts.transport;
    this.#now = opts.now ?? Date.now;
    this.#metrics = new GroupMetricsRecorder(this.#now());
    this.#writer = new DeliveryWriter(
      opts.groupId,
      opts.store,
      (e) => this.#problem('store-failed', `Saving messages failed, retrying: ${errorMessage(e)}`),
      () => this.#groupRecord(),
    );
    this.#keys.learn([opts.self]);
    const t = opts.transport;
    this.#unsubscribe.push(
      t.on('frame', (g, from, frame) => {
        if (g === this.groupId) this.#onFrame(from, frame);
      }),
      t.on('link', (g, peer, state) => {
        if (g === this.groupId && state === 'up') this.#onLinkUp(peer);
      }),
      t.on('reject', (g, from, error) => {
        if (g === this.groupId) this.#rejected(from, error);
      }),
    );
    this.#timers.push(setInterval(() => this.#onTick(), opts.tickMs ?? TICK_MS));
    this.#timers.push(setInterval(() => this.reportMetrics(), opts.metricsReportMs ?? METRICS_REPORT_MS));
  }

  // ---- what the Peer facade and UIs call ----

  get phase(): SessionPhase {
    return this.#phase;
  }

  /** The view the engine installed last (null until this peer is a member). */
  get view(): View | null {
    return this.#installed;
  }

  on<K extends keyof GroupSessionEvents>(event: K, listener: GroupSessionEvents[K]): () => void {
    return this.#events.on(event, listener);
  }

  metrics(): GroupMetrics {
    return this.#metrics.snapshot(this.#now());
  }

  reportMetrics(): void {
    try {
      this.#opts.reportMetrics?.(this.#metrics.report(this.groupId, this.#now()));
    } catch (e) {
      this.#problem('internal', `Reporting metrics failed: ${errorMessage(e)}`);
    }
  }

  /** Own messages not delivered yet, oldest first. */
  pendingMessages(): readonly ChatMessage[] {
    return [...this.#pending.values()];
  }

  /** Name and key of a member or past sender, as far as this group knows. */
  memberName(peerId: PeerId): string {
    return this.#keys.name(peerId) ?? shortName(peerId);
  }

  /** A member about to join (phase one): its key is needed before its first frame arrives. */
  noteJoining(member: MemberInfo): void {
    this.#keys.learn([member]);
  }

  /** A view from the tracker (also the links-ready ack). Duplicates and older views are ignored. */
  onTrackerView(view: View): void {
    if (this.#phase === 'closed' || view.groupId !== this.groupId) return;
    if (view.viewId <= this.#lastTrackerViewId) return;
    if (!view.members.some((m) => m.peerId === this.self.peerId)) return;
    this.#lastTrackerViewId = view.viewId;
    this.#trackerMembers = new Set(view.members.map((m) => m.peerId));
    this.#keys.learn(view.members);
    for (const c of view.changes) this.#lastChange.set(c.peerId, c.change);
    if (this.#phase === 'waiting') void this.#startSync(view);
    else if (this.#phase === 'syncing') this.#responsorIfGone(view);
    // The engine installs at once (a joiner buffers frames until it adopts state) or starts a flush.
    void this.#locked(() => {
      this.#apply(this.#engine.installView(view, this.#now()), 'installing a view');
    });
  }

  /**
   * Queue a message. Resolves once it has a place in the sender's sequence
   * (pending, or already delivered), after any view change in progress.
   */
  send(text: string): Promise<ChatMessage> {
    if (this.#phase === 'closed') return Promise.reject(new ChorusError('bad-state', 'This group is closed; join it again to send.'));
    if (typeof text !== 'string' || text.trim() === '')
      return Promise.reject(new ChorusError('missing-field', 'A message needs some text.'));
    // Checked here because every receiver's parser refuses a longer body: it would reach only us.
    if (text.length > MAX_BODY_CHARS)
      return Promise.reject(new ChorusError('too-long', `A message is at most ${MAX_BODY_CHARS} characters; this one has ${text.length}.`));
    if (this.#outbox.length >= MAX_OUTBOX)
      return Promise.reject(new ChorusError('too-many', `More than ${MAX_OUTBOX} messages are waiting to be sent; wait a moment.`));
    return new Promise<ChatMessage>((resolve, reject) => {
      this.#outbox.push({ text, resolve, reject });
      this.#pump();
    });
  }

  /** Writes every delivered message to the store now. */
  flushStore(): Promise<void> {
    return this.#writer.flush();
  }

  /** Leave (or be removed): stop timers, report the numbers one last time, save what was delivered. */
  async close(reason = 'The group session was closed.'): Promise<void> {
    if (this.#phase === 'closed') return;
    this.#setPhase('closed');
    for (const t of this.#timers) clearInterval(t);
    for (const u of this.#unsubscribe) u();
    this.#keys.close();
    const outbox = this.#outbox;
    this.#outbox = [];
    for (const o of outbox) o.reject(new ChorusError('bad-state', `${reason} The message was not sent.`));
    this.reportMetrics();
    await this.#writer.close();
  }

  // ---- joining: history from a sponsor, then the first view ----

  /** Synchronous up to the store read, so a second view arriving meanwhile finds us syncing. */
  async #startSync(view: View): Promise<void> {
    const joined = new Set(view.changes.filter((c) => c.change === 'joined').map((c) => c.peerId));
    joined.add(this.self.peerId);
    const oldMembers = new Set(view.members.map((m) => m.peerId).filter((p) => !joined.has(p)));
    const sponsor = lowest(oldMembers);
    if (sponsor === null) {
      // First in the group (or everyone before us is gone): the engine starts with empty state.
      this.#becomeMember();
      return;
    }
    this.#setPhase('syncing');
    const sync: SyncState = {
      oldMembers, sponsor, initialCursor: null, cursor: null, askedAt: this.#now(), state: null, refusals: 0, reaskAt: null,
    };
    this.#sync = sync;
    let cursor: string | null = null;
    try {
      cursor = await this.#opts.store.cursor(this.groupId);
    } catch (e) {
      this.#problem('store-failed', `Reading the local history cursor failed; asking for all history: ${errorMessage(e)}`);
    }
    if (this.#sync !== sync) return;
    this.#sync = { ...sync, initialCursor: cursor, cursor };
    this.#askHistory();
  }

  #askHistory(): void {
    const sync = this.#sync;
    if (!sync) return;
    sync.askedAt = this.#now();
    sync.reaskAt = null;
    this.#transport.send(this.groupId, sync.sponsor, {
      t: 'history-req', groupId: this.groupId, cursor: sync.cursor, limit: HISTORY_PAGE_ITEMS,
    });
  }

  /** The sponsor left while we synced: ask the next-lowest old member that is still here, from the start. */
  #responsorIfGone(view: View): void {
    const sync = this.#sync;
    if (!sync) return;
    const present = new Set(view.members.map((m) => m.peerId));
    if (present.has(sync.sponsor)) return;
    const next = lowest([...sync.oldMembers].filter((p) => present.has(p)));
    if (next === null) {
      // No one who knew the group before us is left; the flush of this view starts the group afresh.
      this.#becomeMember();
      return;
    }
    sync.sponsor = next;
    sync.cursor = sync.initialCursor;
    sync.state = null;
    this.#askHistory();
  }

  /**
   * The sponsor refused or sent something we cannot use: ask again from the
   * start, after a pause that doubles per refusal (HISTORY_REASK_MIN_MS up to
   * HISTORY_RETRY_MS), so a refusal that repeats costs a request every few
   * seconds instead of one per round trip.
   */
  #reaskLater(): void {
    const sync = this.#sync;
    if (!sync) return;
    sync.state = null;
    sync.cursor = sync.initialCursor;
    sync.refusals += 1;
    const pause = Math.min(HISTORY_RETRY_MS, HISTORY_REASK_MIN_MS * 2 ** Math.min(sync.refusals - 1, 16));
    sync.reaskAt = this.#now() + pause;
  }

  /**
   * No answer within HISTORY_RETRY_MS: the sponsor may itself still be
   * waiting for state (two re-joiners naming each other), or a frame was
   * lost. Ask the next old member still in the group, round the circle, from
   * the start; with one candidate that is the same sponsor again.
   */
  #askNextSponsor(): void {
    const sync = this.#sync;
    if (!sync) return;
    const candidates = [...sync.oldMembers].filter((p) => this.#trackerMembers.has(p)).sort();
    const after = candidates.find((p) => p > sync.sponsor) ?? candidates[0];
    if (after !== undefined && after !== sync.sponsor) {
      sync.sponsor = after;
      sync.cursor = sync.initialCursor;
      sync.state = null;
    }
    this.#askHistory();
  }

  async #onHistoryPage(from: PeerId, page: HistoryResponseFrame, items: readonly HistoryItem[]): Promise<void> {
    const sync = this.#sync;
    if (this.#phase !== 'syncing' || !sync || from !== sync.sponsor || sync.state !== null) {
      // Usually the answer to a re-sent request after the sync finished: harmless, not counted.
      this.#problem('bad-state', 'Ignored a history page this peer no longer waits for.', from);
      return;
    }
    const first = page.items[0];
    if (first !== undefined && sync.cursor !== null && first.order <= sync.cursor) {
      // An answer to a request asked twice (see #onLinkUp): its items are in already.
      return;
    }
    const now = this.#now();
    const stored = items.map((item) => this.#storedFromHistory(item, now));
    this.#writer.add(stored);
    for (const m of stored) this.#events.emit('message', this.#chatFromStored(m));
    const last = page.items.at(-1);
    if (last) sync.cursor = last.order;
    if (!page.done) {
      this.#askHistory();
      return;
    }
    if (!page.state) {
      this.#rejected(from, { code: 'missing-field', message: 'The last history page carried no joiner state.' });
      this.#reaskLater();
      return;
    }
    sync.state = page.state;
    await this.#writer.flush().catch(() => {});
    await this.#locked(() => this.#tryAdopt());
  }

  /**
   * Inside the lock: adopt the sponsor's state once our engine has installed
   * the view it was taken in. If we are already past that view, the state is
   * stale: ask again (the sponsor hands over its newer state).
   */
  #tryAdopt(): void {
    const sync = this.#sync;
    const state = sync?.state;
    if (!sync || !state || this.#phase !== 'syncing') return;
    if (this.#engineHasState()) {
      // A flush gave the engine state meanwhile (see #onInstalled): a hand-over is moot, and
      // adopting it would be refused ("already has state") and asked for again, forever.
      this.#becomeMember();
      this.#takeHandover();
      return;
    }
    const installed = this.#engine.view?.viewId ?? -1;
    if (installed > state.viewId) {
      this.#reaskLater();
      return;
    }
    // Ahead of our installed view, the engine adopts only if it is flushing for exactly that view.
    const result = this.#engine.adoptJoinerState(state);
    if (isRejection(result) && installed < state.viewId) return; // wait for that view's install
    if (isRejection(result)) {
      if (result.fault === 'remote') this.#rejected(sync.sponsor, result.error);
      else this.#problem(result.error.code, `Adopting the sponsor's state failed: ${result.error.message}`, sync.sponsor);
      this.#reaskLater();
      return;
    }
    this.#becomeMember();
    this.#apply(result, 'adopting the sponsor state');
    this.#takeHandover();
  }

  #becomeMember(): void {
    this.#sync = null;
    this.#setPhase('member');
    queueMicrotask(() => this.#pump());
  }

  // ---- sponsor: answer a joiner's history requests ----

  async #onHistoryRequest(from: PeerId, req: HistoryRequestFrame): Promise<void> {
    // A hand-over taken before the view that added the joiner would be stale on arrival (the joiner
    // has installed that view) and the whole history would travel twice: wait for that install.
    const inView = this.#installed?.members.some((m) => m.peerId === from) === true;
    const handover = this.#pinned.get(from) ?? (this.#phase === 'member' && inView ? this.#handover : null);
    if (!handover) {
      // Still joining ourselves, or the joiner's view is not installed here yet: answer once it is.
      this.#waitingRequests.set(from, req);
      return;
    }
    this.#pinned.set(from, handover);
    try {
      await this.#writer.flush();
      const page = await readHistoryPage(this.#opts.store, this.groupId, handover, req.cursor, req.limit, (m) =>
        this.#keys.publicKey(m.frame.sender),
      );
      if (!this.#transport.openPeers(this.groupId).includes(from)) {
        // The request came in before our end of the channel opened (each end of a data channel opens
        // on its own): a page sent now would be dropped and the joiner would wait HISTORY_RETRY_MS.
        // Answer when our end is up (#onLinkUp).
        this.#waitingRequests.set(from, req);
        return;
      }
      if (page.done) this.#pinned.delete(from);
      this.#transport.send(this.groupId, from, page);
    } catch (e) {
      this.#problem('store-failed', `Could not read history for a joiner: ${errorMessage(e)}`);
    }
  }

  /** Capture what a joiner would get now, and answer requests that waited for it. */
  #takeHandover(): void {
    if (this.#phase !== 'member') return;
    const { state, cut } = fitState(this.#engine.joinerState());
    if (cut > 0) this.#problem('too-large', `The state for a joiner was cut by ${cut} unstable messages to fit one frame.`);
    this.#handover = state;
    const waiting = [...this.#waitingRequests];
    this.#waitingRequests.clear();
    for (const [peer, req] of waiting) void this.#onHistoryRequest(peer, req);
  }

  // ---- inbound frames: verify per link in order, then the engine ----

  #onFrame(from: PeerId, frame: GroupFrame): void {
    const prev = this.#chains.get(from) ?? Promise.resolve();
    const next = prev.then(() => this.#handle(from, frame)).catch((e: unknown) => {
      this.#problem('internal', `Handling a ${frame.t} frame failed: ${errorMessage(e)}`, from);
    });
    this.#chains.set(from, next);
    // Drop the chain once it is idle so a departed peer leaves nothing behind.
    void next.then(() => {
      if (this.#chains.get(from) === next) this.#chains.delete(from);
    });
  }

  async #handle(from: PeerId, frame: GroupFrame): Promise<void> {
    if (this.#phase === 'closed') return;
    switch (frame.t) {
      case 'data':
        if (!(await this.#keys.verify(frame))) {
          this.#rejected(from, badSignature(frame));
          return;
        }
        return this.#toEngine(from, frame);
      case 'flush':
        return this.#toEngine(from, await this.#verifiedFlush(from, frame));
      case 'propose':
      case 'final':
      case 'hwm':
        return this.#toEngine(from, frame);
      case 'history-req':
        return this.#onHistoryRequest(from, frame);
      case 'history-res': {
        const items = await this.#verifiedItems(from, frame.items);
        const state = frame.state ? await this.#verifiedState(from, frame.state) : undefined;
        return this.#onHistoryPage(from, state ? { ...frame, state } : frame, items);
      }
    }
  }

  /** Unstable messages that fail to verify are dropped one by one; the flush itself must go on (liveness). */
  async #verifiedFlush(from: PeerId, flush: FlushFrame): Promise<FlushFrame> {
    const ok = await Promise.all(flush.unstable.map((f) => this.#keys.verify(f)));
    if (ok.every(Boolean)) return flush;
    const unstable: DataFrame[] = [];
    flush.unstable.forEach((f, i) => {
      if (ok[i]) unstable.push(f);
      else this.#rejected(from, badSignature(f));
    });
    return { ...flush, unstable };
  }

  async #verifiedItems(from: PeerId, items: readonly HistoryItem[]): Promise<HistoryItem[]> {
    const out: HistoryItem[] = [];
    for (const item of items) {
      if (item.frame.groupId !== this.groupId) {
        this.#rejected(from, { code: 'not-member', message: `History item ${frameMessageId(item.frame)} belongs to another group.` });
        continue;
      }
      const sender = item.frame.sender;
      let valid: boolean;
      if (this.#keys.knows(sender)) valid = await this.#keys.verify(item.frame, 0);
      else if (item.senderKey !== undefined) {
        valid = await this.#keys.verifyWith(item.frame, item.senderKey);
        if (valid) this.#keys.vouch(sender, item.senderName, item.senderKey);
      } else valid = false;
      if (valid) out.push(item);
      else this.#rejected(from, badSignature(item.frame));
    }
    return out;
  }

  /** The sponsor's unstable messages enter our engine (and later flushes): each must carry its sender's signature. */
  async #verifiedState(from: PeerId, state: JoinerState): Promise<JoinerState> {
    const unstable = state.unstable ?? [];
    const ok = await Promise.all(unstable.map((u) => this.#keys.verify(u.frame, 0)));
    if (ok.every(Boolean)) return state;
    unstable.forEach((u, i) => {
      if (!ok[i]) this.#rejected(from, badSignature(u.frame));
    });
    return { ...state, unstable: unstable.filter((_, i) => ok[i]) };
  }

  #toEngine(from: PeerId, frame: EngineFrame): Promise<void> {
    // Before adoption the engine buffers frames itself (and replays them when it adopts state).
    return this.#locked(() => {
      if (this.#phase !== 'closed') this.#apply(this.#engine.receive(from, frame, this.#now()), 'a frame', from);
    });
  }

  #onLinkUp(peer: PeerId): void {
    // A request sent while the link to the sponsor was going down and up again may be lost with
    // it (a re-joining sponsor drops and re-opens its links): ask again now instead of after
    // HISTORY_RETRY_MS. A duplicate answer is recognised by its cursor and ignored.
    const sync = this.#phase === 'syncing' ? this.#sync : null;
    if (sync && sync.sponsor === peer && sync.reaskAt === null && sync.state === null) this.#askHistory();
    // Sponsor side: a request that arrived before our end of this link was open is answered now.
    const waiting = this.#waitingRequests.get(peer);
    if (waiting !== undefined && (this.#pinned.has(peer) || this.#phase === 'member')) {
      this.#waitingRequests.delete(peer);
      void this.#onHistoryRequest(peer, waiting);
    }
    void this.#locked(() => {
      if (this.#phase !== 'closed') this.#apply(this.#engine.linkUp(peer, this.#now()), 'a link coming up');
    });
  }

  #onTick(): void {
    const sync = this.#phase === 'syncing' ? this.#sync : null;
    if (sync && sync.reaskAt !== null) {
      if (this.#now() >= sync.reaskAt) this.#askHistory();
    } else if (sync && this.#now() - sync.askedAt >= HISTORY_RETRY_MS) this.#askNextSponsor();
    if (this.#phase === 'closed' || this.#engine.view === null) return;
    void this.#locked(() => {
      this.#apply(this.#engine.tick(this.#now()), 'a tick');
    });
    this.#pump();
  }

  // ---- outbound: draft → sign → send, one message at a time ----

  #pump(): void {
    // Not before we have state: a draft made before adoption gets a seq the adopted state may already
    // count as delivered (a session re-joining a group), and the engine then drops it.
    if (this.#pumping || this.#outbox.length === 0 || this.#phase !== 'member' || this.#engine.view === null) return;
    this.#pumping = true;
    void this.#locked(async () => {
      try {
        while (this.#outbox.length > 0 && this.#phase === 'member') {
          const entry = this.#outbox[0] as OutboxEntry;
          const draft = this.#engine.draft(entry.text, this.#now());
          if (isRejection(draft)) {
            // No view installed yet: wait for the first install (or the next tick).
            if (draft.fault === 'local' && draft.error.code === 'bad-state' && this.#engine.view === null) return;
            this.#outbox.shift();
            entry.reject(new ChorusError(draft.error.code, draft.error.message));
            continue;
          }
          const sig = await signFields(this.#opts.privateKey, draft);
          const frame: DataFrame = { t: 'data', ...draft, sig };
          const id = frameMessageId(frame);
          const pending: ChatMessage = {
            id, groupId: this.groupId, sender: frame.sender, senderName: this.self.name, body: frame.body,
            sentAt: frame.sentAt, order: pendingOrder(frame.seq), state: 'pending', viewId: frame.viewId,
          };
          this.#pending.set(id, pending);
          const result = this.#engine.send(frame, this.#now());
          this.#outbox.shift();
          if (isRejection(result)) {
            this.#pending.delete(id);
            entry.reject(new ChorusError(result.error.code, result.error.message));
            continue;
          }
          this.#metrics.recordSent();
          this.#events.emit('message', pending);
          const delivered = this.#apply(result, 'sending');
          entry.resolve(delivered.get(id) ?? pending);
        }
      } finally {
        this.#pumping = false;
      }
    });
  }

  // ---- carrying out engine outputs ----

  /** Runs `fn` after every engine step queued before it. Never rejects. */
  #locked(fn: () => void | Promise<void>): Promise<void> {
    const run = this.#lock.then(fn).catch((e: unknown) => {
      this.#problem('internal', `An engine step failed: ${errorMessage(e)}`);
    });
    this.#lock = run;
    return run;
  }

  /** Carries out one engine result; returns the messages it delivered by id. */
  #apply(result: EngineResult, what: string, from?: PeerId): Map<MessageId, ChatMessage> {
    const delivered = new Map<MessageId, ChatMessage>();
    if (isRejection(result)) {
      this.#onRejection(result, what, from);
      return delivered;
    }
    this.#sendFrames(result);
    const now = this.#now();
    const stored: StoredMessage[] = [];
    for (const d of result.deliveries) {
      const own = d.frame.sender === this.self.peerId;
      this.#metrics.recordDelivery(own, d.frame.sentAt, now);
      this.#pending.delete(d.id);
      const senderKey = this.#keys.publicKey(d.frame.sender);
      const m: StoredMessage = {
        id: d.id, groupId: this.groupId, frame: d.frame, order: d.order, deliveredAt: now,
        senderName: this.memberName(d.frame.sender), ...(senderKey === null ? {} : { senderKey }),
      };
      stored.push(m);
      const chat = this.#chatFromStored(m, d.viewId);
      delivered.set(d.id, chat);
      this.#events.emit('message', chat);
    }
    this.#writer.add(stored);
    for (const ev of result.events) {
      if (ev.type === 'view-installed') this.#onInstalled(ev.view);
      else if (ev.type === 'message-dropped') this.#problem('message-dropped', `Message ${ev.id} was dropped: ${ev.reason}`);
    }
    return delivered;
  }

  #sendFrames(out: EngineOutput): void {
    for (const o of out.frames) {
      if (o.to !== 'all') {
        if (o.to !== this.self.peerId) this.#transport.send(this.groupId, o.to, o.frame);
        continue;
      }
      for (const m of this.#engine.view?.members ?? []) {
        if (m.peerId !== this.self.peerId) this.#transport.send(this.groupId, m.peerId, o.frame);
      }
    }
  }

  #onInstalled(view: View): void {
    const previous = this.#installed;
    this.#installed = view;
    this.#systemLines(previous, view);
    const present = new Set(view.members.map((m) => m.peerId));
    for (const p of [...this.#pinned.keys()]) if (!present.has(p)) this.#pinned.delete(p);
    for (const p of [...this.#waitingRequests.keys()]) if (!present.has(p)) this.#waitingRequests.delete(p);
    if (this.#phase === 'syncing' && this.#engineHasState()) {
      // Nobody in this view's flush had state (every member before us re-joined too): the group
      // went on afresh and our engine has state of its own. No sponsor can hand over anything now.
      this.#becomeMember();
    }
    this.#takeHandover();
    this.#events.emit('view', view);
    if (this.#phase === 'syncing') {
      this.#responsorIfGone(view);
      // After the lock is released: the state may be for exactly this view.
      void this.#locked(() => this.#tryAdopt());
    }
    // Sends that waited for a view go out now (after this step's lock is released).
    queueMicrotask(() => this.#pump());
  }

  /**
   * One line per member who came or went between two installed views. The
   * engine may skip a view (a newer one arrived mid-flush), so lines come
   * from the difference, with the reason the tracker gave for each peer.
   */
  #systemLines(previous: View | null, view: View): void {
    const at = this.#now();
    const line = (peerId: PeerId, change: MemberChange): void =>
      this.#events.emit('system', { groupId: this.groupId, at, peerId, name: this.memberName(peerId), change });
    if (previous === null) {
      for (const c of view.changes) line(c.peerId, c.change);
      return;
    }
    const before = new Set(previous.members.map((m) => m.peerId));
    const after = new Set(view.members.map((m) => m.peerId));
    for (const p of before) if (!after.has(p)) line(p, this.#lastChange.get(p) ?? 'left');
    for (const p of after) if (!before.has(p)) line(p, 'joined');
  }

  #onRejection(r: Rejection, what: string, from?: PeerId): void {
    if (r.fault === 'remote' && from !== undefined) this.#rejected(from, r.error);
    else this.#problem(r.error.code, `The engine refused ${what}: ${r.error.message}`, from);
  }

  #rejected(from: PeerId, error: ProtocolError): void {
    this.#metrics.recordRejected();
    this.#problem(error.code, error.message, from);
  }

  #problem(code: string, message: string, from?: PeerId): void {
    this.#events.emit('problem', { groupId: this.groupId, code, message, ...(from === undefined ? {} : { from }) });
  }

  /** What the store keeps about the group: where the engine stood at the last saved batch (no unstable copies). */
  #groupRecord(): GroupRecord | null {
    if (!this.#engine.view) return null;
    const { unstable: _unstable, ...state } = this.#engine.joinerState();
    return { groupId: this.groupId, name: this.#opts.groupName, ordering: this.#engine.mode, state };
  }

  #engineHasState(): boolean {
    return this.#engine.hasState === true;
  }

  #setPhase(phase: SessionPhase): void {
    if (this.#phase === phase) return;
    this.#phase = phase;
    this.#events.emit('phase', phase);
  }

  #storedFromHistory(item: HistoryItem, now: number): StoredMessage {
    const sender = item.frame.sender;
    const senderKey = this.#keys.publicKey(sender) ?? item.senderKey ?? null;
    return {
      id: frameMessageId(item.frame), groupId: this.groupId, frame: item.frame, order: item.order,
      deliveredAt: now, senderName: this.#keys.name(sender) ?? item.senderName ?? shortName(sender),
      ...(senderKey === null ? {} : { senderKey }),
    };
  }

  #chatFromStored(m: StoredMessage, viewId = m.frame.viewId): ChatMessage {
    return {
      id: m.id, groupId: this.groupId, sender: m.frame.sender, senderName: m.senderName, body: m.frame.body,
      sentAt: m.frame.sentAt, order: m.order, state: 'delivered', viewId,
    };
  }
}

const badSignature = (f: DataFrame): ProtocolError => ({
  code: 'bad-signature',
  message: `Message ${frameMessageId(f)} does not carry a valid signature of its sender.`,
});

/** A stored message as the UI sees it (history). */
export function chatFromStored(m: StoredMessage): ChatMessage {
  return {
    id: m.id, groupId: m.groupId, sender: m.frame.sender, senderName: m.senderName, body: m.frame.body,
    sentAt: m.frame.sentAt, order: m.order, state: 'delivered', viewId: m.frame.viewId,
  };
}
