// What a joiner takes from its history pages and its engine while a hand-over
// is under way (PROTOCOL.md §4): which items it shows now, which wait above a
// hole in their sender's chain ("Above a hole"), and how each sender's run of
// shown seqs (`Sync.have`, `above`) grows. Pure bookkeeping on a Sync
// (join-sync.ts).

import type { PeerId } from '../ids.ts';
import { utf8ByteLength } from '../wire/utf8.ts';
import type { DataFrame, HistoryItem } from '../wire/frames.ts';
import type { Sync } from './join-sync.ts';

/**
 * A page's verified items taken: each one is stored and shown now (returned,
 * seq order per sender) unless a predecessor it names through its chain is
 * owed (`owedBelow`, chain-check.ts `ChainGaps`: neither held nor handed
 * yet) or a lower seq of its sender comes later on the same page; such an
 * item is held back until what is owed below it comes (PROTOCOL.md §4,
 * "Above a hole"). An item above a hole nothing names (a
 * chain restart, a seq below a floor) is shown above it. One shown already is
 * skipped. The paging moves below the page (`lowest`, its first key: pages
 * go backwards).
 */
export function takePage(
  sync: Sync,
  items: readonly HistoryItem[],
  lowest: string | undefined,
  owedBelow: (sender: PeerId, seq: number) => boolean,
): HistoryItem[] {
  const out: HistoryItem[] = [];
  if (lowest !== undefined && (sync.before === null || lowest < sync.before)) sync.before = lowest;
  if (sync.have === undefined) return out;
  // Per item, whether a lower seq of its sender comes later on the page: that one goes first
  // (order keys need not follow seqs).
  const later = lowerSeqLater(items);
  for (const [i, item] of items.entries()) {
    const f = item.frame;
    if (shows(sync, f) || isHeld(sync, f)) continue;
    if (!later[i] && !owedBelow(f.sender, f.seq)) {
      showOne(sync, item, out);
      continue;
    }
    const held = sync.held.get(f.sender) ?? new Map<number, { item: HistoryItem; bytes: number }>();
    sync.held.set(f.sender, held);
    const bytes = utf8ByteLength(JSON.stringify(item));
    held.set(f.seq, { item, bytes });
    sync.heldBytes += bytes;
  }
  // What this page (or a live delivery) paid lets what waited above it follow, in seq order.
  for (const [sender, held] of [...sync.held])
    for (const seq of [...held.keys()].sort((x, y) => x - y)) {
      if (owedBelow(sender, seq)) break;
      const item = unhold(sync, sender, seq);
      if (item !== undefined) showOne(sync, item, out);
    }
  return out;
}

/** For each item, whether an item of the same sender with a lower seq comes after it (one pass from the end). */
function lowerSeqLater(items: readonly HistoryItem[]): boolean[] {
  const later = new Array<boolean>(items.length);
  const lowest = new Map<PeerId, number>();
  for (let i = items.length - 1; i >= 0; i--) {
    const f = items[i]!.frame;
    const low = lowest.get(f.sender);
    later[i] = low !== undefined && low < f.seq;
    if (low === undefined || f.seq < low) lowest.set(f.sender, f.seq);
  }
  return later;
}

/** Whether a page item is held back above a hole in its sender's chain (`takePage`). */
export const isHeld = (sync: Sync, frame: DataFrame): boolean => sync.held.get(frame.sender)?.has(frame.seq) === true;

/**
 * Every held item, to be shown above its hole after all (seq order per
 * sender): the hand-over ends without anyone to fill the hole, or the held
 * items passed MAX_HELD_HISTORY_BYTES.
 */
export function releaseHeld(sync: Sync): HistoryItem[] {
  const out: HistoryItem[] = [];
  for (const [sender, held] of [...sync.held])
    for (const seq of [...held.keys()].sort((x, y) => x - y)) {
      const item = unhold(sync, sender, seq);
      if (item !== undefined && !shows(sync, item.frame)) showOne(sync, item, out);
    }
  return out;
}

/** `item` is shown now (into `out`): it moves its sender's run on, or counts as shown above it. */
function showOne(sync: Sync, item: HistoryItem, out: HistoryItem[]): void {
  const have = sync.have;
  if (have === undefined) return;
  const f = item.frame;
  out.push(item);
  const next = have[f.sender] ?? 1;
  if (f.seq === next) have[f.sender] = runFrom(sync, f.sender, f.seq + 1, out);
  else {
    const above = sync.above.get(f.sender) ?? new Set<number>();
    sync.above.set(f.sender, above);
    above.add(f.seq);
  }
}

/** `sender`'s run from `run` on: it takes in the seqs shown above it and the held items it reaches (into `out`). */
function runFrom(sync: Sync, sender: PeerId, run: number, out: HistoryItem[]): number {
  const above = sync.above.get(sender);
  for (;;) {
    const shown = above?.delete(run) === true;
    const held = unhold(sync, sender, run);
    if (!shown && held === undefined) break;
    if (!shown && held !== undefined) out.push(held);
    run += 1;
  }
  if (above?.size === 0) sync.above.delete(sender);
  return run;
}

/** A held item leaves the hold (shown now, or a copy of it is). */
function unhold(sync: Sync, sender: PeerId, seq: number): HistoryItem | undefined {
  const held = sync.held.get(sender);
  const entry = held?.get(seq);
  if (held === undefined || entry === undefined) return undefined;
  held.delete(seq);
  if (held.size === 0) sync.held.delete(sender);
  sync.heldBytes -= entry.bytes;
  return entry.item;
}

/**
 * Messages our engine delivered while we sync (a flush gave it state): shown
 * already, so a page repeating one is not shown again, and a held copy is
 * dropped. A held item the run reaches stays held until the next page is
 * taken (`takePage`) or the hold is released.
 */
export function took(sync: Sync, frames: readonly DataFrame[]): void {
  const have = sync.have;
  if (have === undefined) return;
  for (const f of frames) {
    unhold(sync, f.sender, f.seq);
    const next = have[f.sender] ?? 1;
    if (f.seq < next) continue;
    let above = sync.above.get(f.sender);
    if (f.seq > next) {
      if (above === undefined) sync.above.set(f.sender, (above = new Set()));
      above.add(f.seq);
      continue;
    }
    let run = f.seq + 1;
    while (above?.delete(run) === true) run += 1;
    if (above?.size === 0) sync.above.delete(f.sender);
    have[f.sender] = run;
  }
}

/** Whether the session shows `frame` already (its store's run, a page, a delivery): not again (S1). */
export const shows = (sync: Sync, frame: DataFrame): boolean =>
  frame.seq < (sync.have?.[frame.sender] ?? 1) || sync.above.get(frame.sender)?.has(frame.seq) === true;
