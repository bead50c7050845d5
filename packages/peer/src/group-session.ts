// One group on one peer: the I/O around a SessionCore (packages/protocol session/session-core.ts), which owns the
// engine, the join lifecycle and the sponsor's bookkeeping. Here live only the things that touch the world: real
// timers that call `tick`, signing our DATA and FINALs, verifying every inbound DATA and FINAL
// (session/frame-verifier.ts) while keeping each link's order, store reads and batched writes, the group's metrics
// and the emitter. It does not talk to the tracker: the Peer facade hands it views and notices (and takes `accuse`).

import {
  METRICS_REPORT_MS,
  OpFold,
  refusedOpText,
  SessionCore,
  SIGNAL_RECEIVE_INTERVAL_MS,
  SignalGate,
  TICK_MS,
  type AccusationProof,
  type GroupFrame,
  type GroupId,
  type HistoryRequestFrame,
  type HistoryResponseFrame,
  type JoinerState,
  type MemberInfo,
  type MessageId,
  type MetricsReport,
  type OrderingEngine,
  type PeerId,
  type ProtocolError,
  type SessionCommand,
  type SessionCommands,
  type SessionPhase,
  type SessionProblem,
  type SignalFrame,
  type View,
} from '@chorus/protocol';
import type { ChatMessage, GroupMetrics, OlderHistory, SignalEvent, SystemLine } from './api.ts';
import { ChorusError, errorMessage } from './chorus-error.ts';
import { Emitter } from './emitter.ts';
import { GroupMetricsRecorder } from './metrics.ts';
import { inLaterTurn } from './next-turn.ts';
import { DeliveryWriter } from './session/delivery-writer.ts';
import { readHeldAfter, readHistoryPage } from './session/history-pages.ts';
import { FrameVerifier } from './session/frame-verifier.ts';
import { InboundFrames } from './session/inbound-frames.ts';
import { KeyRing } from './session/key-ring.ts';
import { signRetrying } from './session/sign-retry.ts';
import type { MessageStore } from './storage.ts';
import type { Transport } from './transport.ts';

// The policies live with the core (one place, also for the simulator); re-exported for existing importers.
export { HISTORY_REASK_MIN_MS, HISTORY_RETRY_MS, MAX_OUTBOX, METRICS_REPORT_MS, TICK_MS } from '@chorus/protocol';
export type { SessionPhase, SessionProblem } from '@chorus/protocol';

export interface GroupSessionEvents {
  /** A message to show: our own as `pending` first, then every message once `delivered` (also history). */
  message: (message: ChatMessage) => void;
  system: (line: SystemLine) => void;
  /** The engine installed a view (the mesh agreed on a membership). */
  view: (view: View) => void;
  phase: (phase: SessionPhase) => void;
  /** A member's older history pages started or stopped coming (PROTOCOL.md §4): `olderHistory` changed. */
  older: (state: OlderHistory) => void;
  /** A member's typing or read marker (PROTOCOL.md §9), past the rate limit. */
  signal: (signal: SignalEvent) => void;
  /** Something went wrong; remote faults are also counted in metrics.rejectedFrames. */
  problem: (problem: SessionProblem) => void;
  /** A member signed two FINALs it cannot both mean: the proof for the tracker (PROTOCOL.md §3.3). */
  accuse: (accusation: { groupId: GroupId; accused: PeerId; proof: AccusationProof }) => void;
  /** A member's agreement input is overdue (`stalled`) or no longer (`up`): for the tracker (PROTOCOL.md §2 Links). */
  'report-link': (report: { groupId: GroupId; peer: PeerId; state: 'stalled' | 'up' }) => void;
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
  /** The group record's floors in the store when the session starts (PROTOCOL.md §4), kept in the records it saves. */
  readonly floors?: Readonly<Record<string, number>>;
  /** The counts to add to: a re-join in the same page goes on with those of the session it replaces. */
  readonly metrics?: GroupMetricsRecorder;
  readonly reportMetrics?: (report: MetricsReport) => void;
  readonly now?: () => number;
  readonly tickMs?: number;
  readonly metricsReportMs?: number;
  /** Report members whose agreement input is overdue this long (`linkGraceMs`); absent: never. */
  readonly agreementWaitMs?: number;
}

interface Waiting {
  readonly resolve: (m: ChatMessage) => void;
  readonly reject: (e: Error) => void;
}

export class GroupSession {
  readonly groupId: GroupId;
  readonly self: MemberInfo;
  readonly #opts: GroupSessionOptions;
  readonly #core: SessionCore;
  readonly #transport: Transport;
  readonly #events = new Emitter<GroupSessionEvents>((e) => console.error('group session listener failed', e));
  readonly #keys = new KeyRing();
  readonly #metrics: GroupMetricsRecorder;
  /** The session's delivered messages folded (PROTOCOL.md §8): refuses others' edits and deletes, counts them. */
  readonly #ops: OpFold;
  readonly #writer: DeliveryWriter;
  readonly #now: () => number;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  /** Inbound frames, verified per link in order (verification may be async). */
  readonly #inbound: InboundFrames;
  /** send() calls waiting for their message's place in our sequence, by the ticket given to the core. */
  readonly #submits = new Map<number, Waiting>();
  #ticket = 0;
  /**
   * History pages for a joiner whose link was not open at our end yet (each end of a data channel
   * opens on its own): a page sent now would be dropped and the joiner would wait HISTORY_RETRY_MS.
   */
  readonly #parked = new Map<PeerId, HistoryResponseFrame>();
  /** Commands not carried out yet: a listener may call in while we carry out, and order must hold. */
  #queue: SessionCommand[] = [];
  /** Inbound markers: two per second per peer and kind, the rest dropped and counted (PROTOCOL.md §9). */
  readonly #signalsIn = new SignalGate(SIGNAL_RECEIVE_INTERVAL_MS);
  /** Our own markers: one per second, half the receivers' limit, so link jitter drops none of ours there. */
  readonly #signalsOut = new SignalGate();
  #running = false;
  #turnEnding = false; // SessionCore.endTurn is scheduled
  /** `olderHistory` as the last `older` event said. */
  #older: OlderHistory = null;

  constructor(opts: GroupSessionOptions) {
    this.#opts = opts;
    this.groupId = opts.groupId;
    this.self = opts.self;
    this.#transport = opts.transport;
    this.#now = opts.now ?? Date.now;
    this.#core = new SessionCore({
      groupId: opts.groupId,
      self: opts.self,
      engine: opts.engine,
      groupName: opts.groupName,
      ...(opts.floors === undefined ? {} : { floors: opts.floors }),
      ...(opts.agreementWaitMs === undefined ? {} : { agreementWaitMs: opts.agreementWaitMs }),
    });
    this.#metrics = opts.metrics ?? new GroupMetricsRecorder(this.#now());
    this.#ops = new OpFold(opts.groupId);
    this.#writer = new DeliveryWriter(
      opts.groupId,
      opts.store,
      (e) => this.#problem('store-failed', `Saving messages failed, retrying: ${errorMessage(e)}`),
      () => this.#core.groupRecord(),
    );
    this.#keys.learn([opts.self]);
    const verifier = new FrameVerifier(opts.groupId, this.#keys, (from, error) => this.rejectFrame(from, error));
    this.#inbound = new InboundFrames(
      verifier,
      () => this.#core.phase === 'closed',
      (from, frame) => {
        if (frame.t === 'history-res') this.#run(this.#core.historyArrived(from, frame, this.#now()));
      },
      (from, v) =>
        this.#run(
          v.kind === 'page'
            ? this.#core.historyPage(from, v.page, v.items, this.#now())
            : this.#core.receive(from, v.frame, this.#now()),
        ),
      (from, frame, e) => this.#problem('internal', `Handling a ${frame.t} frame failed: ${errorMessage(e)}`, from),
    );
    const t = opts.transport;
    this.#unsubscribe.push(
      t.on('frame', (g, from, frame) => {
        if (g === this.groupId) this.#onFrame(from, frame);
      }),
      t.on('link', (g, peer, state) => {
        if (g !== this.groupId) return;
        const page = state === 'up' ? this.#parked.get(peer) : undefined;
        if (page !== undefined) {
          this.#parked.delete(peer);
          this.#transport.send(this.groupId, peer, page);
        }
        this.#run(this.#core.link(peer, state, this.#now()));
      }),
      t.on('reject', (g, from, error) => {
        if (g === this.groupId) this.rejectFrame(from, error);
      }),
    );
    this.#timers.push(setInterval(() => this.#run(this.#core.tick(this.#now())), opts.tickMs ?? TICK_MS));
    this.#timers.push(setInterval(() => this.reportMetrics(), opts.metricsReportMs ?? METRICS_REPORT_MS));
  }

  // ---- what the Peer facade and UIs call ----

  get phase(): SessionPhase {
    return this.#core.phase;
  }

  /** The highest own seq this session sent: a session that replaces it goes on above it. */
  get sentSeq(): number {
    return this.#core.sentSeq;
  }

  /** The view the engine installed last (null until this peer is a member). */
  get view(): View | null {
    return this.#core.view;
  }

  on<K extends keyof GroupSessionEvents>(event: K, listener: GroupSessionEvents[K]): () => void {
    return this.#events.on(event, listener);
  }

  metrics(): GroupMetrics {
    return { ...this.#metrics.snapshot(this.#now()), droppedSignals: this.#signalsIn.dropped };
  }

  /**
   * Sends a typing or read marker to every open link of the group; never
   * stored, never ordered. False when we are not a member or sent one of this
   * kind less than a second ago.
   */
  signal(marker: { readonly kind: 'typing' } | { readonly kind: 'read'; readonly seen: MessageId }): boolean {
    if (this.#core.phase !== 'member') return false;
    const frame: SignalFrame =
      marker.kind === 'typing'
        ? { t: 'signal', groupId: this.groupId, kind: 'typing' }
        : { t: 'signal', groupId: this.groupId, kind: 'read', seen: marker.seen };
    if (!this.#signalsOut.admit(this.self.peerId, frame, this.#now())) return false;
    for (const to of this.#transport.openPeers(this.groupId)) this.#transport.send(this.groupId, to, frame);
    return true;
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
    return this.#core.pendingMessages();
  }

  /** Name and key of a member or past sender, as far as this group knows. */
  memberName(peerId: PeerId): string {
    return this.#core.memberName(peerId);
  }

  /** A member about to join (phase one): its key is needed before its first frame arrives. */
  noteJoining(member: MemberInfo): void {
    this.#keys.learn([member]);
    this.#core.noteJoining(member);
  }

  /** A view from the tracker (also the links-ready ack). Duplicates and older views are ignored. */
  onTrackerView(view: View): void {
    if (view.groupId === this.groupId && view.members.some((m) => m.peerId === this.self.peerId))
      this.#keys.learn(view.members);
    this.#run(this.#core.trackerView(view, this.#now()));
  }

  /**
   * Queue a message. Resolves once it has a place in the sender's sequence
   * (pending, or already delivered), after any view change in progress.
   */
  send(text: string): Promise<ChatMessage> {
    this.#ticket += 1;
    const ticket = this.#ticket;
    const done = new Promise<ChatMessage>((resolve, reject) => this.#submits.set(ticket, { resolve, reject }));
    this.#run(this.#core.submit(ticket, text, this.#now()));
    return done;
  }

  /** Writes every delivered message to the store now. */
  flushStore(): Promise<void> {
    return this.#writer.flush();
  }

  /** Leave (or be removed): stop timers, report the numbers one last time, save what was delivered. */
  async close(reason = 'The group session was closed.'): Promise<void> {
    if (this.#core.phase === 'closed') return;
    this.#run(this.#core.close(reason, this.#now()));
    for (const t of this.#timers) clearInterval(t);
    for (const u of this.#unsubscribe) u();
    this.#keys.close();
    this.#parked.clear();
    this.reportMetrics();
    await this.#writer.close();
  }

  // ---- carrying out the core's commands ----

  #run(commands: SessionCommands): void {
    this.#queue.push(...commands);
    if (this.#running) return;
    this.#running = true;
    try {
      for (let c = this.#queue.shift(); c !== undefined; c = this.#queue.shift()) {
        try {
          this.#carryOut(c);
        } catch (e) {
          this.#problem('internal', `Carrying out ${c.type} failed: ${errorMessage(e)}`);
        }
      }
    } finally {
      this.#running = false;
    }
    if (this.olderHistory !== this.#older) this.#events.emit('older', (this.#older = this.olderHistory));
    // The task's PROPOSEs, FINALs and ECHOs leave packed once it is done (§1.2c): a microtask, never a timer.
    if (this.#core.turnOpen && !this.#turnEnding) queueMicrotask(() => this.#endTurn());
    this.#turnEnding ||= this.#core.turnOpen;
  }

  #endTurn(): void {
    this.#turnEnding = false;
    this.#run(this.#core.endTurn(this.#now()));
  }

  /** A member's older history pages (PROTOCOL.md §4): `history()` lacks older messages while they are not all in. */
  get olderHistory(): OlderHistory {
    return this.#core.olderHistory();
  }

  #carryOut(c: SessionCommand): void {
    switch (c.type) {
      case 'send':
        if (c.frame.t === 'history-res' && !this.#transport.openPeers(this.groupId).includes(c.to))
          this.#parked.set(c.to, c.frame);
        else this.#transport.send(this.groupId, c.to, c.frame);
        return;
      case 'sign':
      case 'sign-final':
      case 'sign-flush':
      case 'sign-flush-ok': {
        const now = this.#now;
        const answer = (sig: string): SessionCommands =>
          c.type === 'sign' ? this.#core.signed(c.draft, sig, now()) : this.#core.wordSigned(c, sig, now());
        const failed = (message: string): void => this.#problem('sign-failed', message);
        const closed = (): boolean => this.#core.phase === 'closed';
        return signRetrying(this.#opts.privateKey, c, (sig) => this.#run(answer(sig)), failed, closed);
      }
      case 'accuse':
        return void this.#events.emit('accuse', { groupId: this.groupId, accused: c.accused, proof: c.proof });
      case 'report-link': // `up` only over an open channel: it also withdraws the mesh's `down` of a closed one
        if (c.state === 'stalled' || this.#transport.openPeers(this.groupId).includes(c.peer))
          this.#events.emit('report-link', { groupId: this.groupId, peer: c.peer, state: c.state });
        return;
      case 'read-held':
        // What the store holds of the group, after every write of ours (history-pages.ts): the sponsor hands the rest.
        return void readHeldAfter(this.#writer, this.#opts.store, this.groupId, this.#opts.engine.self).then(
          (h) => this.#run(this.#core.heldRead(h.have, this.#now(), h.tips.values(), h.above, h.own)),
          (e: unknown) => {
            const why = `Reading what the store holds failed; asking for all history: ${errorMessage(e)}`;
            this.#problem('store-failed', why);
            this.#run(this.#core.heldRead(null, this.#now()));
          },
        );
      case 'read-history':
        void this.#readHistory(c.to, c.state, c.req);
        return;
      case 'store':
        this.#writer.add(c.messages, this.#opts.engine.mode === 'total' || c.replace === true, c.page === true);
        return;
      case 'flush-store':
        void this.#writer
          .flush()
          .catch(() => {})
          .then(() => this.#run(this.#core.storeFlushed(c.ticket, this.#now())));
        return;
      case 'message':
        if (c.source === 'delivery')
          this.#metrics.recordDelivery(c.message.sender === this.self.peerId, c.message.sentAt, this.#now());
        if (c.message.state === 'delivered') this.#fold(c.message);
        this.#events.emit('message', c.message);
        return;
      case 'system':
        this.#events.emit('system', c.line);
        return;
      case 'view':
        this.#events.emit('view', c.view);
        return;
      case 'phase':
        this.#events.emit('phase', c.phase);
        return;
      case 'problem':
        if (c.remote) this.#metrics.recordRejected();
        this.#events.emit('problem', c.problem);
        return;
      // Settled in a later turn, not in this one (next-turn.ts inLaterTurn): a caller looping on `await send()`
      // must not stop this process's timers (its tracker heartbeat: a 100 000-message fill in one chain of
      // microtasks stood still 17-20 s and the tracker failed the sender out of the group).
      case 'submitted': {
        this.#metrics.recordSent();
        const w = this.#settle(c.ticket);
        if (w) inLaterTurn(() => w.resolve(c.message));
        return;
      }
      case 'submit-failed': {
        const w = this.#settle(c.ticket);
        if (w) inLaterTurn(() => w.reject(new ChorusError(c.code, c.message)));
        return;
      }
    }
  }

  /** Enforces the operations' rules on what this session delivered: a refused one changes nothing and is counted. */
  #fold(m: ChatMessage): void {
    for (const r of this.#ops.add(m).refused) {
      this.#metrics.recordRefusedOp();
      this.#problem(`op-${r.reason}`, refusedOpText(r, this.#core.memberName(m.sender)), m.sender);
    }
  }

  #settle(ticket: number): Waiting | undefined {
    const w = this.#submits.get(ticket);
    this.#submits.delete(ticket);
    return w;
  }

  /** Sponsor side: every delivery the hand-over counts must be in the store before the page is read. */
  async #readHistory(to: PeerId, state: JoinerState, req: HistoryRequestFrame): Promise<void> {
    try {
      await this.#writer.flush();
      const page = await readHistoryPage(this.#opts.store, this.groupId, state, req, (m) =>
        this.#core.publicKey(m.frame.sender),
      );
      this.#run(this.#core.historyRead(to, page, this.#now()));
    } catch (e) {
      this.#problem('store-failed', `Could not read history for a joiner: ${errorMessage(e)}`);
    }
  }

  // ---- inbound frames: verify per link in order, then the core (file frames: files/file-hub.ts) ----

  #onFrame(from: PeerId, frame: GroupFrame): void {
    if (frame.t === 'signal') this.#onSignal(from, frame);
    else if (frame.t !== 'file-want' && frame.t !== 'file-chunk' && frame.t !== 'file-none')
      this.#inbound.push(from, frame);
  }

  /** A marker goes to the UI only: never to the core (engine, store). Only members of the installed view count. */
  #onSignal(from: PeerId, frame: SignalFrame): void {
    const view = this.#core.view;
    if (this.#core.phase !== 'member' || view === null || !view.members.some((m) => m.peerId === from)) return;
    if (!this.#signalsIn.admit(from, frame, this.#now())) return;
    this.#events.emit('signal', {
      groupId: this.groupId,
      from,
      name: this.#core.memberName(from),
      kind: frame.kind,
      ...(frame.kind === 'read' ? { seen: frame.seen } : {}),
      at: this.#now(),
    });
  }

  /** Counts a refused frame (the parser's, a bad signature, a file chunk failing its proof) and reports it. */
  rejectFrame(from: PeerId, error: ProtocolError): void {
    this.#metrics.recordRejected();
    this.#problem(error.code, error.message, from);
  }

  #problem(code: string, message: string, from?: PeerId): void {
    this.#events.emit('problem', { groupId: this.groupId, code, message, ...(from === undefined ? {} : { from }) });
  }
}
