// A joiner's way to a sponsor's hand-over: which old member it asks, when it asks again, when it
// gives a sponsor up, and when it becomes a member without one. The pure decisions are
// join-sync.ts; this file turns them into lifecycle changes and commands through the port the
// SessionCore gives it. Owns no state (the lifecycle stays the core's). Belongs here: moving
// between waiting, syncing and member because of who is present and what a sponsor did; what a
// history page holds and adopting the state are join-handover.ts.
//
//                 tracker view, no old member left
//   waiting ───────────────────────────────────────────────┐
//      │ tracker view naming old members                   │
//      │   → read-held, then history-req to the sponsor    │
//      ▼                                                   ▼
//   syncing ──pages (→ store), last one with state──▶ adopting ──stored, engine at the
//    ▲  │  ▲                                            │  │      state's view, adopted──▶ member
//    │  │  └──refused / stale state: re-ask after a ────┘  │                               │
//    │  │      pause (policy.ts reaskPause)                │                               │
//    │  └──sponsor gone: next old member, from the start   │                               │
//    └───silent HISTORY_RETRY_MS: next sponsor (round)     │                               │
//   syncing | adopting ──engine got state from a flush, or nobody else left──────────────▶ member
//   any ──close──▶ closed
//
// While syncing, the newest page waits for a witness's word on its state (the next old member in our
// order, asked at the same time: corroboration.ts, PROTOCOL.md §7.3 "Corroborated"); a sponsor it
// contradicts is dropped like any liar.
//
// Pages go backwards (PROTOCOL.md §4): the newest page carries the state, the joiner adopts it and is
// a member while its older pages come (a `backfill`), asked from the same sponsor; a sponsor that
// leaves, stays silent or lies is replaced as while syncing, from its newest page (its state is
// vetted, never adopted a second time). The backfill ends at a last page, or when no old member is
// left to ask (incomplete: `finishBackfill(false)`).

import { frameMessageId, type GroupId, type PeerId } from '../ids.ts';
import type { OrderingEngine } from '../ordering/engine.ts';
import type { ProtocolError } from '../result.ts';
import type { View } from '../tracker/events.ts';
import type { DataFrame, HistoryItem, HistoryResponseFrame } from '../wire/frames.ts';
import {
  ask,
  askAgain,
  askAhead,
  dropSponsor,
  due,
  newSync,
  pagingSync,
  refused,
  releaseHeld,
  restart,
  sponsorAmong,
  type Backfill,
  type Lifecycle,
  type Sync,
  wireHave,
} from './join-sync.ts';
import type { NameBook } from './name-book.ts';
import { firstSponsor } from './policy.ts';
import type { SeqFloors } from './seq-floors.ts';
import { chatOf, recordOfHistory } from './session-records.ts';
import type { SessionCommand } from './session-types.ts';

/** What the flow may read and do in its SessionCore. */
export interface JoinPort {
  readonly groupId: GroupId;
  readonly self: PeerId;
  readonly engine: OrderingEngine;
  readonly names: NameBook;
  readonly floors: SeqFloors;
  /** Members of the newest tracker view: the old members a joiner may still ask for history. */
  trackerMembers(): ReadonlySet<PeerId>;
  life(): Lifecycle;
  setLife(life: Lifecycle): void;
  emit(command: SessionCommand): void;
  problem(code: string, message: string, from?: PeerId): void;
  rejected(from: PeerId, error: ProtocolError): void;
  /** The backfill is over: `complete` when its last page was taken, else nobody is left to ask. */
  finishBackfill(complete: boolean, now: number): void;
  /** Whether a joiner asks a witness (SessionCoreOptions `corroborate`, on but in replays of old seeds). */
  readonly corroborates: boolean;
}

export class JoinFlow {
  readonly #port: JoinPort;

  constructor(port: JoinPort) {
    this.#port = port;
  }

  /** The first tracker view naming us: read the store, then sync from the first old member, or found the state. */
  start(view: View, now: number): void {
    const sync = newSync(view, this.#port.self, now);
    // Every session reads what the store holds: a joiner asks for the rest; the floors need it (seq-floors.ts).
    this.#port.emit({ type: 'read-held' });
    // First in the group (or everyone before us is gone): the engine starts with empty state.
    if (sync === null) return this.becomeMember(now);
    this.#port.setLife({ phase: 'syncing', sync });
  }

  /** A member, with the backfill of its older pages when they follow. */
  becomeMember(now: number, backfill?: Backfill): void {
    const life = this.#port.life();
    // The hand-over ends another way (a flush gave our engine state, nobody is left to ask): what
    // waited above a hole is shown above it, not lost.
    if (life.phase === 'syncing' || life.phase === 'adopting') this.show(releaseHeld(life.sync), now);
    this.#port.setLife(backfill === undefined ? { phase: 'member' } : { phase: 'member', backfill });
  }

  /**
   * History items stored and shown now, in the order given; they and `reached` (items the store
   * will not be handed again by this sponsor: shown already, or refused) count for the floors.
   */
  show(items: readonly HistoryItem[], now: number, reached: readonly DataFrame[] = []): void {
    const { groupId, names } = this.#port;
    const records = items.map((item) => recordOfHistory(groupId, frameMessageId(item.frame), item, names, now));
    if (records.length > 0) this.#port.emit({ type: 'store', messages: records, page: true });
    for (const r of records)
      this.#port.emit({ type: 'message', message: chatOf(r, r.frame.viewId), source: 'history' });
    // Our clock runs from the times we show: a quiet group's state hands no unstable message to take them from.
    for (const item of items) this.#port.engine.observeClock?.(item.frame.lamport);
    // In seq order: a seq reached before a lower one would floor the seqs between (seq-floors.ts).
    for (const f of [...reached, ...items.map((i) => i.frame)].sort((a, b) => a.seq - b.seq))
      this.#port.floors.reached(f.sender, f.seq);
  }

  /**
   * A new request to the sponsor, or (`again`) the last one once more, same id. A joiner's request for
   * a newest page goes with one to its witness (`corroborate`).
   */
  ask(now: number, again = false): void {
    const sync = pagingSync(this.#port.life());
    const req = sync === null ? null : again ? askAgain(sync, now) : ask(sync, this.#port.groupId, now);
    if (sync === null || req === null) return;
    this.#port.emit({ type: 'send', to: sync.sponsor, frame: req });
    if (!again && req.before === null) this.corroborate(now);
  }

  /**
   * While joining: keep the witness that may still answer, or ask the next old member after the
   * sponsor in our order for its newest page and state (corroboration.ts, PROTOCOL.md §7.3); none
   * left, the sponsor's word is taken alone.
   */
  corroborate(now: number): void {
    const life = this.#port.life();
    const sync = life.phase === 'syncing' && this.#port.corroborates ? life.sync : null;
    if (sync?.have === undefined) return;
    const have = sync.have;
    const present = this.#port.trackerMembers();
    const out = sync.corroboration.ensure(
      {
        joiner: sync.joiner,
        sponsor: sync.sponsor,
        candidates: [...sync.oldMembers].filter((p) => present.has(p) && !sync.dropped.has(p)),
        groupId: this.#port.groupId,
        have: wireHave(have),
        req: () => (sync.reqs += 1),
      },
      now,
    );
    if (out !== null) this.#port.emit({ type: 'send', to: out.to, frame: out.frame });
  }

  /** A page that answers our last request arrived: the next request goes out before it is checked (`askAhead`). */
  askAhead(from: PeerId, page: HistoryResponseFrame, now: number): void {
    const sync = pagingSync(this.#port.life());
    const req = sync === null ? null : askAhead(sync, this.#port.groupId, from, page, now);
    if (sync !== null && req !== null) this.#port.emit({ type: 'send', to: sync.sponsor, frame: req });
  }

  /** Start over from the newest page with `sponsor`, asking now: syncing again, or (a member) the same backfill. */
  restart(sync: Sync, sponsor: PeerId, now: number): void {
    restart(sync, sponsor);
    if (this.#port.life().phase !== 'member') this.#port.setLife({ phase: 'syncing', sync });
    this.ask(now);
  }

  /** A member's backfill, if one runs. */
  #backfill(): Sync | null {
    const life = this.#port.life();
    return life.phase === 'member' ? (life.backfill?.sync ?? null) : null;
  }

  /** The sponsor left while we synced: ask the first old member still present in our order, from the start. */
  sponsorIfGone(present: ReadonlySet<PeerId>, now: number): void {
    this.#sponsorIfGone(present, now);
    // A witness that left is replaced by the next old member (or none: the word is the sponsor's alone).
    this.corroborate(now);
  }

  #sponsorIfGone(present: ReadonlySet<PeerId>, now: number): void {
    const backfill = this.#backfill();
    if (backfill !== null) {
      // A backfill goes on with the next old member; with none left, what it lacks cannot be had now.
      const next = sponsorAmong(backfill, present);
      if (next === null) this.#port.finishBackfill(false, now);
      else if (next !== 'stay') this.restart(backfill, next, now);
      return;
    }
    const life = this.#port.life();
    if (life.phase !== 'syncing' && life.phase !== 'adopting') return;
    const next = sponsorAmong(life.sync, present);
    if (next === null) {
      // No one who knew the group before us is left. If our engine has state, a flush started the
      // group afresh. Otherwise a member that joined after us may have adopted state before we did
      // (seed 1043749): ask the first other member in our order; if this view's flush starts the
      // group afresh instead, the install makes us a member (SessionCore #onInstalled).
      const other = firstSponsor(
        this.#port.self,
        [...present].filter((p) => p !== this.#port.self),
      );
      if (this.#port.engine.hasState === true || other === null) this.becomeMember(now);
      else if (other !== life.sync.sponsor) this.restart(life.sync, other, now);
    } else if (next !== 'stay') this.restart(life.sync, next, now);
  }

  /**
   * The sponsor refused or sent something we cannot use: ask again from the
   * start, after a pause that doubles per refusal, so a refusal that repeats
   * costs a request every few seconds instead of one per round trip.
   */
  reaskLater(now: number): void {
    const backfill = this.#backfill();
    if (backfill !== null) return refused(backfill, now);
    const life = this.#port.life();
    if (life.phase !== 'syncing' && life.phase !== 'adopting') return;
    refused(life.sync, now);
    this.#port.setLife({ phase: 'syncing', sync: life.sync });
  }

  /**
   * The sponsor answered what its own answers contradict (§7.3): what we stored stays, the
   * next old member we have not dropped is asked from the start, or, with none, nobody is.
   * `unbacked`: dropped only for a count without a head, it may be asked again (join-sync.ts `pardon`).
   */
  dropSponsor(sync: Sync, why: string, now: number, unbacked = false): void {
    this.#port.rejected(sync.sponsor, { code: 'bad-state', message: `Sponsor ${sync.sponsor} dropped: ${why}` });
    const next = dropSponsor(sync, this.#port.trackerMembers(), unbacked);
    if (next !== null) return this.restart(sync, next, now);
    if (this.#backfill() === sync) {
      this.#port.problem('bad-state', "Every member that could hand over the group's older history was dropped.");
      return this.#port.finishBackfill(false, now);
    }
    restart(sync, sync.sponsor);
    sync.reaskAt = Infinity;
    this.#port.problem(
      'bad-state',
      "Every member that could hand over the group's history was dropped: this peer stays joining (leave and join again to start afresh; what it stored stays).",
    );
  }

  /**
   * On every tick: no answer within HISTORY_RETRY_MS means the sponsor may itself still wait for
   * state (two re-joiners naming each other), or a frame was lost: the next sponsor, round the circle.
   */
  tick(now: number): void {
    // A witness silent for HISTORY_RETRY_MS is not asked again in this sync: the next one is. The
    // sponsor's page that waited for it is taken up after this input (JoinHandover.tryAdopt), not
    // timed out as silence.
    const life = this.#port.life();
    if (life.phase === 'syncing' && life.sync.corroboration.silent(now)) return this.corroborate(now);
    const sync = pagingSync(this.#port.life());
    const joining = this.#backfill() === null;
    const next = sync === null ? null : due(sync, this.#port.trackerMembers(), this.#port.self, joining, now);
    if (sync !== null && next !== null) {
      if (next.sponsor !== sync.sponsor) {
        sync.corroboration.passOver(sync.sponsor);
        this.restart(sync, next.sponsor, now);
      } else this.ask(now, sync.reaskAt === null);
    }
  }
}
