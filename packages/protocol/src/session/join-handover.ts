// A joiner taking its sponsor's hand-over: what its store holds, what a history
// page holds (vetted, stored and shown once, the floors it reaches, the parts
// of the state on the newest page), adopting that state once the newest
// history is stored and the engine stands at the state's view, and the older
// pages a member then takes (its backfill, PROTOCOL.md §4) until the last. Belongs here: acting on a page or on the
// state; which sponsor to ask and when is join-flow.ts, the pure checks are
// join-sync.ts. Owns no state but the flush tickets and whether the last
// backfill ended incomplete (the lifecycle is the SessionCore's).

import type { PeerId } from '../ids.ts';
import type { EngineResult } from '../ordering/engine.ts';
import { isRejection } from '../ordering/engine.ts';
import type { DataFrame, HistoryItem, HistoryResponseFrame, JoinerState } from '../wire/frames.ts';
import { unbackedCounts } from './heads.ts';
import { countedByHandover, type HeldVector } from '../history/history-reader.ts';
import type { JoinFlow, JoinPort } from './join-flow.ts';
import {
  answersLast,
  handingOver,
  holding,
  isHeld,
  pagingSync,
  releaseHeld,
  takePage,
  vetPage,
  vetState,
  type Sync,
} from './join-sync.ts';
import { MAX_HELD_HISTORY_BYTES } from './policy.ts';
import type { ChainGuard, Vetted } from './chain-check.ts';
import type { OwnSends } from './own-sends.ts';
import type { StoredOwn } from './own-reissue.ts';

/** What the hand-over may read and do in its SessionCore, beyond what the join flow may. */
export interface HandoverPort extends JoinPort {
  readonly join: JoinFlow;
  /** Every sender's hash chain as far as this session saw it (chain-check.ts). */
  readonly chains: ChainGuard;
  /** Our own sends: a re-issue of our stored messages goes before them (PROTOCOL.md §3.1 "Re-issue"). */
  readonly sends: OwnSends;
  /** What passed the chain checks; each fault is reported as a rejection of `from`'s input. */
  chained<T>(from: PeerId, vetted: Vetted<T>): T;
  /** Carries out an engine result (SessionCore #apply). */
  apply(result: EngineResult, what: string, now: number): void;
  /** Captures what a joiner would get now and answers requests that waited for it. */
  takeHandover(): void;
  /** Answers the joiners' requests that waited while our own backfill ran. */
  answerWaiting(): void;
}

export class JoinHandover {
  readonly #port: HandoverPort;
  #tickets = 0;
  /** The last backfill ended with no old member left to ask: older history this session will not get. */
  #missing = false;

  constructor(port: HandoverPort) {
    this.#port = port;
  }

  /** A member's older history: still arriving (`backfilling`), or missing since a backfill found nobody left to ask. */
  older(backfilling: boolean): 'arriving' | 'missing' | null {
    if (this.#port.life().phase !== 'member') return null;
    return backfilling ? 'arriving' : this.#missing ? 'missing' : null;
  }

  /** What our store holds (the answer to `read-held`); a syncing session asks for its newest page now. */
  held(
    have: HeldVector | null,
    now: number,
    tips?: Iterable<DataFrame>,
    above?: ReadonlyMap<string, Iterable<number>>,
    own?: StoredOwn,
  ): void {
    // Each sender's last stored message: the link its next one must name (§1.5).
    if (tips !== undefined) this.#port.chains.learn(tips);
    // Where the store stands, for the floors the records we save name (seq-floors.ts).
    if (have !== null) this.#port.floors.held(have);
    const life = this.#port.life();
    if (life.phase !== 'syncing' || life.sync.have !== undefined) return;
    // Our own stored messages: those the state we adopt lacks are sent again (PROTOCOL.md §3.1 "Re-issue").
    if (own !== undefined) this.#port.sends.storedOwn(own);
    // Pages come newest first: no floor is derived from a hole until the oldest is in (seq-floors.ts).
    this.#port.floors.hold();
    holding(life.sync, have ?? {}, above);
    // What we show from the store: the engine must not deliver it again (adopted state, a flush).
    this.#port.engine.markShown(life.sync.have ?? {});
    this.#port.join.ask(now);
  }

  /**
   * The backfill is over. Complete: the seqs it took give the floors, and requests that waited for a
   * whole store are answered. Incomplete (no old member left to ask): what waited above a hole is
   * shown above it, and no floor is derived for the rest of this session, so a later one asks for
   * every hole again.
   */
  finish(complete: boolean, now: number): void {
    const life = this.#port.life();
    if (life.phase !== 'member' || life.backfill === undefined) return;
    this.#missing = !complete;
    this.#port.join.show(releaseHeld(life.backfill.sync), now);
    this.#port.setLife({ phase: 'member' });
    this.#port.chains.settle();
    if (!complete) return;
    this.#port.floors.release();
    this.#port.answerWaiting();
  }

  /** A history page as received (state verified), with the items whose signature held. */
  page(from: PeerId, page: HistoryResponseFrame, verified: readonly HistoryItem[], now: number): void {
    const life = this.#port.life();
    const handing = handingOver(life);
    // A witness's answer (corroboration.ts): its word, never a page to take; a page without state, the next is asked.
    if (handing?.corroboration.answers(from, page) === true) {
      if (handing.corroboration.heard(from, page, verified)) this.#port.join.corroborate(now);
      return;
    }
    const sync = pagingSync(life);
    if (sync === null || !answersLast(sync, from, page)) {
      // The answer to an earlier request (asked twice, or of a former sponsor), or after the sync
      // finished: harmless, not counted.
      this.#port.problem(
        'bad-state',
        `Ignored a history page (request ${page.req}) this peer no longer waits for.`,
        from,
      );
      return;
    }
    this.#port.join.askAhead(from, page, now); // unless the runtime did when the page arrived (historyArrived)
    // Asked ahead for this page's successor (askAhead): not asked again once it is taken.
    const early = sync.early === page.req;
    if (early) sync.early = null;
    // A joiner's newest page (it carries the state) waits for the witness's word and is taken only if
    // the two agree (PROTOCOL.md §7.3 "Corroborated"): before anything of it is stored or shown.
    if (life.phase === 'syncing' && page.state !== undefined && !this.#corroborated(sync, from, page, verified, now))
      return;
    const lie = vetPage(sync, this.#port.groupId, page);
    if (lie !== null) return this.#port.join.dropSponsor(sync, lie, now);
    // An item left out for its signature would be a hole the sponsor chose (the rest of the page and
    // its state count it as held): a forging sponsor is dropped like any other liar while another old
    // member can hand the history over (PROTOCOL.md §7.3). When it is the only one, the joiner takes
    // what verified and says so: a hole nobody present can fill, rather than never joining.
    const unverified = page.items.length - verified.length;
    if (unverified > 0) {
      const why = `${unverified} of its history items do not carry their sender's signature`;
      if (this.#othersThan(sync)) return this.#port.join.dropSponsor(sync, why, now);
      this.#port.problem(
        'bad-state',
        `Sponsor ${sync.sponsor}: ${why}, and no other member can hand them over: they are left out.`,
        from,
      );
    }
    // Each sender's items against its chain (§1.5): equivocations reported; predecessors they name
    // that we lack are owed by the hand-over's last page.
    verified = this.#port.chained(from, this.#port.chains.page(sync.have ?? {}, verified));
    // A member's backfill takes only what the state it adopted counts: anything else is its engine's.
    const adopted = life.phase === 'member' ? life.backfill?.state : undefined;
    if (adopted !== undefined) verified = verified.filter((i) => countedByHandover(adopted, i.frame));
    // What we show already (our store, an earlier page, or our engine's deliveries since a flush gave
    // it state while we synced: the page was asked for before those) is neither stored nor shown again
    // (S1); an item above a hole in its sender's chain waits until the hole is filled (S3). A member's
    // backfill pages backwards: the hole under a page's lowest item of a sender is the next older page's
    // to fill, so the page is shown above it as the newest page is; a hole inside the page still holds.
    const lowest = new Map<PeerId, number>();
    if (life.phase === 'member')
      for (const { frame: f } of verified) lowest.set(f.sender, Math.min(f.seq, lowest.get(f.sender) ?? f.seq));
    let shown = takePage(sync, verified, page.items[0]?.order, (sender, seq) =>
      this.#port.chains.owedBelow(sender, seq, lowest.get(sender)),
    );
    if (sync.heldBytes > MAX_HELD_HISTORY_BYTES) {
      this.#port.problem(
        'too-large',
        `Sponsor ${sync.sponsor} handed more than ${MAX_HELD_HISTORY_BYTES} bytes of messages above a hole: they are shown before the messages below it.`,
        from,
      );
      shown = [...shown, ...releaseHeld(sync)];
    }
    // Every item the sponsor sent counts as reached, also one whose signature failed (it is asked for
    // again), but not one held back: it reaches the store when it is shown.
    const unheld = page.items.filter((item) => !isHeld(sync, item.frame)).map((item) => item.frame);
    this.#port.join.show(shown, now, unheld);
    // What we show now: the engine must not hand it out again (a flush, a frame that waited, the adopted state).
    this.#port.engine.markShown(sync.have ?? {});
    if (life.phase === 'member') return this.#older(sync, from, page, early, now);
    this.#newest(sync, from, page, now);
  }

  /**
   * Whether the sponsor's newest page may be taken now: parked while the witness's word is out (taken
   * up again by `tryAdopt` once it is in, or nobody is left to give it); the sponsor dropped when the
   * word contradicts it; taken alone, and said so, when every other old member asked stayed silent.
   */
  #corroborated(
    sync: Sync,
    from: PeerId,
    page: HistoryResponseFrame,
    verified: readonly HistoryItem[],
    now: number,
  ): boolean {
    const c = sync.corroboration;
    if (c.pending) {
      c.park({ from, page, verified });
      sync.askedAt = now; // the sponsor answered: not silent while its witness is out
      return false;
    }
    const why = c.disagreement(page);
    if (why !== null) {
      this.#port.join.dropSponsor(sync, `${why} (its witness, the next old member in this joiner's order)`, now);
      return false;
    }
    if (c.witness === null && c.unheard && (page.statePart?.index ?? 0) === 0)
      this.#port.problem(
        'bad-state',
        `Sponsor ${sync.sponsor}: no other old member asked answered with its state, so its state is taken uncorroborated.`,
        from,
      );
    return true;
  }

  /** The newest page (syncing): it carries the state, adopted once whole, vetted and its history stored. */
  #newest(sync: Sync, from: PeerId, page: HistoryResponseFrame, now: number): void {
    if (!page.state) {
      this.#port.rejected(from, { code: 'missing-field', message: 'The newest history page carried no joiner state.' });
      return this.#port.join.reaskLater(now);
    }
    const whole = sync.stateParts.add(page.state, page.statePart, page.heads);
    if (whole === null) {
      sync.askedAt = now; // the sponsor is answering: more parts of its state are on the way
      return;
    }
    if ('refused' in whole) {
      this.#port.rejected(from, { code: 'too-large', message: whole.refused });
      return this.#port.join.reaskLater(now);
    }
    const { state, heads } = whole;
    // The heads (verified like items) enter the chains: a head names its predecessor, which the
    // hand-over then owes like a page item's, so the tail below a head cannot be left out.
    this.#port.chained(from, this.#port.chains.page(sync.have ?? {}, heads));
    // Nothing older follows: what the hand-over owes is owed now (else at the backfill's last page).
    if (page.done && !this.#settle(sync, from, now)) return;
    const contradiction = vetState(sync, state);
    if (contradiction !== null) return this.#port.join.dropSponsor(sync, contradiction, now);
    const unbacked = this.#unbacked(sync, state);
    if (unbacked !== null) return this.#port.join.dropSponsor(sync, unbacked, now, true);
    // Held items (above a hole the older pages fill, or nobody present does, §7.3): the newest
    // history is shown above it, before the state that counts them is adopted.
    this.#port.join.show(releaseHeld(sync), now);
    this.#tickets += 1;
    this.#port.setLife({
      phase: 'adopting',
      sync,
      state: this.#port.chained(from, this.#port.chains.state(state)),
      ticket: this.#tickets,
      stored: false,
      more: !page.done,
    });
    // The newest history must be durable before we are a member: a reload must never find a member without it.
    this.#port.emit({ type: 'flush-store', ticket: this.#tickets });
  }

  /** An older page of a member's backfill: the next is asked for, or after the last one the backfill ends. */
  #older(sync: Sync, from: PeerId, page: HistoryResponseFrame, early: boolean, now: number): void {
    // The sponsor started its paging over (it restarted, or forgot us): its newest page again, with a
    // newer state, vetted against what it hands and never adopted a second time.
    if (page.statePart !== undefined && page.statePart.index > 0) {
      sync.askedAt = now;
      return;
    }
    if (page.state !== undefined && page.statePart === undefined) {
      const contradiction = vetState(sync, page.state);
      if (contradiction !== null) return this.#port.join.dropSponsor(sync, contradiction, now);
    }
    if (!page.done) return early ? undefined : this.#port.join.ask(now);
    if (this.#settle(sync, from, now)) this.finish(true, now);
  }

  /**
   * The hand-over's last page is in: a predecessor its messages name that it never brought is a hole
   * the sponsor chose, as much as a forged item. False when the sponsor was dropped for it.
   */
  #settle(sync: Sync, from: PeerId, now: number): boolean {
    const gaps = this.#port.chains.owed(from);
    for (const gap of gaps) this.#port.rejected(from, gap);
    if (gaps.length > 0 && this.#othersThan(sync)) {
      this.#port.join.dropSponsor(sync, gaps.map((g) => g.message).join(' '), now);
      return false;
    }
    this.#port.chains.settle(); // reported: what no old member present hands is left out
    return true;
  }

  /**
   * Why the state's counts are the sponsor's word only (heads.ts `unbackedCounts`), or null. A sponsor
   * caught is dropped while another old member can hand the state over; the last one (or one asked
   * again when no other is left, `pardon`) is taken at its word, and the joiner says so (an honest
   * count a sender's resume floor raised has no head, §3.1).
   */
  #unbacked(sync: Sync, state: JoinerState): string | null {
    const holds = (sender: PeerId, seq: number): boolean =>
      seq < (sync.have?.[sender] ?? 1) ||
      sync.above.get(sender)?.has(seq) === true ||
      this.#port.chains.knows(sender, seq);
    const why = unbackedCounts(state, this.#port.trackerMembers(), holds);
    if (why === null || (this.#othersThan(sync) && !sync.atWord.has(sync.sponsor))) return why;
    this.#port.problem(
      'bad-state',
      `Sponsor ${sync.sponsor}: ${why} No other member can hand the state over: it is taken.`,
    );
    return null;
  }

  /** Whether an old member other than the sponsor, present and not dropped, could hand the history over. */
  #othersThan(sync: Sync): boolean {
    return [...sync.oldMembers].some(
      (p) => p !== sync.sponsor && this.#port.trackerMembers().has(p) && !sync.dropped.has(p),
    );
  }

  /** The sponsor's newest page that waited for its witness, taken now that the word is in (or nobody can give it). */
  #unpark(now: number): void {
    const life = this.#port.life();
    if (life.phase !== 'syncing') return;
    const sync = life.sync;
    for (const p of sync.corroboration.unpark()) {
      // Dropped or given up meanwhile: the rest is a former sponsor's.
      if (sync.sponsor !== p.from || sync.dropped.has(p.from) || this.#port.life() !== life) break;
      this.page(p.from, p.page, p.verified, now);
    }
  }

  /**
   * Adopt the sponsor's state once its history is stored and our engine has
   * installed (or is flushing for) the view it was taken in. If we are past
   * that view, the state is stale: ask again for the sponsor's newer one.
   */
  tryAdopt(now: number): void {
    this.#unpark(now);
    const life = this.#port.life();
    if (life.phase !== 'adopting' || !life.stored) return;
    const backfill = life.more ? { sync: life.sync, state: life.state } : undefined;
    if (this.#port.engine.hasState === true) {
      // A flush gave the engine state meanwhile: adopting the hand-over would be refused; the older
      // pages it counts are still history to take.
      this.#port.join.becomeMember(now, backfill);
      this.#port.takeHandover();
      return this.#port.join.ask(now);
    }
    const installed = this.#port.engine.view?.viewId ?? -1;
    if (installed > life.state.viewId) return this.#port.join.reaskLater(now);
    // Ahead of our installed view, the engine adopts only if it is flushing for exactly that view.
    const engine = this.#port.engine;
    const result = engine.adoptJoinerState(life.state, this.#port.sends.offer(life.state));
    if (isRejection(result) && installed < life.state.viewId) return; // wait for that view's install
    if (isRejection(result)) {
      if (result.fault === 'remote') this.#port.rejected(life.sync.sponsor, result.error);
      else
        this.#port.problem(
          result.error.code,
          `Adopting the sponsor's state failed: ${result.error.message}`,
          life.sync.sponsor,
        );
      return this.#port.join.reaskLater(now);
    }
    const again = engine.reissued ?? null;
    if (again !== null) {
      // Our stored messages the group lacks go first (PROTOCOL.md §3.1 "Re-issue"); we show them already.
      this.#port.sends.reissue(again, engine.resumeFloor ?? null, this.#port.chains);
      engine.markShown({ [this.#port.self]: again.to + 1 });
    }
    this.#port.join.becomeMember(now, backfill);
    this.#port.apply(result, 'adopting the sponsor state', now);
    this.#port.takeHandover();
    // A member now: its older pages come from the same sponsor, whose pinned state serves them.
    this.#port.join.ask(now);
  }
}
