// One joined group on one peer, without I/O: owns the ordering engine and
// the join lifecycle (history from a sponsor, adopting its state), answers
// joiners as a sponsor, and gates our own sends until we are a member. It
// never knows sockets, stores, clocks or keys: inputs come in as calls with
// `now`, and every call returns the commands to carry out, in order
// (session-types.ts). packages/peer GroupSession and the simulator drive it.
//
//                 tracker view, no old member left
//   waiting ───────────────────────────────────────────────┐
//      │ tracker view naming old members                   │
//      │   → read-cursor, then history-req to the sponsor  │
//      ▼                                                   ▼
//   syncing ──pages (→ store), last one with state──▶ adopting ──stored, engine at the
//    ▲  │  ▲                                            │  │      state's view, adopted──▶ member
//    │  │  └──refused / stale state: re-ask after a ────┘  │                               │
//    │  │      pause (policy.ts reaskPause)                │                               │
//    │  └──sponsor gone: next old member, from the start   │                               │
//    └───silent HISTORY_RETRY_MS: next sponsor (round)     │                               │
//   syncing | adopting ──engine got state from a flush, or no old member left────────────▶ member
//   any ──close──▶ closed
//
// The sponsor side (SponsorDesk) answers a joiner's requests from the state
// captured at each view install, once the joiner's view is installed here.
//
// Usage (a runtime; `run` carries out commands and feeds answers back):
//   const core = new SessionCore({ groupId, self, engine, groupName });
//   run(core.trackerView(view, now));           // → read-cursor, send history-req …
//   run(core.cursorRead(cursorFromStore, now));
//   run(core.receive(from, verifiedFrame, now)); // every frame, signatures checked
//   run(core.submit(1, 'hello', now));           // → sign; later core.signed(draft, sig, now)
//   every TICK_MS: run(core.tick(now));          // re-asks, retransmits, stability

import { frameMessageId } from '../ids.ts';
import type { GroupId, MemberChange, MessageId, PeerId } from '../ids.ts';
import type { ProtocolError } from '../result.ts';
import type { MemberInfo, View } from '../tracker/events.ts';
import type { GroupFrame, HistoryItem, HistoryRequestFrame, HistoryResponseFrame, JoinerState, SignedFields } from '../wire/frames.ts';
import { MAX_BODY_CHARS } from '../wire/caps.ts';
import { isRejection } from '../ordering/engine.ts';
import type { EngineResult, OrderingEngine, Rejection } from '../ordering/engine.ts';
import { fitState } from './handover-fit.ts';
import { NameBook } from './name-book.ts';
import { firstSponsor, HISTORY_REQUEST_ITEMS, HISTORY_RETRY_MS, MAX_OUTBOX, nextSponsor, oldMembersOf, reaskPause } from './policy.ts';
import type { SessionCommand, SessionCommands, SessionGroupRecord, SessionMessage, SessionPhase, SessionRecord } from './session-types.ts';
import { SponsorDesk } from './sponsor-desk.ts';

export interface SessionCoreOptions {
  readonly groupId: GroupId;
  readonly self: MemberInfo;
  readonly engine: OrderingEngine;
  /** The group's name, saved in the group record. */
  readonly groupName: string;
}

/** A joiner's history sync with one sponsor at a time. */
interface Sync {
  /** Members that were in the group before us: the candidates for sponsor. */
  readonly oldMembers: ReadonlySet<PeerId>;
  sponsor: PeerId;
  /** Where our own store ended when we joined (undefined until read): every fresh hand-over starts here. */
  initialCursor: string | null | undefined;
  cursor: string | null;
  askedAt: number;
  /** Hand-overs refused so far in this sync; sets the pause before the next request. */
  refusals: number;
  /** When a paced re-ask is due (after a refusal), or null. */
  reaskAt: number | null;
}

type Lifecycle =
  | { readonly phase: 'waiting' }
  | { readonly phase: 'syncing'; readonly sync: Sync }
  /** The last page's state waits for its history to be durable and for our engine to reach its view. */
  | { readonly phase: 'adopting'; readonly sync: Sync; readonly state: JoinerState; readonly ticket: number; stored: boolean }
  | { readonly phase: 'member' }
  | { readonly phase: 'closed' };

const pendingOrder = (seq: number): string => `~${String(seq).padStart(16, '0')}`;

export class SessionCore {
  readonly groupId: GroupId;
  readonly self: MemberInfo;
  readonly #engine: OrderingEngine;
  readonly #groupName: string;
  readonly #names = new NameBook();
  readonly #desk = new SponsorDesk();
  #life: Lifecycle = { phase: 'waiting' };
  #installed: View | null = null;
  #lastTrackerViewId = -1;
  /** Members of the newest tracker view: the old members a joiner may still ask for history. */
  #trackerMembers = new Set<PeerId>();
  /** Why each peer last came or went, per the tracker (for system lines when the engine skips a view). */
  readonly #lastChange = new Map<PeerId, MemberChange>();
  #outbox: { readonly ticket: number; readonly text: string }[] = [];
  /** The draft out for signing; the engine takes drafts back in the order it made them. */
  #signing: { readonly ticket: number; readonly draft: SignedFields } | null = null;
  /** Own messages sent but not delivered yet, for the pending → delivered switch. */
  readonly #pending = new Map<MessageId, SessionMessage>();
  #tickets = 0;
  #out: SessionCommand[] = [];

  constructor(opts: SessionCoreOptions) {
    this.groupId = opts.groupId;
    this.self = opts.self;
    this.#engine = opts.engine;
    this.#groupName = opts.groupName;
    this.#names.learn([opts.self]);
  }

  // ---- what a runtime reads ----

  get phase(): SessionPhase {
    return this.#life.phase;
  }

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
    return [...this.#pending.values()];
  }

  /** Texts submitted and not yet drafted (plus the one out for signing). */
  get outboxSize(): number {
    return this.#outbox.length + (this.#signing === null ? 0 : 1);
  }

  memberName(peerId: PeerId): string {
    return this.#names.name(peerId);
  }

  publicKey(peerId: PeerId): string | null {
    return this.#names.publicKey(peerId);
  }

  /** What the store keeps about the group: where the engine stands now (no unstable copies). */
  groupRecord(): SessionGroupRecord | null {
    if (!this.#engine.view) return null;
    const { unstable: _unstable, ...state } = this.#engine.joinerState();
    return { groupId: this.groupId, name: this.#groupName, ordering: this.#engine.mode, state };
  }

  // ---- inputs ----

  /** A member about to join (phase one): its name and key are needed before its first frame. */
  noteJoining(member: MemberInfo): void {
    this.#names.learn([member]);
  }

  /** A view from the tracker (also the links-ready ack). Duplicates, older views and views without us are ignored. */
  trackerView(view: View, now: number): SessionCommands {
    return this.#step(now, () => {
      if (view.groupId !== this.groupId || view.viewId <= this.#lastTrackerViewId) return;
      if (!view.members.some((m) => m.peerId === this.self.peerId)) return;
      this.#lastTrackerViewId = view.viewId;
      this.#trackerMembers = new Set(view.members.map((m) => m.peerId));
      this.#names.learn(view.members);
      for (const c of view.changes) this.#lastChange.set(c.peerId, c.change);
      if (this.#life.phase === 'waiting') this.#startSync(view, now);
      else this.#responsorIfGone(this.#trackerMembers, now);
      // The engine installs at once (a joiner buffers frames until it adopts state) or starts a flush.
      this.#apply(this.#engine.installView(view, now), 'installing a view', now);
    });
  }

  /** A frame from a view member, every DATA in it verified (a history page's items: all of them). */
  receive(from: PeerId, frame: GroupFrame, now: number): SessionCommands {
    if (frame.t === 'history-res') return this.historyPage(from, frame, frame.items, now);
    return this.#step(now, () => {
      if (frame.t === 'history-req') this.#onHistoryRequest(from, frame);
      else this.#apply(this.#engine.receive(from, frame, now), 'a frame', now, from);
    });
  }

  /** A history page as received (state verified), with the items whose signature held. */
  historyPage(from: PeerId, page: HistoryResponseFrame, verified: readonly HistoryItem[], now: number): SessionCommands {
    return this.#step(now, () => this.#onHistoryPage(from, page, verified, now));
  }

  link(peer: PeerId, state: 'up' | 'down', now: number): SessionCommands {
    return this.#step(now, () => {
      if (state === 'down') return;
      // A request sent while the link to the sponsor went down and up again may be lost with it:
      // ask again now. A duplicate answer is recognised by its cursor and ignored.
      const life = this.#life;
      if (life.phase === 'syncing' && life.sync.sponsor === peer && life.sync.reaskAt === null) this.#askHistory(now);
      const waiting = this.#desk.takeWaiting(peer, life.phase === 'member');
      if (waiting !== null) this.#onHistoryRequest(peer, waiting);
      this.#apply(this.#engine.linkUp(peer, now), 'a link coming up', now);
    });
  }

  /** Answer to `read-cursor`. */
  cursorRead(cursor: string | null, now: number): SessionCommands {
    return this.#step(now, () => {
      const life = this.#life;
      if (life.phase !== 'syncing' || life.sync.initialCursor !== undefined) return;
      life.sync.initialCursor = cursor;
      life.sync.cursor = cursor;
      this.#askHistory(now);
    });
  }

  /** Answer to `read-history`: the page goes to the joiner. */
  historyRead(to: PeerId, page: HistoryResponseFrame, now: number): SessionCommands {
    return this.#step(now, () => {
      this.#desk.served(to, page.done);
      this.#emit({ type: 'send', to, frame: page });
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
      return [{ type: 'submit-failed', ticket, code: 'bad-state', message: 'This group is closed; join it again to send.' }];
    return this.#step(now, () => {
      const fail = (code: 'missing-field' | 'too-long' | 'too-many', message: string): void =>
        this.#emit({ type: 'submit-failed', ticket, code, message });
      if (typeof text !== 'string' || text.trim() === '') fail('missing-field', 'A message needs some text.');
      // Checked here because every receiver's parser refuses a longer body: it would reach only us.
      else if (text.length > MAX_BODY_CHARS)
        fail('too-long', `A message is at most ${MAX_BODY_CHARS} characters; this one has ${text.length}.`);
      else if (this.#outbox.length >= MAX_OUTBOX)
        fail('too-many', `More than ${MAX_OUTBOX} messages are waiting to be sent; wait a moment.`);
      else this.#outbox.push({ ticket, text });
    });
  }

  /** Answer to `sign`: the draft goes to the engine and out. */
  signed(draft: SignedFields, sig: string, now: number): SessionCommands {
    return this.#step(now, () => {
      const s = this.#signing;
      if (s === null || s.draft.seq !== draft.seq || s.draft.body !== draft.body) {
        this.#problem('internal', `A signature came back for a draft (seq ${draft.seq}) that is not out for signing.`);
        return;
      }
      this.#signing = null;
      if (this.#life.phase === 'closed') return;
      const frame = { t: 'data' as const, ...s.draft, sig };
      const id = frameMessageId(frame);
      const pending: SessionMessage = {
        id, groupId: this.groupId, sender: frame.sender, senderName: this.self.name, body: frame.body,
        sentAt: frame.sentAt, order: pendingOrder(frame.seq), state: 'pending', viewId: frame.viewId,
      };
      this.#pending.set(id, pending);
      const result = this.#engine.send(frame, now);
      if (isRejection(result)) {
        this.#pending.delete(id);
        this.#emit({ type: 'submit-failed', ticket: s.ticket, code: result.error.code, message: result.error.message });
        return;
      }
      this.#emit({ type: 'message', message: pending, source: 'pending' });
      const delivered = this.#apply(result, 'sending', now);
      this.#emit({ type: 'submitted', ticket: s.ticket, message: delivered.get(id) ?? pending });
    });
  }

  tick(now: number): SessionCommands {
    return this.#step(now, () => {
      const life = this.#life;
      if (life.phase === 'syncing' && life.sync.initialCursor !== undefined) {
        const sync = life.sync;
        if (sync.reaskAt !== null) {
          if (now >= sync.reaskAt) this.#askHistory(now);
        } else if (now - sync.askedAt >= HISTORY_RETRY_MS) this.#askNextSponsor(now);
      }
      if (this.#engine.view !== null) this.#apply(this.#engine.tick(now), 'a tick', now);
    });
  }

  /** Leave (or be removed): every text not sent yet fails with `reason`. */
  close(reason: string, now: number): SessionCommands {
    if (this.#life.phase === 'closed') return [];
    this.#life = { phase: 'closed' };
    this.#emit({ type: 'phase', phase: 'closed' });
    const unsent = [...(this.#signing === null ? [] : [this.#signing.ticket]), ...this.#outbox.map((o) => o.ticket)];
    this.#signing = null;
    this.#outbox = [];
    for (const ticket of unsent) this.#emit({ type: 'submit-failed', ticket, code: 'bad-state', message: `${reason} The message was not sent.` });
    return this.#step(now, () => {});
  }

  // ---- joining: history from a sponsor, then its state ----

  #startSync(view: View, now: number): void {
    const oldMembers = oldMembersOf(view, this.self.peerId);
    const sponsor = firstSponsor(oldMembers);
    // First in the group (or everyone before us is gone): the engine starts with empty state.
    if (sponsor === null) return this.#becomeMember();
    const sync: Sync = { oldMembers, sponsor, initialCursor: undefined, cursor: null, askedAt: now, refusals: 0, reaskAt: null };
    this.#setLife({ phase: 'syncing', sync });
    this.#emit({ type: 'read-cursor' });
  }

  #askHistory(now: number): void {
    const life = this.#life;
    if (life.phase !== 'syncing' || life.sync.initialCursor === undefined) return;
    const sync = life.sync;
    sync.askedAt = now;
    sync.reaskAt = null;
    this.#emit({ type: 'send', to: sync.sponsor, frame: { t: 'history-req', groupId: this.groupId, cursor: sync.cursor, limit: HISTORY_REQUEST_ITEMS } });
  }

  /** Back to syncing from the start of our own history, with `sponsor`; asks now unless `reaskAt` paces it. */
  #restartSync(sync: Sync, sponsor: PeerId, now: number, reaskAt: number | null = null): void {
    sync.sponsor = sponsor;
    sync.cursor = sync.initialCursor ?? null;
    this.#setLife({ phase: 'syncing', sync });
    if (reaskAt === null) this.#askHistory(now);
    else sync.reaskAt = reaskAt;
  }

  /** The sponsor left while we synced: ask the lowest old member still present, from the start. */
  #responsorIfGone(present: ReadonlySet<PeerId>, now: number): void {
    const life = this.#life;
    if ((life.phase !== 'syncing' && life.phase !== 'adopting') || present.has(life.sync.sponsor)) return;
    const next = firstSponsor([...life.sync.oldMembers].filter((p) => present.has(p)));
    // No one who knew the group before us is left; the flush of this view starts the group afresh.
    if (next === null) return this.#becomeMember();
    this.#restartSync(life.sync, next, now);
  }

  /**
   * The sponsor refused or sent something we cannot use: ask again from the
   * start, after a pause that doubles per refusal, so a refusal that repeats
   * costs a request every few seconds instead of one per round trip.
   */
  #reaskLater(now: number): void {
    const life = this.#life;
    if (life.phase !== 'syncing' && life.phase !== 'adopting') return;
    life.sync.refusals += 1;
    this.#restartSync(life.sync, life.sync.sponsor, now, now + reaskPause(life.sync.refusals));
  }

  /**
   * No answer within HISTORY_RETRY_MS: the sponsor may itself still be
   * waiting for state (two re-joiners naming each other), or a frame was
   * lost. Ask the next old member still in the group, round the circle.
   */
  #askNextSponsor(now: number): void {
    const life = this.#life;
    if (life.phase !== 'syncing') return;
    const next = nextSponsor(life.sync.sponsor, [...life.sync.oldMembers].filter((p) => this.#trackerMembers.has(p)));
    if (next !== null && next !== life.sync.sponsor) this.#restartSync(life.sync, next, now);
    else this.#askHistory(now);
  }

  #onHistoryPage(from: PeerId, page: HistoryResponseFrame, verified: readonly HistoryItem[], now: number): void {
    const life = this.#life;
    if (life.phase !== 'syncing' || from !== life.sync.sponsor || life.sync.initialCursor === undefined) {
      // Usually the answer to a re-sent request after the sync finished: harmless, not counted.
      this.#problem('bad-state', 'Ignored a history page this peer no longer waits for.', from);
      return;
    }
    const sync = life.sync;
    const first = page.items[0];
    // An answer to a request asked twice (see link): its items are in already.
    if (first !== undefined && sync.cursor !== null && first.order <= sync.cursor) return;
    const records = verified.map((item) => this.#recordFromHistory(item, now));
    if (records.length > 0) this.#emit({ type: 'store', messages: records });
    for (const r of records) this.#emit({ type: 'message', message: this.#chat(r, r.frame.viewId), source: 'history' });
    const last = page.items.at(-1);
    if (last) sync.cursor = last.order;
    if (!page.done) return this.#askHistory(now);
    if (!page.state) {
      this.#rejected(from, { code: 'missing-field', message: 'The last history page carried no joiner state.' });
      return this.#reaskLater(now);
    }
    this.#tickets += 1;
    this.#setLife({ phase: 'adopting', sync, state: page.state, ticket: this.#tickets, stored: false });
    // The history must be durable before we are a member: a reload must never find a member without it.
    this.#emit({ type: 'flush-store', ticket: this.#tickets });
  }

  /**
   * Adopt the sponsor's state once its history is stored and our engine has
   * installed (or is flushing for) the view it was taken in. If we are past
   * that view, the state is stale: ask again for the sponsor's newer one.
   */
  #tryAdopt(now: number): void {
    const life = this.#life;
    if (life.phase !== 'adopting' || !life.stored) return;
    if (this.#engine.hasState === true) {
      // A flush gave the engine state meanwhile: a hand-over is moot, and adopting it would be refused.
      this.#becomeMember();
      return this.#takeHandover();
    }
    const installed = this.#engine.view?.viewId ?? -1;
    if (installed > life.state.viewId) return this.#reaskLater(now);
    // Ahead of our installed view, the engine adopts only if it is flushing for exactly that view.
    const result = this.#engine.adoptJoinerState(life.state);
    if (isRejection(result) && installed < life.state.viewId) return; // wait for that view's install
    if (isRejection(result)) {
      if (result.fault === 'remote') this.#rejected(life.sync.sponsor, result.error);
      else this.#problem(result.error.code, `Adopting the sponsor's state failed: ${result.error.message}`, life.sync.sponsor);
      return this.#reaskLater(now);
    }
    this.#becomeMember();
    this.#apply(result, 'adopting the sponsor state', now);
    this.#takeHandover();
  }

  #becomeMember(): void {
    this.#setLife({ phase: 'member' });
  }

  // ---- sponsor: answer a joiner's history requests ----

  #onHistoryRequest(from: PeerId, req: HistoryRequestFrame): void {
    const inView = this.#installed?.members.some((m) => m.peerId === from) === true;
    const answer = this.#desk.request(from, req, this.#life.phase === 'member' && inView);
    if (answer !== null) this.#emit({ type: 'read-history', to: from, state: answer.state, cursor: req.cursor, limit: req.limit });
  }

  /** Capture what a joiner would get now, and answer requests that waited for it. */
  #takeHandover(): void {
    if (this.#life.phase !== 'member') return;
    const { state, cut } = fitState(this.#engine.joinerState());
    if (cut > 0) this.#problem('too-large', `The state for a joiner was cut by ${cut} unstable messages to fit one frame.`);
    for (const [peer, req] of this.#desk.capture(state)) this.#onHistoryRequest(peer, req);
  }

  // ---- outbound: draft → sign → send, one message at a time ----

  #pump(now: number): void {
    // Not before we have state: a draft made before adoption gets a seq the adopted state may already
    // count as delivered (a session re-joining a group), and the engine then drops it.
    while (this.#signing === null && this.#life.phase === 'member' && this.#engine.view !== null) {
      const entry = this.#outbox[0];
      if (entry === undefined) return;
      const draft = this.#engine.draft(entry.text, now);
      this.#outbox.shift();
      if (isRejection(draft)) {
        this.#emit({ type: 'submit-failed', ticket: entry.ticket, code: draft.error.code, message: draft.error.message });
        continue;
      }
      this.#signing = { ticket: entry.ticket, draft };
      this.#emit({ type: 'sign', draft });
    }
  }

  // ---- carrying out engine outputs ----

  /** Runs one input, then what it may have unblocked (adoption, sends); returns the commands. */
  #step(now: number, input: () => void): SessionCommands {
    if (this.#life.phase !== 'closed') {
      input();
      this.#tryAdopt(now);
      this.#pump(now);
    }
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #emit(command: SessionCommand): void {
    this.#out.push(command);
  }

  /** Carries out one engine result; returns the messages it delivered by id. */
  #apply(result: EngineResult, what: string, now: number, from?: PeerId): Map<MessageId, SessionMessage> {
    const delivered = new Map<MessageId, SessionMessage>();
    if (isRejection(result)) {
      this.#onRejection(result, what, from);
      return delivered;
    }
    for (const o of result.frames) {
      const to = o.to === 'all' ? (this.#engine.view?.members ?? []).map((m) => m.peerId) : [o.to];
      for (const peer of to) if (peer !== this.self.peerId) this.#emit({ type: 'send', to: peer, frame: o.frame });
    }
    const records: SessionRecord[] = [];
    for (const d of result.deliveries) {
      this.#pending.delete(d.id);
      const senderKey = this.#names.publicKey(d.frame.sender);
      const r: SessionRecord = {
        id: d.id, groupId: this.groupId, frame: d.frame, order: d.order, deliveredAt: now,
        senderName: this.#names.name(d.frame.sender), ...(senderKey === null ? {} : { senderKey }),
      };
      records.push(r);
      const chat = this.#chat(r, d.viewId);
      delivered.set(d.id, chat);
      this.#emit({ type: 'message', message: chat, source: 'delivery' });
    }
    if (records.length > 0) this.#emit({ type: 'store', messages: records });
    for (const ev of result.events) {
      if (ev.type === 'view-installed') this.#onInstalled(ev.view, now);
      else if (ev.type === 'message-dropped') this.#problem('message-dropped', `Message ${ev.id} was dropped: ${ev.reason}`);
    }
    return delivered;
  }

  #onInstalled(view: View, now: number): void {
    const previous = this.#installed;
    this.#installed = view;
    this.#systemLines(previous, view, now);
    const present = new Set(view.members.map((m) => m.peerId));
    this.#desk.prune(present);
    const joining = this.#life.phase === 'syncing' || this.#life.phase === 'adopting';
    // Nobody in this view's flush had state (every member before us re-joined too): the group
    // went on afresh and our engine has state of its own. No sponsor can hand over anything now.
    if (joining && this.#engine.hasState === true) this.#becomeMember();
    this.#takeHandover();
    this.#emit({ type: 'view', view });
    this.#responsorIfGone(present, now);
  }

  /**
   * One line per member who came or went between two installed views. The
   * engine may skip a view (a newer one arrived mid-flush), so lines come
   * from the difference, with the reason the tracker gave for each peer.
   */
  #systemLines(previous: View | null, view: View, at: number): void {
    const line = (peerId: PeerId, change: MemberChange): void =>
      this.#emit({ type: 'system', line: { groupId: this.groupId, at, peerId, name: this.#names.name(peerId), change } });
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
    this.#emit({ type: 'problem', problem: { groupId: this.groupId, code: error.code, message: error.message, from }, remote: true });
  }

  #problem(code: string, message: string, from?: PeerId): void {
    this.#emit({ type: 'problem', problem: { groupId: this.groupId, code, message, ...(from === undefined ? {} : { from }) }, remote: false });
  }

  #setLife(life: Lifecycle): void {
    const changed = life.phase !== this.#life.phase;
    this.#life = life;
    if (changed) this.#emit({ type: 'phase', phase: life.phase });
  }

  #recordFromHistory(item: HistoryItem, now: number): SessionRecord {
    const sender = item.frame.sender;
    this.#names.vouch(sender, item.senderName, item.senderKey);
    const senderKey = this.#names.publicKey(sender) ?? item.senderKey ?? null;
    return {
      id: frameMessageId(item.frame), groupId: this.groupId, frame: item.frame, order: item.order,
      deliveredAt: now, senderName: this.#names.name(sender, item.senderName), ...(senderKey === null ? {} : { senderKey }),
    };
  }

  #chat(r: SessionRecord, viewId: SessionMessage['viewId']): SessionMessage {
    return {
      id: r.id, groupId: this.groupId, sender: r.frame.sender, senderName: r.senderName, body: r.frame.body,
      sentAt: r.frame.sentAt, order: r.order, state: 'delivered', viewId,
    };
  }
}
