// A group's log kept in order as it changes, so one new message costs the
// same with 100 messages held as with 100 000: messages sit in an array
// sorted by order key (they nearly always arrive at the end: a push; anything
// else is a binary-search insert, never a re-sort), and each system line or
// note remembers its slot, the index of the message it stands before, moved
// by each insert or removal instead of merged again. `items(lo, hi)` turns a
// range of messages into what the log shows (asides and day separators
// placed), costing the range, not the log. It gives exactly what
// `buildTimeline` (timeline.ts, the definition) gives for the same content,
// and the same item objects for what did not change between two calls, so the
// page's keyed list leaves those rows alone.

import type { ChatMessage, SystemLine } from '@chorus/peer';
import type { MessageId } from '@chorus/protocol';
import { compareMessages, dayKey, dayLabel, type Note, type TimelineItem } from './timeline.ts';

/** Day separators remembered for reuse; past this many (a long scroll through many days), forgotten and made again. */
const DAY_ITEMS = 1_000;

type Aside = Extract<TimelineItem, { kind: 'system' | 'note' }>;

interface PlacedAside {
  entry: Aside;
  readonly at: number;
  /** 0 for system lines, 1 for notes: at one time, system lines come first (as in buildTimeline). */
  readonly rank: number;
  readonly seq: number;
  /** Index of the first message with sentAt > at (the message this aside stands before), or the length. */
  slot: number;
}

export class LogIndex {
  readonly #list: ChatMessage[] = [];
  readonly #byId = new Map<MessageId, ChatMessage>();
  /** Sorted by (at, rank, seq), hence by slot too: a later time never stands before an earlier one. */
  #asides: PlacedAside[] = [];
  #asideSeq = 0;
  /** The item of each message object given out (a replaced message gets a new one). */
  readonly #messageItems = new WeakMap<ChatMessage, Extract<TimelineItem, { kind: 'message' }>>();
  /** Day separators given out, by key and label (bounded: cleared when it grows past DAY_ITEMS). */
  #dayItems = new Map<string, TimelineItem>();

  get length(): number {
    return this.#list.length;
  }

  get(id: MessageId): ChatMessage | undefined {
    return this.#byId.get(id);
  }

  at(index: number): ChatMessage | undefined {
    return this.#list[index];
  }

  /** The messages in log order (a copy). */
  messages(): ChatMessage[] {
    return [...this.#list];
  }

  /** Index of the first message whose order key is >= `order` (the length when none). */
  lowerBound(order: string): number {
    let lo = 0;
    let hi = this.#list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#list[mid]!.order < order) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first message whose order key is > `order` (the length when none). */
  upperBound(order: string): number {
    let lo = 0;
    let hi = this.#list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#list[mid]!.order <= order) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds a message, or replaces the one with its id (in place when its order key and time are unchanged). */
  put(message: ChatMessage): void {
    const prev = this.#byId.get(message.id);
    if (prev !== undefined) {
      const i = this.#indexOf(prev);
      if (prev.order === message.order && prev.sentAt === message.sentAt) {
        this.#list[i] = message;
        this.#byId.set(message.id, message);
        return;
      }
      this.#removeAt(i);
    }
    this.#byId.set(message.id, message);
    const last = this.#list[this.#list.length - 1];
    const k =
      last === undefined || compareMessages(last, message) <= 0 ? this.#list.length : this.#insertionPoint(message);
    this.#list.splice(k, 0, message);
    for (const a of this.#asides) {
      if (a.slot >= k) a.slot = message.sentAt > a.at ? k : a.slot + 1;
    }
  }

  remove(id: MessageId): boolean {
    const prev = this.#byId.get(id);
    if (prev === undefined) return false;
    this.#removeAt(this.#indexOf(prev));
    return true;
  }

  addSystem(line: SystemLine, key: string): void {
    this.#addAside({ kind: 'system', key, line }, line.at, 0);
  }

  addNote(note: Note): void {
    this.#addAside({ kind: 'note', key: `n${note.id}`, note }, note.at, 1);
  }

  /** A held note's new text, in its place (a line that counts something); false when it scrolled away. */
  replaceNote(note: Note): boolean {
    const key = `n${note.id}`;
    const placed = this.#asides.find((a) => a.entry.key === key);
    if (placed === undefined) return false;
    placed.entry = { kind: 'note', key, note };
    return true;
  }

  /** Drops a system line or note (older ones scroll away). */
  removeAside(key: string): void {
    this.#asides = this.#asides.filter((a) => a.entry.key !== key);
  }

  /**
   * What the log shows for messages [lo, hi): each message, the asides that
   * stand before them (and after the last one when hi is the end), and a day
   * separator wherever the local date changes — judged against the message
   * before `lo`, so a range cut out of the log looks as it does in the whole.
   */
  items(lo: number, hi: number, now: number): TimelineItem[] {
    const list = this.#list;
    const n = list.length;
    lo = Math.max(0, Math.min(lo, n));
    hi = Math.max(lo, Math.min(hi, n));
    const out: TimelineItem[] = [];
    let day = lo > 0 ? dayKey(list[lo - 1]!.sentAt) : '';
    const push = (entry: Exclude<TimelineItem, { kind: 'day' }>, at: number): void => {
      const key = dayKey(at);
      if (key !== day) {
        day = key;
        out.push(this.#dayItem(`d${key}:${entry.key}`, dayLabel(at, now)));
      }
      out.push(entry);
    };
    const asides = this.#asides;
    let j = 0;
    while (j < asides.length && asides[j]!.slot < lo) j++;
    for (let i = lo; i < hi; i++) {
      while (j < asides.length && asides[j]!.slot === i) push(asides[j]!.entry, asides[j++]!.at);
      const m = list[i]!;
      let item = this.#messageItems.get(m);
      if (item === undefined) {
        item = { kind: 'message', key: `m${m.id}`, message: m };
        this.#messageItems.set(m, item);
      }
      push(item, m.sentAt);
    }
    if (hi === n) while (j < asides.length) push(asides[j]!.entry, asides[j++]!.at);
    return out;
  }

  #dayItem(key: string, label: string): TimelineItem {
    const at = `${key}\u0000${label}`;
    let item = this.#dayItems.get(at);
    if (item === undefined) {
      if (this.#dayItems.size >= DAY_ITEMS) this.#dayItems = new Map();
      item = { kind: 'day', key, label };
      this.#dayItems.set(at, item);
    }
    return item;
  }

  #addAside(entry: Aside, at: number, rank: number): void {
    let slot = 0;
    while (slot < this.#list.length && !(this.#list[slot]!.sentAt > at)) slot++;
    const placed: PlacedAside = { entry, at, rank, seq: ++this.#asideSeq, slot };
    let i = this.#asides.length;
    while (i > 0 && before(placed, this.#asides[i - 1]!)) i--;
    this.#asides.splice(i, 0, placed);
  }

  #removeAt(k: number): void {
    const [gone] = this.#list.splice(k, 1);
    if (gone !== undefined) this.#byId.delete(gone.id);
    for (const a of this.#asides) {
      if (a.slot > k) a.slot -= 1;
      else if (a.slot === k) {
        let s = k;
        while (s < this.#list.length && !(this.#list[s]!.sentAt > a.at)) s++;
        a.slot = s;
      }
    }
  }

  /** Index of the first message that sorts after `m` (where `m` goes). */
  #insertionPoint(m: ChatMessage): number {
    let lo = 0;
    let hi = this.#list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareMessages(this.#list[mid]!, m) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of a message held here (by its order key, then its id). */
  #indexOf(m: ChatMessage): number {
    for (let i = this.lowerBound(m.order); i < this.#list.length; i++) {
      if (this.#list[i]!.id === m.id) return i;
    }
    throw new Error(`LogIndex: ${m.id} is indexed but not listed`);
  }
}

function before(a: PlacedAside, b: PlacedAside): boolean {
  return a.at !== b.at ? a.at < b.at : a.rank !== b.rank ? a.rank < b.rank : a.seq < b.seq;
}
