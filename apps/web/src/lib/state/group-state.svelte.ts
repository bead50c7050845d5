// One joined group as this tab sees it: the messages (merged by id, which
// names the group, from the local store, live deliveries and history sync, so
// nothing shows twice and nothing of another group shows here), the
// system lines, the people seen (keyed by public key, lib/people.ts), unread
// count and metrics. Messages are held in log order change by change
// (lib/log-index.ts): one arriving message costs the same however long the
// conversation is, and only the part of the log on screen is turned into
// timeline items. Not all of a long history is held: the newest page comes
// from the store on open, and older pages as the person scrolls up
// (`olderInStore`, `addPage`). It holds no protocol logic: every fact comes from the
// peer runtime or the store. Only this class writes its fields; the page's
// AppState tells it what happened through its methods.

import { SvelteMap } from 'svelte/reactivity';
import { LogIndex } from '../log-index.ts';
import type { ChatMessage, GroupMetrics, GroupStatus, JoinedGroup, MemberState, SystemLine } from '@chorus/peer';
import { OpFold, parseBody, type GroupId, type MessageId, type MessageView, type Ordering, type PeerId, type ViewId } from '@chorus/protocol/light';
import { nameSkeleton, peopleOf, personKey, withFingerprint, type Person, type PersonKey } from '../people.ts';
import type { Note, TimelineItem } from '../timeline.ts';

export type { Person } from '../people.ts';

/** A reply's quote: who wrote the original and what it shows now (null when the original is not held here). */
export interface Quote {
  readonly id: MessageId;
  readonly author: string;
  readonly text: string;
  readonly deleted: boolean;
}

/** One message's own change counter: what reads that message alone re-runs when it changes, not when another arrives. */
class Tick {
  v = $state(0);
}

/** System lines and notes kept per group; older ones scroll away (they are not history). */
const MAX_ASIDES = 200;

export class GroupState {
  readonly groupId: GroupId;
  /** Messages of this tab's session start counting as unread from here (history is not "new"). */
  readonly joinedAt: number;
  #name = $state('');
  #ordering = $state<Ordering>('fifo');
  #status = $state<GroupStatus>('joining');
  #members = $state.raw<readonly MemberState[]>([]);
  /** System lines and notes held (keys in the log index), oldest first, to drop the oldest past MAX_ASIDES. */
  readonly #systemKeys: string[] = [];
  readonly #noteKeys: string[] = [];
  #unread = $state(0);
  /** Unread messages that mention you (counted apart, also among `#unread`). */
  #mentions = $state(0);
  #metrics = $state.raw<GroupMetrics | null>(null);
  #problem = $state<string | null>(null);
  /** The messages, system lines and notes in log order; not reactive by itself: #version counts its changes. */
  readonly #log = new LogIndex();
  #version = $state(0);
  /**
   * Per message (held, or named by an operation): bumped when that message is
   * put, replaced, removed or its view changes. What reads one message (its
   * view, a quote of it) depends on its tick alone, so a new message at the
   * end re-runs the log's range and nothing inside the articles already shown.
   */
  readonly #ticks = new Map<MessageId, Tick>();
  /** Counts operations folded (edits, deletes, reactions, refusals), for what reads the fold as a whole. */
  #opsVersion = $state(0);
  /**
   * The store may hold messages older than the oldest held here: the last
   * page read came back full. Until a page is read, whatever arrives is held
   * (a joiner's history lands before its first read, in delivery order).
   */
  #olderInStore = $state(false);
  /**
   * The group's operations (PROTOCOL.md §8) folded with its messages: what
   * each message shows. Edits, deletes and reactions are not in the log
   * index (they are not lines of the log); replies are.
   */
  readonly #ops: OpFold;
  /** The lowest order key of the pages read from the store, operations included: where the next older page starts. */
  #pageOldest: string | null = null;
  /** The message the composer's next text replies to (null: a plain message). */
  #replyingTo = $state<MessageId | null>(null);
  /** A message to bring into view and focus (a search result was activated); the log takes it. */
  #focusRequest = $state<MessageId | null>(null);
  #loadingOlder = $state(false);
  /** Name skeleton → who wrote under it ('k' + key, or 'p' + peer id for a record without a key: resolved through the views). */
  readonly #authors = new Map<string, Set<string>>();
  #authorsVersion = $state(0);
  /** Every key seen in this group during this tab's life (with the name it used last), so people who left show as offline. */
  readonly #seen = new SvelteMap<PersonKey, string>();
  /** Which key each session of the group has, from the views: names the senders of system lines. */
  readonly #keyOfPeer = new SvelteMap<PeerId, string>();
  #noteSeq = 0;
  #systemSeq = 0;
  #outgoingSeq = 0;

  constructor(init: { groupId: GroupId; name: string; ordering: Ordering; joinedAt: number }) {
    this.groupId = init.groupId;
    this.#name = init.name;
    this.#ordering = init.ordering;
    this.joinedAt = init.joinedAt;
    this.#ops = new OpFold(init.groupId);
  }

  get name(): string { return this.#name; }
  get ordering(): Ordering { return this.#ordering; }
  get status(): GroupStatus { return this.#status; }
  get members(): readonly MemberState[] { return this.#members; }
  get unread(): number { return this.#unread; }
  get metrics(): GroupMetrics | null { return this.#metrics; }
  /** Shown inside the chat view: why a join failed, or that the tab was removed. */
  get problem(): string | null { return this.#problem; }

  /** The messages held, in log order (a copy: O(n), for tests and tools; the page reads `count` and `items`). */
  get messages(): readonly ChatMessage[] {
    void this.#version;
    return this.#log.messages();
  }

  /** How many messages are held. */
  get count(): number {
    void this.#version;
    return this.#log.length;
  }

  /** Whether the store may hold messages older than the oldest held here (scrolling up reads them). */
  get olderInStore(): boolean { return this.#olderInStore; }
  get loadingOlder(): boolean { return this.#loadingOlder; }

  /** The order key of the oldest delivered message held: where a read of older messages starts (null when none). */
  get oldestOrder(): string | null {
    void this.#version;
    const first = this.#log.at(0);
    const shown = first === undefined || first.state !== 'delivered' ? null : first.order;
    // A page of only operations moves no line of the log, but the next page starts below it.
    return shown === null ? this.#pageOldest : this.#pageOldest === null || shown < this.#pageOldest ? shown : this.#pageOldest;
  }

  /**
   * What a message shows (reactive): its text with edits applied, deleted or
   * not, the message it replies to, its reactions. A message not delivered
   * yet shows its own body.
   */
  viewOf(message: ChatMessage): MessageView {
    this.#track(message.id);
    const folded = message.state === 'delivered' ? this.#ops.view(message.id) : undefined;
    if (folded !== undefined) return folded;
    const parsed = parseBody(message.body, this.groupId);
    const reply = parsed.kind === 'op' && parsed.op.op === 'reply' ? parsed.op : null;
    return {
      id: message.id, author: message.senderKey ?? `peer:${message.sender}`, text: reply?.text ?? (parsed.kind === 'text' ? parsed.text : ''),
      replyTo: reply?.target ?? null, edited: false, deleted: false, reactions: [],
    };
  }

  /** The quote above a reply to `id` (reactive). */
  quoteOf(id: MessageId): Quote | null {
    this.#track(id);
    const original = this.#log.get(id);
    if (original === undefined) return null;
    const view = this.viewOf(original);
    return { id, author: this.authorOf(original), text: view.text, deleted: view.deleted };
  }

  /** A message held here, by id (reactive). */
  messageById(id: MessageId): ChatMessage | undefined {
    this.#track(id);
    return this.#log.get(id);
  }

  /** The name shown for a reacting key (the fold's `key` or `peer:<id>`), as the log would name it. */
  nameOfKey(identity: string): string {
    const key = identity.startsWith('peer:') ? personKey(undefined, identity.slice(5)) : (identity as PersonKey);
    const name = this.#seen.get(key);
    return name === undefined ? 'someone not seen here' : this.labelOf(name, key);
  }

  get replyingTo(): MessageId | null { return this.#replyingTo; }

  get focusRequest(): MessageId | null { return this.#focusRequest; }

  /** Show `id` in the log and focus it (the log reads older pages for it); null once the log took it. */
  requestFocus(id: MessageId | null): void {
    this.#focusRequest = id;
  }

  /** The composer's next text replies to `id` (null: cancel the reply). */
  setReplyTo(id: MessageId | null): void {
    this.#replyingTo = id;
  }

  /** Operations the fold refused (an edit or delete by another key, …): they change nothing shown. */
  get refusedOps(): number {
    void this.#opsVersion;
    return this.#ops.refused;
  }

  /** The message at a log index (reactive). */
  messageAt(index: number): ChatMessage | undefined {
    void this.#version;
    return this.#log.at(index);
  }

  /** Index of the first message whose order key is >= `order` (reactive). */
  indexOfOrder(order: string): number {
    void this.#version;
    return this.#log.lowerBound(order);
  }

  /** Index of the first message whose order key is > `order` (reactive). */
  indexAfterOrder(order: string): number {
    void this.#version;
    return this.#log.upperBound(order);
  }

  /** What the log shows for messages [lo, hi): those messages, the system lines and notes among them, day separators. */
  items(lo: number, hi: number, now: number): TimelineItem[] {
    void this.#version;
    return this.#log.items(lo, hi, now);
  }

  /** Everyone known in the group, one entry per key (lib/people.ts). */
  readonly people: readonly Person[] = $derived(peopleOf(this.#members, this.#seen));

  /** Name skeleton → the keys known under it (people and message authors): who has a namesake. */
  readonly #keysByName = $derived.by(() => {
    const out = new Map<string, Set<PersonKey>>();
    const add = (name: string, key: PersonKey): void => {
      const skeleton = nameSkeleton(name);
      const set = out.get(skeleton) ?? new Set<PersonKey>();
      set.add(key);
      out.set(skeleton, set);
    };
    for (const p of this.people) add(p.name, p.key);
    void this.#authorsVersion;
    for (const [skeleton, writers] of this.#authors) {
      for (const w of writers) {
        const key = w[0] === 'k' ? personKey(w.slice(1), w.slice(1) as PeerId) : personKey(this.#keyOfPeer.get(w.slice(1) as PeerId), w.slice(1) as PeerId);
        const set = out.get(skeleton) ?? new Set<PersonKey>();
        set.add(key);
        out.set(skeleton, set);
      }
    }
    return out;
  });

  /** Who sent a message: its sender's key (the session's key from the views when the message has none). */
  keyOf(message: ChatMessage): PersonKey {
    return personKey(message.senderKey ?? this.#keyOfPeer.get(message.sender), message.sender);
  }

  /** A name as shown for `key`: with the key's fingerprint when another person in the group has the same name. */
  labelOf(name: string, key: PersonKey): string {
    const keys = this.#keysByName.get(nameSkeleton(name));
    return keys !== undefined && [...keys].some((k) => k !== key) ? withFingerprint(name, key) : name;
  }

  /** How the log names a message's author. */
  authorOf(message: ChatMessage): string {
    return this.labelOf(message.senderName, this.keyOf(message));
  }

  /** How the log names the member of a system line. */
  systemName(line: SystemLine): string {
    return this.labelOfPeer(line.peerId, line.name);
  }

  /** How a session of the group (a typer, a system line's subject) is named: its key's fingerprint joins a namesake's name. */
  labelOfPeer(peerId: PeerId, name: string): string {
    return this.labelOf(name, personKey(this.#keyOfPeer.get(peerId), peerId));
  }

  /**
   * Adds or updates a message. Returns true when it is new to this view. A
   * delivered copy replaces a pending one; a pending copy never replaces a
   * delivered one (events may arrive in either order). A message of another
   * group is refused (false): ids are unique per group (`group/sender:seq`),
   * and this timeline shows one group. A delivered message older than the
   * oldest held while the store holds older ones is left to the store (false):
   * holding it would leave a gap between it and the rest, and scrolling up
   * reads it in its place.
   */
  upsert(message: ChatMessage): boolean {
    if (message.groupId !== this.groupId) return false;
    if (this.#takeOp(message)) return false;
    const prev = this.#log.get(message.id);
    // A total-order group's history moves a message shown at a key only a crashed session computed
    // (its store kept that session's non-uniform delivery) to the group's key (PROTOCOL.md §4).
    const moved = prev?.state === 'delivered' && message.state === 'delivered' && prev.order !== message.order && this.#ordering === 'total';
    if (moved) {
      this.#put({ ...prev, order: message.order }); // only the place changes: what was shown stays
      return false;
    }
    if (prev && (prev.state === 'delivered' || message.state === 'pending')) return false;
    if (prev === undefined && this.#olderInStore && message.state === 'delivered') {
      const oldest = this.oldestOrder;
      if (oldest !== null && message.order < oldest) return false;
    }
    this.#put(message);
    return prev === undefined;
  }

  /**
   * A page read from the store: the newest messages of the group, or those
   * just before the oldest held. A page shorter than `limit` means the store
   * holds nothing older than its first message; a full one, that it may.
   */
  addPage(page: readonly ChatMessage[], limit: number): void {
    for (const m of page) {
      if (m.groupId !== this.groupId) continue;
      if (m.state === 'delivered' && (this.#pageOldest === null || m.order < this.#pageOldest)) this.#pageOldest = m.order;
      if (this.#takeOp(m)) continue;
      const prev = this.#log.get(m.id);
      if (prev && (prev.state === 'delivered' || m.state === 'pending')) continue;
      this.#put(m);
    }
    this.#olderInStore = page.length >= limit;
  }

  /** A read of older messages started (true) or ended (false): one at a time. */
  setLoadingOlder(loading: boolean): void {
    this.#loadingOlder = loading;
  }

  /** A message the composer handed to the runtime that has no id yet; it shows as pending. */
  addOutgoing(draft: { sender: PeerId; senderName: string; senderKey: string | null; body: string; sentAt: number }): MessageId {
    const n = ++this.#outgoingSeq;
    const id = `local:${n}` as MessageId;
    // '~~' sorts after the runtime's pending order keys ('~' + seq), so a placeholder stays last.
    this.#put({
      id, groupId: this.groupId, sender: draft.sender, senderName: draft.senderName,
      ...(draft.senderKey === null ? {} : { senderKey: draft.senderKey }), body: draft.body, sentAt: draft.sentAt,
      order: `~~${String(n).padStart(8, '0')}`, state: 'pending', viewId: 0 as ViewId,
    });
    return id;
  }

  /** Replaces a placeholder with the runtime's message (in one step, so it never shows twice), or drops it. */
  settleOutgoing(placeholder: MessageId, message: ChatMessage | null): void {
    if (this.#log.remove(placeholder)) {
      this.#version += 1;
      this.#bump(placeholder);
      this.#ticks.delete(placeholder);
    }
    if (message) this.upsert(message);
  }

  has(id: MessageId): boolean {
    this.#track(id);
    return this.#log.get(id) !== undefined;
  }

  apply(group: JoinedGroup): void {
    this.#name = group.name;
    this.#ordering = group.ordering;
    this.#status = group.status;
    this.#members = group.members;
    for (const m of group.members) {
      if (this.#keyOfPeer.get(m.peerId) !== m.publicKey) this.#keyOfPeer.set(m.peerId, m.publicKey);
      this.#see(personKey(m.publicKey, m.peerId), m.name);
    }
    if (group.status === 'member') this.#problem = null;
  }

  addSystem(line: SystemLine): void {
    const key = `s${++this.#systemSeq}`;
    this.#log.addSystem(line, key);
    this.#systemKeys.push(key);
    if (this.#systemKeys.length > MAX_ASIDES) this.#log.removeAside(this.#systemKeys.shift()!);
    this.#version += 1;
  }

  addNote(text: string, tone: Note['tone'], at: number): void {
    const note: Note = { id: String(++this.#noteSeq), at, text, tone };
    this.#log.addNote(note);
    this.#noteKeys.push(`n${note.id}`);
    if (this.#noteKeys.length > MAX_ASIDES) this.#log.removeAside(this.#noteKeys.shift()!);
    this.#version += 1;
  }

  /** A message arrived that the person has not seen (the group is not open). */
  countUnread(): void {
    this.#unread += 1;
  }

  /** An unread message mentions you. */
  countMention(): void {
    this.#mentions += 1;
  }

  get mentions(): number { return this.#mentions; }

  /** The group was opened: everything in it is read. */
  markRead(): void {
    this.#unread = 0;
    this.#mentions = 0;
  }

  setProblem(text: string | null): void {
    this.#problem = text;
  }

  setMetrics(metrics: GroupMetrics | null): void {
    this.#metrics = metrics;
  }

  /**
   * An edit, delete or reaction (or a malformed operation): folded once
   * delivered, never a line of the log. Returns false for a text or a reply,
   * which go into the log (a delivered one is folded too).
   */
  #takeOp(message: ChatMessage): boolean {
    const parsed = parseBody(message.body, this.groupId);
    const line = parsed.kind === 'text' || (parsed.kind === 'op' && parsed.op.op === 'reply');
    if (message.state === 'delivered') {
      const folded = this.#ops.add(message);
      for (const id of folded.changed) this.#bump(id);
      if (!line || folded.refused.length > 0) this.#opsVersion += 1;
    }
    return !line;
  }

  /** Reads what changes `id`: its tick, or, for a message not held (nor named by an operation), the log as a whole (it may arrive). */
  #track(id: MessageId): void {
    const tick = this.#ticks.get(id);
    if (tick === undefined) void this.#version;
    else void tick.v;
  }

  #bump(id: MessageId): void {
    const tick = this.#ticks.get(id);
    if (tick === undefined) {
      this.#ticks.set(id, new Tick());
      this.#version += 1; // whoever read it before it had a tick read #version
    } else tick.v += 1;
  }

  #put(message: ChatMessage): void {
    this.#log.put(message);
    this.#version += 1;
    this.#bump(message.id);
    this.#see(this.keyOf(message), message.senderName);
    const skeleton = nameSkeleton(message.senderName);
    const writer = message.senderKey === undefined ? `p${message.sender}` : `k${message.senderKey}`;
    const writers = this.#authors.get(skeleton) ?? new Set<string>();
    if (!writers.has(writer)) {
      writers.add(writer);
      this.#authors.set(skeleton, writers);
      this.#authorsVersion += 1;
    }
  }

  #see(key: PersonKey, name: string): void {
    if (this.#seen.get(key) !== name) this.#seen.set(key, name);
  }
}
