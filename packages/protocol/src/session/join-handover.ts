// A joiner taking its sponsor's hand-over: what a history page holds (vetted,
// stored and shown once, the floors it reaches, the parts of the state on the
// last page) and adopting that state once the history is stored and the
// engine stands at the state's view. Belongs here: acting on a page or on the
// state; which sponsor to ask and when is join-flow.ts, the pure checks are
// join-sync.ts. Owns no state but the flush tickets (the lifecycle is the
// SessionCore's).

import type { PeerId } from '../ids.ts';
import type { EngineResult } from '../ordering/engine.ts';
import { isRejection } from '../ordering/engine.ts';
import type { HistoryItem, HistoryResponseFrame } from '../wire/frames.ts';
import type { JoinFlow, JoinPort } from './join-flow.ts';
import { answersLast, isHeld, releaseHeld, takePage, vetPage, vetState } from './join-sync.ts';
import { MAX_HELD_HISTORY_BYTES } from './policy.ts';
import type { ChainGuard, Vetted } from './chain-check.ts';

/** What the hand-over may read and do in its SessionCore, beyond what the join flow may. */
export interface HandoverPort extends JoinPort {
  readonly join: JoinFlow;
  /** Every sender's hash chain as far as this session saw it (chain-check.ts). */
  readonly chains: ChainGuard;
  /** What passed the chain checks; each fault is reported as a rejection of `from`'s input. */
  chained<T>(from: PeerId, vetted: Vetted<T>): T;
  /** Carries out an engine result (SessionCore #apply). */
  apply(result: EngineResult, what: string, now: number): void;
  /** Captures what a joiner would get now and answers requests that waited for it. */
  takeHandover(): void;
}

export class JoinHandover {
  readonly #port: HandoverPort;
  #tickets = 0;

  constructor(port: HandoverPort) {
    this.#port = port;
  }

  /** A history page as received (state verified), with the items whose signature held. */
  page(from: PeerId, page: HistoryResponseFrame, verified: readonly HistoryItem[], now: number): void {
    const life = this.#port.life();
    if (life.phase !== 'syncing' || !answersLast(life.sync, from, page)) {
      // The answer to an earlier request (asked twice, or of a former sponsor), or after the sync
      // finished: harmless, not counted.
      this.#port.problem(
        'bad-state',
        `Ignored a history page (request ${page.req}) this peer no longer waits for.`,
        from,
      );
      return;
    }
    const sync = life.sync;
    this.#port.join.askAhead(from, page, now); // unless the runtime did when the page arrived (historyArrived)
    // Asked ahead for this page's successor (askAhead): not asked again once it is taken.
    const early = sync.early === page.req;
    if (early) sync.early = null;
    const lie = vetPage(sync, this.#port.groupId, page);
    if (lie !== null) return this.#port.join.dropSponsor(sync, lie, now);
    // An item left out for its signature would be a hole the sponsor chose (the rest of the page and
    // its state count it as held): a forging sponsor is dropped like any other liar while another old
    // member can hand the history over (PROTOCOL.md §7.3). When it is the only one, the joiner takes
    // what verified and says so: a hole nobody present can fill, rather than never joining.
    const unverified = page.items.length - verified.length;
    if (unverified > 0) {
      const why = `${unverified} of its history items do not carry their sender's signature`;
      const others = [...sync.oldMembers].some(
        (p) => p !== sync.sponsor && this.#port.trackerMembers().has(p) && !sync.dropped.has(p),
      );
      if (others) return this.#port.join.dropSponsor(sync, why, now);
      this.#port.problem(
        'bad-state',
        `Sponsor ${sync.sponsor}: ${why}, and no other member can hand them over: they are left out.`,
        from,
      );
    }
    // Each sender's items against its chain (§1.5): equivocations reported; predecessors they name
    // that we lack are owed by the hand-over's last page.
    verified = this.#port.chained(from, this.#port.chains.page(sync.have ?? {}, verified));
    // What we show already (our store, an earlier page, or our engine's deliveries since a flush gave
    // it state while we synced: the page was asked for before those) is neither stored nor shown again
    // (S1); an item above a hole in its sender's chain waits until the hole is filled (S3).
    let shown = takePage(sync, verified, page.items.at(-1)?.order, (sender, seq) =>
      this.#port.chains.owedBelow(sender, seq),
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
    if (!page.done) return early ? undefined : this.#port.join.ask(now);
    if (!page.state) {
      this.#port.rejected(from, { code: 'missing-field', message: 'The last history page carried no joiner state.' });
      return this.#port.join.reaskLater(now);
    }
    const state = sync.stateParts.add(page.state, page.statePart);
    if (state === null) {
      sync.askedAt = now; // the sponsor is answering: more parts of its state are on the way
      return;
    }
    if ('refused' in state) {
      this.#port.rejected(from, { code: 'too-large', message: state.refused });
      return this.#port.join.reaskLater(now);
    }
    // A message left out of a sender's chain is as much a hole the sponsor chose as a forged item.
    const gaps = this.#port.chains.owed(from);
    for (const gap of gaps) this.#port.rejected(from, gap);
    if (
      gaps.length > 0 &&
      [...sync.oldMembers].some((p) => p !== sync.sponsor && this.#port.trackerMembers().has(p) && !sync.dropped.has(p))
    )
      return this.#port.join.dropSponsor(sync, gaps.map((g) => g.message).join(' '), now);
    this.#port.chains.settle(); // reported: what no old member present hands is left out
    const contradiction = vetState(sync, state);
    if (contradiction !== null) return this.#port.join.dropSponsor(sync, contradiction, now);
    // Held items whose hole nobody present fills (or whose predecessor no chain link names, §7.3):
    // shown above it, before the state that counts them is adopted.
    this.#port.join.show(releaseHeld(sync), now);
    this.#tickets += 1;
    this.#port.setLife({
      phase: 'adopting',
      sync,
      state: this.#port.chained(from, this.#port.chains.state(state)),
      ticket: this.#tickets,
      stored: false,
    });
    // The history must be durable before we are a member: a reload must never find a member without it.
    this.#port.emit({ type: 'flush-store', ticket: this.#tickets });
  }

  /**
   * Adopt the sponsor's state once its history is stored and our engine has
   * installed (or is flushing for) the view it was taken in. If we are past
   * that view, the state is stale: ask again for the sponsor's newer one.
   */
  tryAdopt(now: number): void {
    const life = this.#port.life();
    if (life.phase !== 'adopting' || !life.stored) return;
    if (this.#port.engine.hasState === true) {
      // A flush gave the engine state meanwhile: a hand-over is moot, and adopting it would be refused.
      this.#port.join.becomeMember(now);
      return this.#port.takeHandover();
    }
    const installed = this.#port.engine.view?.viewId ?? -1;
    if (installed > life.state.viewId) return this.#port.join.reaskLater(now);
    // Ahead of our installed view, the engine adopts only if it is flushing for exactly that view.
    const result = this.#port.engine.adoptJoinerState(life.state);
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
    this.#port.join.becomeMember(now);
    this.#port.apply(result, 'adopting the sponsor state', now);
    this.#port.takeHandover();
  }
}
