// The one reader of a group's stored history for history sync (PROTOCOL.md
// §4): what a joiner holds (its `have` vector) and the sponsor's pages for a
// joiner's request. Pure: each reader is a generator that asks for store
// pages (`StoreRead`) and gets them back, so packages/peer drives it over
// IndexedDB, memory or SQLite (`readHistoryPage`, async) and the simulator
// over its store model (`readHistoryPageSync`), and both run this code.

import type { GroupId } from '../ids.ts';
import { MAX_HISTORY_ITEMS, MAX_SENDER_ENTRIES } from '../wire/caps.ts';
import type { DataFrame, HistoryItem, HistoryRequestFrame, HistoryResponseFrame, JoinerState } from '../wire/frames.ts';
import { jsonUtf8Bytes } from '../wire/json-size.ts';
import { utf8ByteLength } from '../wire/utf8.ts';

/**
 * Bytes of items per page. Well under MAX_FRAME_BYTES (1 MiB) so one page is
 * always a legal frame, small enough that a page does not hog a data channel
 * that also carries live messages (the mesh chunks it anyway).
 */
export const HISTORY_PAGE_BYTES = 256 * 1024;
/** Records asked of the store per read at most (the stores cap a page at 5 000). */
export const HISTORY_SCAN_RECORDS = 1_000;

/** What the readers need of a stored message. */
export interface HistoryRecord {
  readonly frame: DataFrame;
  readonly order: string;
  readonly senderName?: string;
  readonly senderKey?: string;
}

/**
 * One read of a group's records, oldest first by order key: strictly after
 * `after`; or, with `before` (null: from the newest), the newest `limit`
 * strictly below it — a read backwards, still oldest first within it.
 */
export interface StoreRead {
  readonly after: string | null;
  readonly limit: number;
  readonly before?: string | null;
}

/**
 * A store's answer: `next` is the `after` of the following read, null at the
 * end; for a read backwards, the `before` of the preceding read (its lowest
 * key), null at the start.
 */
export interface StorePage<R extends HistoryRecord = HistoryRecord> {
  readonly items: readonly R[];
  readonly next: string | null;
}

/**
 * The minimal store: pages of one group by order key (MessageStore.page has
 * this shape) and, where the store can, the newest records below a key
 * (MessageStore.before); a store without it is read backwards by a forward
 * scan (`readBackwards`).
 */
export interface HistorySource<R extends HistoryRecord = HistoryRecord> {
  page(groupId: GroupId, read: StoreRead): StorePage<R> | Promise<StorePage<R>>;
  before?(groupId: GroupId, before: string | null, limit: number): readonly R[] | Promise<readonly R[]>;
}

/** Per sender, the next seq a joiner holds for the group: it has every seq below it. */
export type HeldVector = Readonly<Record<string, number>>;

/**
 * Whether the hand-over `state` counts `frame` as delivered: a sender it names
 * up to its next seq; a sender it does not name only in an incarnation before
 * the state's (PROTOCOL.md §3.11: the state's engine can never deliver those).
 * A sender that joined after the hand-over was taken is not named, and its
 * messages (sent in the state's incarnation) are left to the joiner's engine:
 * handing them over too delivered them twice.
 */
export function countedByHandover(state: Pick<JoinerState, 'nextSeq' | 'incarnation'>, frame: DataFrame): boolean {
  const next = state.nextSeq[frame.sender];
  return next === undefined ? frame.viewId < state.incarnation : frame.seq < next;
}

/** What a store keeps about a group that bears on what it holds (packages/peer GroupRecord). */
export interface HeldRecord {
  readonly ordering: 'fifo' | 'total';
  readonly state: { readonly nextSeq: Readonly<Record<string, number>> } | null;
  readonly tentative?: Readonly<Record<string, number>>;
  /** Per sender, seqs at or below it that the store lacks are none it will be handed (PROTOCOL.md §4, `floors`). */
  readonly floors?: Readonly<Record<string, number>>;
}

/**
 * A record's floors as data from disk: only senders with a safe integer seq
 * ≥ 1 (anything else counts as no floor, so the sponsor hands that sender
 * from its first hole: bytes, not loss).
 */
export function recordFloors(record: Pick<HeldRecord, 'floors'> | null | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  const floors: unknown = record?.floors;
  if (typeof floors !== 'object' || floors === null) return out;
  for (const [sender, floor] of Object.entries(floors))
    if (Number.isSafeInteger(floor) && (floor as number) >= 1) out[sender] = floor as number;
  return out;
}

/**
 * What a session starting over a store counts as held (PROTOCOL.md §4). In a
 * total-order group a stored message the last session called tentative
 * (delivered, not known to every member) may sit at a key only that session
 * computed (a non-uniform delivery, §3.10), and one stored beyond the saved
 * state was never vouched for by it: per sender, `have` stops at the first
 * of them, so the sponsor hands them again with the group's keys and the
 * store takes those (`putHistory`). FIFO keys are a display order: kept.
 */
export function settledHeld(have: HeldVector, record: HeldRecord | null): HeldVector {
  if (record === null || record.ordering !== 'total') return have;
  const out: Record<string, number> = {};
  for (const [sender, next] of Object.entries(have)) {
    const limit = Math.min(next, record.tentative?.[sender] ?? next, record.state?.nextSeq[sender] ?? next);
    if (limit > 1) out[sender] = limit;
  }
  return out;
}

/**
 * The seqs a store holds above a hole (`heldSteps`' `above`) that a session
 * over it shows already and takes as held: in a total-order group only those
 * below where `settledHeld` stops the run (what lies beyond it is handed again
 * at the group's keys).
 */
export function settledAbove(
  above: ReadonlyMap<string, readonly number[]>,
  record: HeldRecord | null,
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [sender, seqs] of above) {
    const limit =
      record?.ordering === 'total'
        ? Math.min(record.tentative?.[sender] ?? Infinity, record.state?.nextSeq[sender] ?? Infinity)
        : Infinity;
    const kept = seqs.filter((seq) => seq < limit);
    if (kept.length > 0) out.set(sender, kept);
  }
  return out;
}

/** Whether the joiner already holds `frame`. */
export const heldBy = (have: HeldVector, frame: DataFrame): boolean => frame.seq < (have[frame.sender] ?? 1);

export function toHistoryItem(m: HistoryRecord, senderKey: string | null): HistoryItem {
  const key = m.senderKey ?? senderKey;
  const { frame, order, senderName } = m;
  // One object literal per shape, no spreads: a sponsor builds one per item it hands.
  if (key === null) return senderName === undefined ? { frame, order } : { frame, order, senderName };
  return senderName === undefined ? { frame, order, senderKey: key } : { frame, order, senderName, senderKey: key };
}

/**
 * What a joiner holds of a group: per sender, one past the longest run of
 * seqs 1, 2, 3, … in its store, where a seq at or below the sender's floor
 * (the group record's `floors`: seqs no sponsor will hand this store, skipped
 * by a resume floor, §3.1) counts as held. A seq above a hole does not count
 * (the sponsor hands it again; the store keeps one copy). At most
 * MAX_SENDER_ENTRIES senders, those with the longest runs: a sender left out
 * is handed over again from its first message, which costs bytes, not
 * messages.
 */
export function* heldSteps(
  floors: Readonly<Record<string, number>> = {},
  tips?: Map<string, DataFrame>,
  above?: Map<string, number[]>,
  own?: OwnFrames,
): Generator<StoreRead, HeldVector, StorePage> {
  const seqs = new Map<string, Set<number>>();
  // With `tips`: per sender the frames by seq, to hand back the one at the end of each run (chain-book.ts).
  const frames = new Map<string, Map<number, DataFrame>>();
  let after: string | null = null;
  for (;;) {
    const page: StorePage = yield { after, limit: HISTORY_SCAN_RECORDS };
    for (const r of page.items) {
      let s = seqs.get(r.frame.sender);
      if (s === undefined) seqs.set(r.frame.sender, (s = new Set()));
      s.add(r.frame.seq);
      if (own !== undefined && r.frame.sender === own.sender) own.frames.push(r.frame);
      if (tips === undefined) continue;
      let f = frames.get(r.frame.sender);
      if (f === undefined) frames.set(r.frame.sender, (f = new Map()));
      f.set(r.frame.seq, r.frame);
    }
    if (page.next === null) break;
    after = page.next;
  }
  const runs: [string, number][] = [];
  for (const sender of new Set([...seqs.keys(), ...Object.keys(floors)])) {
    const s = seqs.get(sender);
    const floor = floors[sender] ?? 0;
    let next = Math.max(1, floor + 1);
    while (s?.has(next) === true) next += 1;
    if (next > 1) runs.push([sender, next]);
    const tip = frames.get(sender)?.get(next - 1);
    if (tips !== undefined && tip !== undefined) tips.set(sender, tip);
    const beyond = [...(s ?? [])].filter((seq) => seq > next).sort((a, b) => a - b);
    if (above !== undefined && beyond.length > 0) above.set(sender, beyond);
  }
  runs.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return Object.fromEntries(runs.slice(0, MAX_SENDER_ENTRIES));
}

/** With `own`: the reader puts there every stored message of `sender` (a re-issue's candidates, PROTOCOL.md §3.1). */
export interface OwnFrames {
  readonly sender: string;
  readonly frames: DataFrame[];
}

export interface PageInput {
  readonly groupId: GroupId;
  /** The hand-over state this joiner's paging uses (SponsorDesk pins it). */
  readonly state: JoinerState;
  readonly req: HistoryRequestFrame;
  /** A sender's key when the record has none (the sponsor's name book). */
  readonly keyOf: (m: HistoryRecord) => string | null;
}

/**
 * The sponsor's answer to `req`. Backwards (`req.before` present): the page
 * `olderPageSteps` reads, the state on the newest one (`before` null), `done`
 * when nothing older is owed. Forwards: the stored messages after `req.after` that
 * the state counts and the joiner does not hold (`req.have`), in the store's
 * order, at most `req.limit` and HISTORY_PAGE_BYTES of them; the state on the
 * last page (done). A state that does not fit beside the items gets a page of
 * its own: the joiner asks again after these items. Every page that is not
 * done carries at least one item, whose order key the next request starts
 * after.
 */
export function* historyPageSteps(input: PageInput): Generator<StoreRead, HistoryResponseFrame, StorePage> {
  const { groupId, state, req } = input;
  // Measured only for a page that may carry the state: a state can hold thousands of unstable messages, and a
  // backfill's every other page would pay for its JSON again.
  const stateBytes = (): number => utf8ByteLength(JSON.stringify(state));
  if (req.before !== undefined) {
    // Backwards: the newest page (`before` null) carries the state, beside as many items as fit with it.
    const head = req.before === null;
    const { items, done } = yield* olderPageSteps({
      groupId,
      state,
      have: req.have,
      before: req.before,
      limit: req.limit,
      keyOf: input.keyOf,
      room: head ? HISTORY_PAGE_BYTES - stateBytes() : HISTORY_PAGE_BYTES,
    });
    const page = { t: 'history-res' as const, groupId, req: req.req, items, done };
    return head ? { ...page, state } : page;
  }
  const cap = Math.max(1, Math.min(req.limit, MAX_HISTORY_ITEMS));
  const items: HistoryItem[] = [];
  let bytes = 0;
  let after = req.after;
  let done = false;
  // The first read asks for a page's worth; reads that follow (most records were held) grow.
  for (let read = cap; ; read = Math.min(2 * read, HISTORY_SCAN_RECORDS)) {
    const page: StorePage = yield { after, limit: read };
    let full = false;
    for (const m of page.items) {
      if (m.frame.groupId !== groupId || heldBy(req.have, m.frame) || !countedByHandover(state, m.frame)) continue;
      const item = toHistoryItem(m, input.keyOf(m));
      const size = jsonUtf8Bytes(item);
      if (items.length >= cap || (items.length > 0 && bytes + size > HISTORY_PAGE_BYTES)) {
        full = true;
        break;
      }
      items.push(item);
      bytes += size;
    }
    if (full) break;
    if (page.next === null) {
      done = true;
      break;
    }
    after = page.next;
  }
  if (done && items.length > 0 && bytes + stateBytes() > HISTORY_PAGE_BYTES) done = false;
  const base = { t: 'history-res' as const, groupId, req: req.req, items, done };
  return done ? { ...base, state } : base;
}

/** What a backward paging reads: the items a hand-over owes, newest first from `before` (null: the newest). */
export interface OlderPageInput {
  readonly groupId: GroupId;
  /** The hand-over state the paging uses: it hands only what the state counts. */
  readonly state: JoinerState;
  /** What the joiner holds (a run per sender): not handed again. */
  readonly have: HeldVector;
  readonly before: string | null;
  readonly limit: number;
  readonly keyOf: (m: HistoryRecord) => string | null;
  /** Bytes of items the page may carry (default HISTORY_PAGE_BYTES; less beside a state); one item always fits. */
  readonly room?: number;
}

/** A page of a backward paging: its items oldest first; `done` when nothing older is owed. */
export interface OlderPage {
  readonly items: readonly HistoryItem[];
  readonly done: boolean;
}

/**
 * The newest items below `before` that the state counts and the joiner does
 * not hold, at most `limit` and HISTORY_PAGE_BYTES of them, returned oldest
 * first (a page's keys increase, as forward pages' do); the next page of the
 * paging is asked `before` its first item's key (PROTOCOL.md §4, the joiner
 * usable before its old pages finish). `done` when nothing older is owed.
 * Reads the store backwards: `before` where it has it, else a forward scan.
 */
export function* olderPageSteps(input: OlderPageInput): Generator<StoreRead, OlderPage, StorePage> {
  const { groupId, state, have } = input;
  const cap = Math.max(1, Math.min(input.limit, MAX_HISTORY_ITEMS));
  const newestFirst: HistoryItem[] = [];
  let bytes = 0;
  let before = input.before;
  for (let read = cap; ; read = Math.min(2 * read, HISTORY_SCAN_RECORDS)) {
    const page: StorePage = yield { after: null, before, limit: read };
    for (let i = page.items.length - 1; i >= 0; i--) {
      const m = page.items[i] as HistoryRecord;
      if (m.frame.groupId !== groupId || heldBy(have, m.frame) || !countedByHandover(state, m.frame)) continue;
      const item = toHistoryItem(m, input.keyOf(m));
      const size = jsonUtf8Bytes(item);
      if (newestFirst.length >= cap || (newestFirst.length > 0 && bytes + size > (input.room ?? HISTORY_PAGE_BYTES)))
        return { items: newestFirst.reverse(), done: false };
      newestFirst.push(item);
      bytes += size;
    }
    if (page.next === null) return { items: newestFirst.reverse(), done: true };
    before = page.next;
  }
}

/** A read backwards as a StorePage: more may precede when the read came back full. */
const backPage = (items: readonly HistoryRecord[], limit: number): StorePage => ({
  items,
  next: items.length >= limit ? (items[0]?.order ?? null) : null,
});

/**
 * A read backwards from a store without `before`: one forward scan of the
 * group keeping the newest `limit` records below the key (a cost per read
 * that grows with the group: stores that can read backwards should).
 */
function* readBackwards(
  before: string | null,
  limit: number,
): Generator<StoreRead, readonly HistoryRecord[], StorePage> {
  const kept: HistoryRecord[] = [];
  let after: string | null = null;
  for (;;) {
    const page: StorePage = yield { after, limit: HISTORY_SCAN_RECORDS };
    for (const r of page.items) {
      if (before !== null && !(r.order < before)) return kept.slice(-limit);
      kept.push(r);
      if (kept.length > 2 * limit) kept.splice(0, kept.length - limit);
    }
    if (page.next === null) return kept.slice(-limit);
    after = page.next;
  }
}

/** Runs a reader over a store that answers at once (the simulator's model, tests). */
export function runSync<T>(steps: Generator<StoreRead, T, StorePage>, groupId: GroupId, source: HistorySource): T {
  const answer = <V>(v: V | Promise<V>): V => {
    if (v instanceof Promise) throw new TypeError('runSync needs a store that answers at once; use runAsync.');
    return v;
  };
  let step = steps.next();
  while (step.done !== true) {
    const read = step.value;
    let page: StorePage;
    if (read.before === undefined) page = answer(source.page(groupId, read));
    else if (source.before !== undefined)
      page = backPage(answer(source.before(groupId, read.before, read.limit)), read.limit);
    else page = backPage(runSync(readBackwards(read.before, read.limit), groupId, source), read.limit);
    step = steps.next(page);
  }
  return step.value;
}

/** Runs a reader over a store that answers with promises (IndexedDB, memory, SQLite). */
export async function runAsync<T>(
  steps: Generator<StoreRead, T, StorePage>,
  groupId: GroupId,
  source: HistorySource,
): Promise<T> {
  let step = steps.next();
  while (step.done !== true) {
    const read = step.value;
    let page: StorePage;
    if (read.before === undefined) page = await source.page(groupId, read);
    else if (source.before !== undefined)
      page = backPage(await source.before(groupId, read.before, read.limit), read.limit);
    else page = backPage(await runAsync(readBackwards(read.before, read.limit), groupId, source), read.limit);
    step = steps.next(page);
  }
  return step.value;
}

export const readHistoryPage = (source: HistorySource, input: PageInput): Promise<HistoryResponseFrame> =>
  runAsync(historyPageSteps(input), input.groupId, source);
export const readHistoryPageSync = (source: HistorySource, input: PageInput): HistoryResponseFrame =>
  runSync(historyPageSteps(input), input.groupId, source);
export const readOlderPage = (source: HistorySource, input: OlderPageInput): Promise<OlderPage> =>
  runAsync(olderPageSteps(input), input.groupId, source);
export const readOlderPageSync = (source: HistorySource, input: OlderPageInput): OlderPage =>
  runSync(olderPageSteps(input), input.groupId, source);
/**
 * With `tips`: each sender's stored message at the end of its run is put there (its chain link, PROTOCOL.md §1.5);
 * with `above`: each sender's stored seqs above the first hole of its run; with `own`: one sender's messages.
 */
export const readHeld = (
  source: HistorySource,
  groupId: GroupId,
  floors: Readonly<Record<string, number>> = {},
  tips?: Map<string, DataFrame>,
  above?: Map<string, number[]>,
  own?: OwnFrames,
): Promise<HeldVector> => runAsync(heldSteps(floors, tips, above, own), groupId, source);
export const readHeldSync = (
  source: HistorySource,
  groupId: GroupId,
  floors: Readonly<Record<string, number>> = {},
  tips?: Map<string, DataFrame>,
  above?: Map<string, number[]>,
  own?: OwnFrames,
): HeldVector => runSync(heldSteps(floors, tips, above, own), groupId, source);
