// A joiner's history sync with one sponsor at a time, and the lifecycle
// states a SessionCore moves through (its header draws them). The decisions
// here are pure: which sponsor to ask, what to ask, when asking is due. The
// core turns them into commands.

import type { GroupId, PeerId } from '../ids.ts';
import type { View } from '../tracker/events.ts';
import type { HeldVector } from '../history/history-reader.ts';
import { StatePartCollector } from '../history/state-parts.ts';
import { Corroboration } from './corroboration.ts';
import { MAX_SENDER_ENTRIES } from '../wire/caps.ts';
import { utf8ByteLength } from '../wire/utf8.ts';
import { pageWireBytes } from '../wire/parse-history-frames.ts';
import type { HistoryItem, HistoryRequestFrame, HistoryResponseFrame, JoinerState } from '../wire/frames.ts';
import {
  firstSponsor,
  HISTORY_REQUEST_ITEMS,
  HISTORY_RETRY_MS,
  MAX_HANDOVER_BYTES,
  MAX_HANDOVER_ITEMS,
  nextSponsor,
  oldMembersOf,
  reaskPause,
} from './policy.ts';

export interface Sync {
  /** Us: the joiner whose order of sponsors (policy.ts `sponsorOrder`) this sync follows. */
  readonly joiner: PeerId;
  /** Members that were in the group before us: the candidates for sponsor. */
  readonly oldMembers: ReadonlySet<PeerId>;
  sponsor: PeerId;
  /**
   * What we hold, per sender the next seq (undefined until our store was
   * read): read from the store at the start, then moved on by every page we
   * take, so a hand-over started afresh asks only for what we still lack.
   */
  have: Record<string, number> | undefined;
  /**
   * Per sender, seqs taken above its run in `have` (a page in the sponsor's
   * order, which need not be seq order; a delivery while syncing): shown
   * already, so an item repeating one is not shown again; the run takes them
   * in as it reaches them. Never on the wire (`have` says what to hand).
   */
  readonly above: Map<string, Set<number>>;
  /**
   * Per sender, page items above its run that a predecessor is missing for:
   * neither stored nor shown until the run reaches them, so the screen never
   * shows a sender's message before one it sent earlier (S3). Kept only for
   * the current sponsor's paging: the next sponsor is asked from the run
   * (`have`) and hands them again. `heldBytes` counts them
   * (MAX_HELD_HISTORY_BYTES).
   */
  readonly held: Map<PeerId, Map<number, { readonly item: HistoryItem; readonly bytes: number }>>;
  heldBytes: number;
  /**
   * Where the current paging stands in the sponsor's order, which goes
   * backwards (PROTOCOL.md §4): the lowest order key taken, the next page is
   * asked `before` it; null before its newest page.
   */
  before: string | null;
  /**
   * Our last request (null: none yet); only its answer is taken. Its id is new for every new request, never reused in a
   * sync.
   */
  asked: HistoryRequestFrame | null;
  /** Request ids handed out in this sync, to the sponsors and the witnesses alike. */
  reqs: number;
  /** The second old member asked before a sponsor's state is taken (corroboration.ts, PROTOCOL.md §7.3). */
  readonly corroboration: Corroboration;
  /**
   * The request whose page arrived and is still being checked while the next
   * one is already asked for (`askAhead`): its page is taken too. Null when
   * no page is in hand.
   */
  early: number | null;
  askedAt: number;
  /** Hand-overs refused so far in this sync; sets the pause before the next request. */
  refusals: number;
  /** When a paced re-ask is due (after a refusal), or null. */
  reaskAt: number | null;
  /** Parts of a state too large for one last page, until it is whole. */
  readonly stateParts: StatePartCollector;
  /** Sponsors caught handing what their own answers contradict: never asked again in this sync. */
  readonly dropped: Set<PeerId>;
  /**
   * Of those, the ones dropped only for a count no signed head backs (heads.ts): asked again when no
   * other old member is left (`pardon`), and then taken at their word (`atWord`).
   */
  readonly unbacked: Set<PeerId>;
  readonly atWord: Set<PeerId>;
  /** Items and bytes each sponsor handed in this sync (MAX_HANDOVER_ITEMS, MAX_HANDOVER_BYTES). */
  readonly spent: Map<PeerId, { items: number; bytes: number }>;
  /** Per sender, the highest seq and view id handed in the current paging: checked against its state. */
  readonly seen: Map<string, { seq: number; viewId: number }>;
}

/**
 * A member still taking its older pages (PROTOCOL.md §4, adopt then
 * backfill): the sync goes on with the state it adopted, which says which
 * messages are the backfill's (`countedByHandover`) and which its engine's.
 */
export interface Backfill {
  readonly sync: Sync;
  readonly state: JoinerState;
}

export type Lifecycle =
  | { readonly phase: 'waiting' }
  | { readonly phase: 'syncing'; readonly sync: Sync }
  /** The last page's state waits for its history to be durable and for our engine to reach its view. */
  | {
      readonly phase: 'adopting';
      readonly sync: Sync;
      readonly state: JoinerState;
      readonly ticket: number;
      stored: boolean;
      /** Older pages follow the adoption (the newest page was not the last). */
      readonly more: boolean;
    }
  | { readonly phase: 'member'; readonly backfill?: Backfill }
  | { readonly phase: 'closed' };

/** A sync for the first view naming us, or null when nobody before us is in it (we start the group's state). */
export function newSync(view: View, self: PeerId, now: number): Sync | null {
  const oldMembers = oldMembersOf(view, self);
  const sponsor = firstSponsor(self, oldMembers);
  if (sponsor === null) return null;
  return {
    joiner: self,
    oldMembers,
    sponsor,
    have: undefined,
    above: new Map(),
    held: new Map(),
    heldBytes: 0,
    before: null,
    asked: null,
    reqs: 0,
    corroboration: new Corroboration(),
    early: null,
    askedAt: now,
    refusals: 0,
    reaskAt: null,
    stateParts: new StatePartCollector(),
    dropped: new Set(),
    unbacked: new Set(),
    atWord: new Set(),
    spent: new Map(),
    seen: new Map(),
  };
}

/**
 * What our store holds (the answer to `read-held`): the sync can ask from now
 * on. `above`: per sender, seqs the store holds above its run (an earlier
 * session's backfill that did not finish): shown already, not again.
 */
export function holding(sync: Sync, have: HeldVector, above?: ReadonlyMap<string, Iterable<number>>): void {
  const copy: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [sender, next] of Object.entries(have)) if (Number.isSafeInteger(next) && next > 1) copy[sender] = next;
  sync.have = copy;
  for (const [sender, seqs] of above ?? []) {
    const next = copy[sender] ?? 1;
    const set = new Set([...seqs].filter((seq) => Number.isSafeInteger(seq) && seq > next));
    if (set.size > 0) sync.above.set(sender, set);
  }
}

/** The sync that takes history pages now: syncing for the newest page, or a member's backfill; else null. */
export const pagingSync = (life: Lifecycle): Sync | null =>
  life.phase === 'syncing' ? life.sync : life.phase === 'member' ? (life.backfill?.sync ?? null) : null;

/** The sync a hand-over is under way in (syncing, adopting, a member's backfill): what it shows counts as taken. */
export const handingOver = (life: Lifecycle): Sync | null =>
  life.phase === 'syncing' || life.phase === 'adopting' ? life.sync : pagingSync(life);

/**
 * The next request to the sponsor, under a new id (null until our store was
 * read), for the newest items below `before` (by default the lowest key
 * taken; null: the newest page, which carries the state); marks it asked.
 */
export function ask(
  sync: Sync,
  groupId: GroupId,
  now: number,
  before: string | null = sync.before,
): HistoryRequestFrame | null {
  if (sync.have === undefined) return null;
  sync.askedAt = now;
  sync.reaskAt = null;
  const req = (sync.reqs += 1);
  sync.asked = {
    t: 'history-req',
    groupId,
    req,
    have: wireHave(sync.have),
    after: null,
    before,
    limit: HISTORY_REQUEST_ITEMS,
  };
  return sync.asked;
}

/**
 * Our last request again, same id, for when it or its answer may have been
 * lost (the link to the sponsor went down and up, or the sponsor stayed
 * silent): an answer to either copy is the answer. Null if nothing was asked.
 */
export function askAgain(sync: Sync, now: number): HistoryRequestFrame | null {
  if (sync.asked === null) return null;
  sync.askedAt = now;
  return sync.asked;
}

/** At most MAX_SENDER_ENTRIES senders on the wire, the longest runs: one left out is handed again, not lost. */
export const wireHave = (have: Readonly<Record<string, number>>): Record<string, number> => {
  const entries = Object.entries(have);
  if (entries.length <= MAX_SENDER_ENTRIES) return { ...have };
  entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return Object.fromEntries(entries.slice(0, MAX_SENDER_ENTRIES));
};

/**
 * Whether `page` from `from` answers our last request, or the one before it
 * whose page is in hand (`early`); anything else is a late answer to an
 * earlier one.
 */
export const answersLast = (sync: Sync, from: PeerId, page: HistoryResponseFrame): boolean =>
  sync.asked !== null &&
  from === sync.sponsor &&
  (page.req === sync.asked.req || page.req === sync.early) &&
  !sync.dropped.has(from);

/**
 * A page that answers our last request has arrived and is not the last: the
 * next request, before its first item, goes out before the page is checked,
 * stored and shown (PROTOCOL.md §4, pipelined pages), so the sponsor reads
 * and sends the next page meanwhile. At most one page is in hand: null when
 * one is, or when this page does not qualify. The newest page (it carries the
 * state) does not: the next is asked once the state is adopted. The page is
 * vetted as any other when it is taken; a sponsor dropped for it meanwhile has
 * its answer to this request ignored.
 */
export function askAhead(
  sync: Sync,
  groupId: GroupId,
  from: PeerId,
  page: HistoryResponseFrame,
  now: number,
): HistoryRequestFrame | null {
  const first = page.items[0];
  if (sync.early !== null || page.done || first === undefined || sync.asked?.req !== page.req) return null;
  if (page.state !== undefined || !answersLast(sync, from, page)) return null;
  const req = ask(sync, groupId, now, first.order);
  if (req !== null) sync.early = page.req;
  return req;
}

export { isHeld, releaseHeld, shows, takePage, took } from './join-held.ts';

/** Start over with `sponsor` from the newest page; a fresh hand-over never builds on a stale one nor its held items. */
export function restart(sync: Sync, sponsor: PeerId): void {
  sync.sponsor = sponsor;
  sync.before = null;
  sync.early = null;
  sync.stateParts.clear();
  sync.seen.clear();
  sync.held.clear();
  sync.heldBytes = 0;
  sync.corroboration.restart();
}

/**
 * Why a page of the sponsor's answer cannot come from an honest sponsor, or
 * null. An honest page that is not the last carries at least one item; its
 * items are of this group, in strictly increasing order; and one sponsor hands at most MAX_HANDOVER_ITEMS and
 * MAX_HANDOVER_BYTES in a sync. Counts what the page hands.
 */
export function vetPage(sync: Sync, groupId: GroupId, page: HistoryResponseFrame): string | null {
  // A state's parts after the first carry no items (state-parts.ts).
  if (!page.done && page.items.length === 0 && (page.statePart?.index ?? 0) === 0)
    return 'Its history page was not the last and carried no message (no progress).';
  let prev: string | null = null;
  for (const item of page.items) {
    if (item.frame.groupId !== groupId)
      return `Its history page carried a message of another group (${item.frame.groupId}).`;
    if (prev !== null && !(item.order > prev))
      return `Its history page's order keys do not increase (${item.order} after ${prev}).`;
    prev = item.order;
  }
  // A page ending at or above the lowest key taken: the sponsor started its paging over with a
  // newer hand-over (it restarted or forgot us, sponsor-desk.ts); the cap below counts every start.
  const last = page.items.at(-1)?.order;
  if (last !== undefined && sync.before !== null && !(last < sync.before)) sync.seen.clear();
  const spent = sync.spent.get(sync.sponsor) ?? { items: 0, bytes: 0 };
  sync.spent.set(sync.sponsor, spent);
  spent.items += page.items.length;
  // The page's text as received where the parser saw it (its items and its envelope), else its items' JSON.
  if (page.items.length > 0) spent.bytes += pageWireBytes(page) ?? utf8ByteLength(JSON.stringify(page.items));
  if (spent.items > MAX_HANDOVER_ITEMS || spent.bytes > MAX_HANDOVER_BYTES)
    return `It handed more than ${MAX_HANDOVER_ITEMS} messages or ${MAX_HANDOVER_BYTES} bytes in one join.`;
  for (const { frame } of page.items) {
    const s = sync.seen.get(frame.sender);
    if (s === undefined) sync.seen.set(frame.sender, { seq: frame.seq, viewId: frame.viewId });
    else {
      s.seq = Math.max(s.seq, frame.seq);
      s.viewId = Math.max(s.viewId, frame.viewId);
    }
  }
  return null;
}

/**
 * Why the sponsor's hand-over `state` contradicts the items it handed in this
 * paging, or null: an honest sponsor hands only what its state counts as
 * delivered (countedByHandover: a named sender below its next seq, another
 * only from an incarnation before the state's).
 */
export function vetState(sync: Sync, state: JoinerState): string | null {
  for (const [sender, s] of sync.seen) {
    const next = state.nextSeq[sender];
    if (next === undefined ? s.viewId >= state.incarnation : s.seq >= next)
      return `It handed ${sender}'s message ${s.seq} (view ${s.viewId}) that its own state does not count as delivered (next seq ${next ?? 'none'}, incarnation ${state.incarnation}).`;
  }
  return null;
}

/**
 * Drop the sponsor for this sync: the next old member present that was not
 * dropped, round the circle, or null when every one was (the joiner then
 * waits: nobody it trusts can hand it the state).
 */
export function dropSponsor(sync: Sync, present: ReadonlySet<PeerId>, unbacked = false): PeerId | null {
  sync.dropped.add(sync.sponsor);
  if (unbacked) sync.unbacked.add(sync.sponsor);
  else sync.unbacked.delete(sync.sponsor);
  pardon(sync, present);
  return nextSponsor(
    sync.joiner,
    sync.sponsor,
    [...sync.oldMembers].filter((p) => present.has(p) && !sync.dropped.has(p)),
  );
}

/** A refused hand-over: start over with the same sponsor after the paced pause. */
export function refused(sync: Sync, now: number): void {
  sync.refusals += 1;
  restart(sync, sync.sponsor);
  sync.reaskAt = now + reaskPause(sync.refusals);
}

/**
 * After a membership change: 'stay' while the sponsor is present, else the
 * first old member still present in our order of sponsors, or null when none is (the group goes on
 * afresh from this view's flush).
 */
export function sponsorAmong(sync: Sync, present: ReadonlySet<PeerId>): PeerId | 'stay' | null {
  if (present.has(sync.sponsor)) return 'stay';
  pardon(sync, present);
  const left = [...sync.oldMembers].filter((p) => present.has(p));
  if (left.length === 0) return null;
  // Only dropped sponsors left: stay put (asking none of them), the group's state is still theirs.
  return (
    firstSponsor(
      sync.joiner,
      left.filter((p) => !sync.dropped.has(p)),
    ) ?? 'stay'
  );
}

/**
 * What a tick owes the sync: a paced re-ask that is due, or after
 * HISTORY_RETRY_MS of silence the next sponsor round the circle; null when
 * nothing is due. The circle is the old members present; for a joiner
 * (`joining`), when the silent sponsor is the only one of them left (or none
 * is), it takes in every other member present: one that joined after us may
 * have adopted the state while the old member we asked is itself still
 * waiting for it (two joiners naming each other after the sponsor of both
 * crashed, seed 33377310). A member's backfill keeps to the old members: a
 * later one holds no older history than they do.
 */
export function due(
  sync: Sync,
  trackerMembers: ReadonlySet<PeerId>,
  self: PeerId,
  joining: boolean,
  now: number,
): { readonly sponsor: PeerId } | null {
  if (sync.have === undefined) return null;
  if (sync.reaskAt !== null) return now >= sync.reaskAt ? { sponsor: sync.sponsor } : null;
  if (now - sync.askedAt < HISTORY_RETRY_MS) return null;
  pardon(sync, trackerMembers);
  const askable = (p: PeerId): boolean => trackerMembers.has(p) && !sync.dropped.has(p) && p !== self;
  let old = [...sync.oldMembers].filter(askable);
  // The only old member left to ask is the silent one: those dropped only for an unbacked count are
  // asked again too, as when none is left (`pardon`), before the circle widens to later joiners that
  // may be waiting for state themselves (three re-joiners asked each other for good while the one
  // member with state, dropped for a count after a restore, was never asked again).
  if (joining && !old.some((p) => p !== sync.sponsor)) {
    pardon(sync, trackerMembers, true);
    old = [...sync.oldMembers].filter(askable);
  }
  const candidates = !joining || old.some((p) => p !== sync.sponsor) ? old : [...trackerMembers].filter(askable);
  return { sponsor: nextSponsor(sync.joiner, sync.sponsor, candidates) ?? sync.sponsor };
}

/**
 * When no old member present is left that was not dropped (`evenSo`: or the one left is silent), those
 * dropped only for a count without a head are asked again and taken at their word: an honest count
 * after a sender's resume floor has no head (PROTOCOL.md §4 "Heads"), and never joining would lose
 * more than a count taken on trust.
 */
function pardon(sync: Sync, present: ReadonlySet<PeerId>, evenSo = false): void {
  if (!evenSo && [...sync.oldMembers].some((p) => present.has(p) && !sync.dropped.has(p))) return;
  for (const p of sync.unbacked) {
    if (!present.has(p)) continue;
    sync.dropped.delete(p);
    sync.unbacked.delete(p);
    sync.atWord.add(p);
  }
}
