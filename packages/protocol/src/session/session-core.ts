// One joined group on one peer, without I/O: owns the ordering engine and the join lifecycle (history from a
// sponsor, adopting its state), answers joiners as a sponsor, and gates our own sends until we are a member. It never
// knows sockets, stores, clocks or keys: inputs come in as calls with `now`, and every call returns the commands to
// carry out, in order (session-types.ts). packages/peer GroupSession and the simulator drive it.
//
// The join lifecycle (waiting → syncing → adopting → member, and closed) is drawn in join-flow.ts, which moves a
// joiner between sponsors; join-handover.ts takes its history pages and adopts the sponsor's state. As a sponsor
// (SponsorDesk), it answers a joiner once the joiner's view is installed here.
//
// Usage (a runtime; `run` carries out commands and feeds answers back):
//   const core = new SessionCore({ groupId, self, engine, groupName });
//   run(core.trackerView(view, now));           // → read-held, send history-req …
//   run(core.heldRead(haveFromStore, now));
//   run(core.receive(from, verifiedFrame, now)); // every frame, signatures checked (a page: historyArrived first)
//   run(core.submit(1, 'hello', now));           // → sign; later core.signed(draft, sig, now)
//   every TICK_MS: run(core.tick(now));          // re-asks, retransmits, stability
//   when core.turnOpen, at the end of the task: run(core.endTurn(now)); // the turn's sends, packed

import type { GroupId, MemberChange, MessageId, PeerId } from '../ids.ts';
import type { ProtocolError } from '../result.ts';
import type { MemberInfo, View } from '../tracker/events.ts';
import type {
  DataFrame,
  GroupFrame,
  HistoryItem,
  HistoryRequestFrame,
  HistoryResponseFrame,
  SignedFields,
} from '../wire/frames.ts';
import { isRuntimeFrame } from '../wire/frames.ts';
import { singleFrames } from '../wire/cumulative.ts';
import { isRejection, type EngineResult, type OrderingEngine } from '../ordering/engine.ts';
import { splitStatePage } from '../history/state-parts.ts';
import { NameBook } from './name-book.ts';
import { OwnSends } from './own-sends.ts';
import type { StoredOwn } from './own-reissue.ts';
import type { HeldVector } from '../history/history-reader.ts';
import { handingOver, type Lifecycle } from './join-sync.ts';
import { storeCommands, takeDeliveries } from './deliveries.ts';
import { JoinFlow, type JoinPort } from './join-flow.ts';
import { JoinHandover } from './join-handover.ts';
import { ChainGuard, type ChainHooks, type Vetted } from './chain-check.ts';
import { groupRecordOf, problemOf, systemLines } from './session-records.ts';
import type {
  SessionCommand,
  SessionCommands,
  SessionGroupRecord,
  SessionMessage,
  SessionPhase,
} from './session-types.ts';
import { SponsorDesk } from './sponsor-desk.ts';
import { SeqFloors } from './seq-floors.ts';
import { eventCommands, FinalSigning, type SignWord } from './final-signing.ts';
import { StallReports } from './stall-reports.ts';

export interface SessionCoreOptions {
  readonly groupId: GroupId;
  readonly self: MemberInfo;
  readonly engine: OrderingEngine;
  /** The group's name, saved in the group record. */
  readonly groupName: string;
  /** The `floors` of the group record in the store when the session starts (seq-floors.ts), if any. */
  readonly floors?: Readonly<Record<string, number>>;
  /** Broken variants of the simulator only: chain checks switched off (chain-check.ts). */
  readonly chainHooks?: ChainHooks;
  /** Report members whose agreement input is overdue this long (stall-reports.ts; `linkGraceMs`); absent: never. */
  readonly agreementWaitMs?: number;
  /**
   * False: a joiner asks no witness and takes its sponsor's state alone, as before PROTOCOL.md §7.3
   * "Corroborated". A test seam only: the simulator replays seeds pinned before it (sim/session-variant.ts).
   */
  readonly corroborate?: boolean;
}

export class SessionCore {
  readonly groupId: GroupId;
  readonly self: MemberInfo;
  readonly #engine: OrderingEngine;
  readonly #groupName: string;
  readonly #names = new NameBook();
  readonly #desk = new SponsorDesk((state) => this.#chains.heads.capture(state, (p) => this.publicKey(p)));
  #life: Lifecycle = { phase: 'waiting' };
  #installed: View | null = null;
  #lastTrackerViewId = -1;
  /** Members of the newest tracker view: the old members a joiner may still ask for history. */
  #trackerMembers = new Set<PeerId>();
  /** Why each peer last came or went, per the tracker (for system lines when the engine skips a view). */
  readonly #lastChange = new Map<PeerId, MemberChange>();
  readonly #sends: OwnSends;
  #sentSeq = 0;
  readonly #floors: SeqFloors;
  #out: SessionCommand[] = [];
  readonly #join: JoinFlow;
  readonly #handover: JoinHandover;
  /** Every sender's hash chain as far as this session saw it, and what a hand-over owes (PROTOCOL.md §1.5). */
  readonly #chains: ChainGuard;
  /** Our FINALs and FLUSH reports out for signing, and the sends waiting behind them. */
  readonly #finals: FinalSigning;
  readonly #stalls: StallReports | null;

  constructor(opts: SessionCoreOptions) {
    this.groupId = opts.groupId;
    this.self = opts.self;
    this.#finals = new FinalSigning(opts.self.peerId);
    this.#stalls = opts.agreementWaitMs === undefined ? null : new StallReports(opts.agreementWaitMs);
    this.#engine = opts.engine;
    this.#groupName = opts.groupName;
    this.#sends = new OwnSends(opts.groupId, opts.self);
    this.#floors = new SeqFloors(opts.floors);
    this.#chains = new ChainGuard(opts.chainHooks);
    this.#names.learn([opts.self]);
    const port: JoinPort = {
      groupId: opts.groupId,
      self: opts.self.peerId,
      engine: opts.engine,
      names: this.#names,
      floors: this.#floors,
      trackerMembers: () => this.#trackerMembers,
      life: () => this.#life,
      setLife: (life) => this.#setLife(life),
      emit: (command) => this.#emit(command),
      problem: (code, message, from) => this.#problem(code, message, from),
      rejected: (from, error) => this.#rejected(from, error),
      finishBackfill: (complete, now) => this.#handover.finish(complete, now),
      corroborates: opts.corroborate !== false,
    };
    this.#join = new JoinFlow(port);
    this.#handover = new JoinHandover({
      ...port,
      join: this.#join,
      chains: this.#chains,
      sends: this.#sends,
      chained: (from, vetted) => this.#chained(from, vetted),
      apply: (result, what, now) => void this.#apply(result, what, now),
      takeHandover: () => this.#takeHandover(),
      answerWaiting: () => {
        for (const [peer, req] of this.#desk.release()) this.#onHistoryRequest(peer, req);
      },
    });
  }

  // ---- what a runtime reads ----

  get phase(): SessionPhase {
    return this.#life.phase;
  }

  /** Older history pages still to come after the adopted state (PROTOCOL.md §4); a member sends meanwhile. */
  get backfilling(): boolean {
    const life = this.#life;
    return life.phase === 'member' ? life.backfill !== undefined : life.phase === 'adopting' && life.more;
  }
  readonly olderHistory = (): 'arriving' | 'missing' | null => this.#handover.older(this.backfilling); // JoinHandover.older

  /** The view the engine installed last (null until this peer is in one). */
  get view(): View | null {
    return this.#installed;
  }

  /** The engine, for checks and debugging; drive it only through this core. */
  get engine(): OrderingEngine {
    return this.#engine;
  }

  /** Own messages not delivered yet, oldest first. */
  pendingMessages(): readonly SessionMessage[] {
    return this.#sends.pending();
  }

  /** The highest own seq this session put on the wire (a session replacing it goes on above it: resumeAfterSent). */
  get sentSeq(): number {
    return this.#sentSeq;
  }

  /** Texts submitted and not yet drafted (plus the one out for signing). */
  get outboxSize(): number {
    return this.#sends.size;
  }

  memberName(peerId: PeerId): string {
    return this.#names.name(peerId);
  }

  publicKey(peerId: PeerId): string | null {
    return this.#names.publicKey(peerId);
  }

  /** What the store keeps about the group: where the engine stands now (no unstable copies). */
  groupRecord(): SessionGroupRecord | null {
    const record = groupRecordOf(this.groupId, this.#groupName, this.#engine);
    if (record === null) return null;
    if (record.state !== null) this.#floors.counted(record.state.nextSeq);
    const floors = this.#floors.floors();
    return Object.keys(floors).length === 0 ? record : { ...record, floors };
  }

  // ---- inputs ----

  /** A member about to join (phase one): its name and key are needed before its first frame. */
  noteJoining(member: MemberInfo): void {
    this.#names.learn([member]);
  }

  /** A view from the tracker (also the links-ready ack). Duplicates, older views and views without us are ignored. */
  trackerView(view: View, now: number): SessionCommands {
    return this.#step(now, () => {
      const forUs = view.groupId === this.groupId && view.members.some((m) => m.peerId === this.self.peerId);
      if (!forUs || view.viewId <= this.#lastTrackerViewId) return;
      this.#lastTrackerViewId = view.viewId;
      this.#trackerMembers = new Set(view.members.map((m) => m.peerId));
      this.#names.learn(view.members);
      for (const c of view.changes) this.#lastChange.set(c.peerId, c.change);
      if (this.#life.phase === 'waiting') this.#join.start(view, now);
      else this.#join.sponsorIfGone(this.#trackerMembers, now);
      // The engine installs at once (a joiner buffers frames until it adopts state) or starts a flush.
      this.#apply(this.#engine.installView(view, now), 'installing a view', now);
    });
  }

  /** A frame from a view member, every DATA in it verified; a cumulative PROPOSE or FINAL is its entries (§1.2c). */
  receive(from: PeerId, frame: GroupFrame, now: number): SessionCommands {
    if (frame.t === 'history-res') return this.historyPage(from, frame, frame.items, now);
    // Markers, file transfer and relay envelopes are the runtime's; they never reach the engine or the store.
    if (isRuntimeFrame(frame)) return [];
    return this.#step(now, () => {
      if (frame.t === 'history-req') return this.#onHistoryRequest(from, frame);
      // Every DATA passes its sender's chain first (PROTOCOL.md §1.5): a live equivocation is refused.
      const checked =
        frame.t === 'data'
          ? this.#chained(from, this.#chains.data(frame))
          : frame.t === 'flush'
            ? this.#chained(from, this.#chains.flush(frame))
            : frame;
      for (const f of checked === null ? [] : singleFrames(from, checked))
        this.#apply(this.#engine.receive(from, f, now), 'a frame', now, from);
    });
  }

  /** A history page as it arrives, before its checks: the next one is asked for now (historyPage would, later). */
  historyArrived(from: PeerId, page: HistoryResponseFrame, now: number): SessionCommands {
    return this.#step(now, () => this.#join.askAhead(from, page, now));
  }

  /** Whether `page` answers a witness request of the hand-over under way (corroboration.ts): not a sponsor's page. */
  witnessPage(from: PeerId, page: HistoryResponseFrame): boolean {
    return handingOver(this.#life)?.corroboration.answers(from, page) === true;
  }

  /** A history page as received (state verified), with the items whose signature held. */
  historyPage(from: PeerId, page: HistoryResponseFrame, items: readonly HistoryItem[], now: number): SessionCommands {
    return this.#step(now, () => this.#handover.page(from, page, items, now));
  }

  link(peer: PeerId, state: 'up' | 'down', now: number): SessionCommands {
    return this.#step(now, () => {
      if (state === 'down') return;
      // A request sent while the link to the sponsor went down and up again may be lost with it:
      // send it again, same id. An answer to either copy is taken once; later ones are ignored.
      const life = this.#life;
      if (life.phase === 'syncing' && life.sync.sponsor === peer && life.sync.reaskAt === null)
        this.#join.ask(now, true);
      const waiting = this.#desk.takeWaiting(peer, life.phase === 'member' && life.backfill === undefined);
      if (waiting !== null) this.#onHistoryRequest(peer, waiting);
      this.#apply(this.#engine.linkUp(peer, now), 'a link coming up', now);
    });
  }

  /**
   * Answer to `read-held`: what our store holds of the group (null if it could not be read: then we ask for
   * everything).
   */
  heldRead(
    have: HeldVector | null,
    now: number,
    tips?: Iterable<DataFrame>,
    above?: ReadonlyMap<string, Iterable<number>>,
    own?: StoredOwn,
  ): SessionCommands {
    return this.#step(now, () => this.#handover.held(have, now, tips, above, own));
  }

  /** Answer to `read-history`: the page goes to the joiner. */
  historyRead(to: PeerId, page: HistoryResponseFrame, now: number): SessionCommands {
    return this.#step(now, () => {
      // A state larger than a frame goes as several last pages, never cut (a cut hand-over loses messages).
      for (const frame of splitStatePage(this.#desk.served(to, page))) this.#emit({ type: 'send', to, frame });
    });
  }

  /** Answer to `flush-store`. */
  storeFlushed(ticket: number, now: number): SessionCommands {
    return this.#step(now, () => {
      const life = this.#life;
      if (life.phase === 'adopting' && life.ticket === ticket) life.stored = true;
    });
  }

  /** Queue a text to send as `ticket` (the runtime's number); answered by `submitted` or `submit-failed`. */
  submit(ticket: number, text: string, now: number): SessionCommands {
    if (this.#life.phase === 'closed')
      return [
        { type: 'submit-failed', ticket, code: 'bad-state', message: 'This group is closed; join it again to send.' },
      ];
    return this.#step(now, () => {
      const refused = this.#sends.queue(ticket, text);
      if (refused !== null) this.#emit(refused);
    });
  }

  /** Answer to `sign`: the draft goes to the engine and out. */
  signed(draft: SignedFields, sig: string, now: number): SessionCommands {
    return this.#step(now, () => {
      const ready = this.#sends.signed(draft, sig);
      if (ready === null)
        return this.#problem(
          'internal',
          `A signature came back for a draft (seq ${draft.seq}) that is not out for signing.`,
        );
      const { ticket, frame, pending } = ready;
      const result = this.#engine.send(frame, now);
      if (isRejection(result)) {
        this.#sends.settled(pending.id);
        if (ticket === null) return this.#problem(result.error.code, `Sending ${pending.id} again failed.`);
        return this.#emit({ type: 'submit-failed', ticket, code: result.error.code, message: result.error.message });
      }
      this.#sentSeq = Math.max(this.#sentSeq, frame.seq);
      // Our next draft chains to this one, unless the engine dropped it (its seq was taken).
      if (!result.events.some((e) => e.type === 'message-dropped' && e.id === pending.id)) this.#chains.sent(frame);
      // A re-issue (no ticket) shows already, from our store (PROTOCOL.md §3.1 "Re-issue").
      if (ticket !== null) this.#emit({ type: 'message', message: pending, source: 'pending' });
      const delivered = this.#apply(result, 'sending', now);
      if (ticket !== null) this.#emit({ type: 'submitted', ticket, message: delivered.get(pending.id) ?? pending });
    });
  }

  /** Sends of this turn wait for `endTurn`, which the runtime calls when the turn's task is done. */
  get turnOpen(): boolean {
    return this.#finals.turnOpen;
  }

  /** The end of the turn: its PROPOSEs, FINALs and ECHOs leave packed per link (PROTOCOL.md §1.2c). */
  endTurn(now: number): SessionCommands {
    return this.#step(now, () => this.#out.push(...this.#finals.endTurn()));
  }

  /** Answer to `sign-final` or `sign-flush`: the sends that waited for the signature go out. */
  wordSigned(c: SignWord, sig: string, now: number): SessionCommands {
    return this.#step(now, () => this.#out.push(...this.#finals.signed(c, sig)));
  }

  tick(now: number): SessionCommands {
    return this.#step(now, () => {
      this.#join.tick(now);
      if (this.#engine.view === null) return;
      this.#apply(this.#engine.tick(now), 'a tick', now);
      const chased = this.#stalls?.chase(this.#engine, now);
      if (chased != null) this.#apply(chased, 'a chase', now);
      if (this.#life.phase === 'member') for (const c of this.#stalls?.reports(this.#engine, now) ?? []) this.#emit(c);
    });
  }

  /** Leave (or be removed): every text not sent yet fails with `reason`. */
  close(reason: string, now: number): SessionCommands {
    if (this.#life.phase === 'closed') return [];
    this.#life = { phase: 'closed' };
    this.#emit({ type: 'phase', phase: 'closed' });
    for (const c of this.#sends.failAll(`${reason} The message was not sent.`)) this.#emit(c);
    return this.#step(now, () => {});
  }

  // ---- sponsor: answer a joiner's history requests ----

  #onHistoryRequest(from: PeerId, req: HistoryRequestFrame): void {
    const inView = this.#installed?.members.some((m) => m.peerId === from) === true;
    // A member still taking its older pages lacks what its state counts: the request waits (PROTOCOL.md §4).
    const answer = this.#desk.request(from, req, this.#life.phase === 'member' && !this.backfilling && inView);
    if (answer !== null) this.#emit({ type: 'read-history', to: from, state: answer.state, req });
  }

  /** Capture what a joiner would get now, and answer requests that waited for it. */
  #takeHandover(): void {
    if (this.#life.phase !== 'member') return;
    for (const [peer, req] of this.#desk.capture(this.#engine.joinerState())) this.#onHistoryRequest(peer, req);
  }

  // ---- carrying out engine outputs ----

  /** Runs one input, then what it may have unblocked (adoption, sends); returns the commands. */
  #step(now: number, input: () => void): SessionCommands {
    if (this.#life.phase !== 'closed') {
      input();
      this.#handover.tryAdopt(now);
      // Not before we have state: a draft made before adoption gets a seq the adopted state may already
      // count as delivered (a session re-joining a group), and the engine then drops it.
      // Each draft names our previous message's hash (PROTOCOL.md §1.5); the signature covers it.
      if (this.#life.phase === 'member' && this.#engine.view !== null)
        for (const c of this.#sends.draftNext(this.#engine, now, this.#chains)) this.#emit(c);
    }
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #emit(command: SessionCommand): void {
    this.#out.push(...this.#finals.pass(command));
  }

  /** Carries out one engine result; returns the messages it delivered by id. */
  #apply(result: EngineResult, what: string, now: number, from?: PeerId): Map<MessageId, SessionMessage> {
    if (isRejection(result)) {
      if (result.fault === 'remote' && from !== undefined) this.#rejected(from, result.error);
      else this.#problem(result.error.code, `The engine refused ${what}: ${result.error.message}`, from);
      return new Map();
    }
    for (const o of result.frames) {
      const to = o.to === 'all' ? (this.#engine.view?.members ?? []).map((m) => m.peerId) : [o.to];
      for (const peer of to) if (peer !== this.self.peerId) this.#emit({ type: 'send', to: peer, frame: o.frame });
    }
    const port = { groupId: this.groupId, names: this.#names, floors: this.#floors, sends: this.#sends };
    const taken = takeDeliveries({ ...port, chains: this.#chains }, result.deliveries, handingOver(this.#life), now);
    for (const chat of taken.shown.values()) this.#emit({ type: 'message', message: chat, source: 'delivery' });
    for (const c of storeCommands(taken)) this.#emit(c);
    for (const ev of result.events)
      if (ev.type === 'view-installed') this.#onInstalled(ev.view, now);
      else for (const c of eventCommands(this.groupId, ev, (p, e) => this.#rejected(p, e))) this.#emit(c);
    return taken.shown;
  }

  #onInstalled(view: View, now: number): void {
    const previous = this.#installed;
    this.#installed = view;
    for (const line of systemLines(this.groupId, previous, view, this.#lastChange, this.#names, now))
      this.#emit({ type: 'system', line });
    const present = new Set(view.members.map((m) => m.peerId));
    this.#desk.prune(present);
    const joining = this.#life.phase === 'syncing' || this.#life.phase === 'adopting';
    // Nobody in this view's flush had state (every member before us re-joined too): the group
    // went on afresh and our engine has state of its own. No sponsor can hand over anything now.
    if (joining && this.#engine.hasState === true) this.#join.becomeMember(now);
    this.#takeHandover();
    this.#emit({ type: 'view', view });
    this.#join.sponsorIfGone(present, now);
  }

  /** What passed the chain checks; each fault is reported as a rejection of `from`'s input. */
  #chained<T>(from: PeerId, vetted: Vetted<T>): T {
    for (const fault of vetted.faults) this.#rejected(from, fault);
    return vetted.value;
  }

  #rejected(from: PeerId, error: ProtocolError): void {
    this.#emit(problemOf(this.groupId, error.code, error.message, from, true));
  }

  #problem(code: string, message: string, from?: PeerId): void {
    this.#emit(problemOf(this.groupId, code, message, from, false));
  }

  #setLife(life: Lifecycle): void {
    const changed = life.phase !== this.#life.phase;
    this.#life = life;
    // A member with all its history: what a hand-over owed was reported, and floors derive again.
    if (changed && life.phase === 'member' && life.backfill === undefined) {
      this.#chains.settle();
      this.#floors.release();
    }
    if (changed) this.#emit({ type: 'phase', phase: life.phase });
  }
}
