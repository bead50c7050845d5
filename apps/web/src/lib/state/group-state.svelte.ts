// One joined group as this tab sees it: the messages (merged by id, which
// names the group, from the local store, live deliveries and history sync, so
// nothing shows twice and nothing of another group shows here), the
// system lines, the people seen (group-people.svelte.ts, which it extends), unread
// count and metrics. Messages are held in log order change by change
// (lib/log-index.ts): one arriving message costs the same however long the
// conversation is, and only the part of the log on screen is turned into
// timeline items. Not all of a long history is held: the newest page comes
// from the store on open, and older pages as the person scrolls up
// (`olderInStore`, `addPage`). It holds no protocol logic: every fact comes from the
// peer runtime or the store. Only this class writes its fields; the page's
// AppState tells it what happened through its methods.

import { LogIndex } from '../log-index.ts';
import type { ChatMessage, GroupMetrics, GroupStatus, JoinedGroup, OlderHistory, SystemLine } from '@chorus/peer';
import {
  OpFold,
  parseBody,
  type GroupId,
  type MessageId,
  type MessageView,
  type Ordering,
  type PeerId,
  type ViewId,
} from '@chorus/protocol/light';
import { Asides } from './group-asides.ts';
import { GroupPeople } from './group-people.svelte.ts';
import type { Note, TimelineItem } from '../timeline.ts';

export type { Person } from '../people.ts';

/** A reply's quote: who wrote the original and what it shows now (null when the original is not held here). */
export interface Quote {
  readonly id: MessageId;
  readonly author: string;
  readonly text: string;
  readonly deleted: boolean;
}

/**
 * One message's own change counter: what reads that message alone re-runs when it changes, not when another arrives.
 */
class Tick {
  v = $state(0);
}

export class GroupState extends GroupPeople {
  readonly groupId: GroupId;
  /** Messages of this tab's session start counting as unread from here (history is not "new"). */
  readonly joinedAt: number;
  #name = $state('');
  #ordering = $state<Ordering>('fifo');
  #status = $state<GroupStatus>('joining');
  #unread = $state(0);
  /** Unread messages that mention you (counted apart, also among `#unread`). */
  #mentions = $state(0);
  #metrics = $state.raw<GroupMetrics | null>(null);
  #problem = $state<string | null>(null);
  /** The runtime's word on this member's older history (PROTOCOL.md §4): still arriving, missing, or neither. */
  #olderHistory = $state<OlderHistory>(null);
  /** The messages, system lines and notes in log order; not reactive by itself: #version counts its changes. */
  readonly #log = new LogIndex();
  readonly #asides = new Asides(this.#log);
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
  /** What the composer holds for this group, unsent: kept while another group is open, as Slack and Element do. */
  draft = $state('');
  /** A message to bring into view and focus (a search result was activated); the log takes it. */
  #focusRequest = $state<MessageId | null>(null);
  #loadingOlder = $state(false);
  #outgoingSeq = 0;
  /** Placeholders still shown, oldest first: their sender and text, to match the runtime's copy when it comes. */
  readonly #placeholders = new Map<MessageId, { readonly sender: PeerId; readonly body: string }>();

  constructor(init: { groupId: GroupId; name: string; ordering: Ordering; joinedAt: number }) {
    super();
    this.groupId = init.groupId;
    this.#name = init.name;
    this.#ordering = init.ordering;
    this.joinedAt = init.joinedAt;
    this.#ops = new OpFold(init.groupId);
  }

  get name(): string {
    return this.#name;
  }
  get ordering(): Ordering {
    return this.#ordering;
  }
  get status(): GroupStatus {
    return this.#status;
  }
  get unread(): number {
    return this.#unread;
  }
  get metrics(): GroupMetrics | null {
    return this.#metrics;
  }
  get olderHistory(): OlderHistory {
    return this.#olderHistory;
  }
  /** Shown inside the chat view: why a join failed, or that the tab was removed. */
  get problem(): string | null {
    return this.#problem;
  }

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
  get olderInStore(): boolean {
    return this.#olderInStore;
  }
  get loadingOlder(): boolean {
    return this.#loadingOlder;
  }

  /** The order key of the oldest delivered message held: where a read of older messages starts (null when none). */
  get oldestOrder(): string | null {
    void this.#version;
    const first = this.#log.at(0);
    const shown = first === undefined || first.state !== 'delivered' ? null : first.order;
    // A page of only operations moves no line of the log, but the next page starts below it.
    return shown === null
      ? this.#pageOldest
      : this.#pageOldest === null || shown < this.#pageOldest
        ? shown
        : this.#pageOldest;
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
      id: message.id,
      author: message.senderKey ?? `peer:${message.sender}`,
      text: reply?.text ?? (parsed.kind === 'text' ? parsed.text : parsed.kind === 'file' ? parsed.file.caption : ''),
      replyTo: reply?.target ?? null,
      edited: false,
      deleted: false,
      reactions: [],
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

  get replyingTo(): MessageId | null {
    return this.#replyingTo;
  }

  get focusRequest(): MessageId | null {
    return this.#focusRequest;
  }

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

  /**
   * What the log shows for messages [lo, hi): those messages, the system lines and notes among them, day separators.
   */
  items(lo: number, hi: number, now: number): TimelineItem[] {
    void this.#version;
    return this.#log.items(lo, hi, now);
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
    const moved =
      prev?.state === 'delivered' &&
      message.state === 'delivered' &&
      prev.order !== message.order &&
      this.#ordering === 'total';
    if (moved) {
      this.#put({ ...prev, order: message.order }); // only the place changes: what was shown stays
      return false;
    }
    if (prev && (prev.state === 'delivered' || message.state === 'pending')) return false;
    if (prev === undefined && this.#olderInStore && message.state === 'delivered') {
      const oldest = this.oldestOrder;
      if (oldest !== null && message.order < oldest) return false;
    }
    // The runtime's copy of a message typed here can come (as an event) before its send() answers: it takes the
    // place of the oldest placeholder with its sender and text in the same step, so it never shows twice.
    if (prev === undefined) {
      for (const [id, p] of this.#placeholders) {
        if (p.sender !== message.sender || p.body !== message.body) continue;
        this.#dropPlaceholder(id);
        break;
      }
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
      if (m.state === 'delivered' && (this.#pageOldest === null || m.order < this.#pageOldest))
        this.#pageOldest = m.order;
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
  addOutgoing(draft: {
    sender: PeerId;
    senderName: string;
    senderKey: string | null;
    body: string;
    sentAt: number;
  }): MessageId {
    const n = ++this.#outgoingSeq;
    const id = `local:${n}` as MessageId;
    this.#placeholders.set(id, { sender: draft.sender, body: draft.body });
    // '~~' sorts after the runtime's pending order keys ('~' + seq), so a placeholder stays last.
    this.#put({
      id,
      groupId: this.groupId,
      sender: draft.sender,
      senderName: draft.senderName,
      ...(draft.senderKey === null ? {} : { senderKey: draft.senderKey }),
      body: draft.body,
      sentAt: draft.sentAt,
      order: `~~${String(n).padStart(8, '0')}`,
      state: 'pending',
      viewId: 0 as ViewId,
    });
    return id;
  }

  /** Replaces a placeholder with the runtime's message (in one step, so it never shows twice), or drops it. */
  settleOutgoing(placeholder: MessageId, message: ChatMessage | null): void {
    this.#dropPlaceholder(placeholder);
    if (message) this.upsert(message);
  }

  #dropPlaceholder(placeholder: MessageId): void {
    this.#placeholders.delete(placeholder);
    if (this.#log.remove(placeholder)) {
      this.#version += 1;
      this.#bump(placeholder);
      this.#ticks.delete(placeholder);
    }
  }

  has(id: MessageId): boolean {
    this.#track(id);
    return this.#log.get(id) !== undefined;
  }

  apply(group: JoinedGroup): void {
    this.#name = group.name;
    this.#ordering = group.ordering;
    this.#status = group.status;
    const older = group.olderHistory ? 'arriving' : group.olderHistoryMissing ? 'missing' : null;
    // Older pages that arrived while the log held its own page are in the store: scrolling up reads them.
    if (this.#olderHistory === 'arriving' && older !== 'arriving' && this.oldestOrder !== null)
      this.#olderInStore = true;
    this.#olderHistory = older;
    this.learnMembers(group.members);
    if (group.status === 'member') this.#problem = null;
  }

  addSystem(line: SystemLine): void {
    this.#asides.addSystem(line);
    this.#version += 1;
  }

  /** A note; with a `topic`, it replaces the text of the note of that topic still shown, in its place. */
  addNote(text: string, tone: Note['tone'], at: number, topic?: string): void {
    this.#asides.addNote(text, tone, at, topic);
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

  get mentions(): number {
    return this.#mentions;
  }

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
    const line = parsed.kind === 'text' || parsed.kind === 'file' || (parsed.kind === 'op' && parsed.op.op === 'reply');
    if (message.state === 'delivered') {
      const folded = this.#ops.add(message);
      for (const id of folded.changed) this.#bump(id);
      if (!line || folded.refused.length > 0) this.#opsVersion += 1;
    }
    return !line;
  }

  /**
   * Reads what changes `id`: its tick, or, for a message not held (nor named by an operation), the log as a whole (it
   * may arrive).
   */
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
    this.learnAuthor(message);
  }
}
