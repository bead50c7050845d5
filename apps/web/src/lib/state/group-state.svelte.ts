// One joined group as this tab sees it: the messages (merged by id, which
// names the group, from the local store, live deliveries and history sync, so
// nothing shows twice and nothing of another group shows here), the
// system lines, the people seen (keyed by public key, lib/people.ts), unread
// count and metrics. It holds no protocol logic: every fact comes from the
// peer runtime or the store. Only this class writes its fields; the page's
// AppState tells it what happened through its methods.

import { SvelteMap } from 'svelte/reactivity';
import type { ChatMessage, GroupMetrics, GroupStatus, JoinedGroup, MemberState, SystemLine } from '@chorus/peer';
import type { GroupId, MessageId, Ordering, PeerId, ViewId } from '@chorus/protocol';
import { nameSkeleton, peopleOf, personKey, withFingerprint, type Person, type PersonKey } from '../people.ts';
import { buildTimeline, compareMessages, type Note } from '../timeline.ts';

export type { Person } from '../people.ts';

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
  #system = $state.raw<readonly SystemLine[]>([]);
  #notes = $state.raw<readonly Note[]>([]);
  #unread = $state(0);
  #metrics = $state.raw<GroupMetrics | null>(null);
  #problem = $state<string | null>(null);
  readonly #messages = new SvelteMap<MessageId, ChatMessage>();
  /** Every key seen in this group during this tab's life (with the name it used last), so people who left show as offline. */
  readonly #seen = new SvelteMap<PersonKey, string>();
  /** Which key each session of the group has, from the views: names the senders of system lines. */
  readonly #keyOfPeer = new SvelteMap<PeerId, string>();
  #noteSeq = 0;
  #outgoingSeq = 0;

  constructor(init: { groupId: GroupId; name: string; ordering: Ordering; joinedAt: number }) {
    this.groupId = init.groupId;
    this.#name = init.name;
    this.#ordering = init.ordering;
    this.joinedAt = init.joinedAt;
  }

  get name(): string { return this.#name; }
  get ordering(): Ordering { return this.#ordering; }
  get status(): GroupStatus { return this.#status; }
  get members(): readonly MemberState[] { return this.#members; }
  get system(): readonly SystemLine[] { return this.#system; }
  get notes(): readonly Note[] { return this.#notes; }
  get unread(): number { return this.#unread; }
  get metrics(): GroupMetrics | null { return this.#metrics; }
  /** Shown inside the chat view: why a join failed, or that the tab was removed. */
  get problem(): string | null { return this.#problem; }

  readonly messages = $derived([...this.#messages.values()].sort(compareMessages));

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
    for (const m of this.messages) add(m.senderName, this.keyOf(m));
    return out;
  });

  timeline(now: number) {
    return buildTimeline(this.messages, this.#system, this.#notes, now);
  }

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
    return this.labelOf(line.name, personKey(this.#keyOfPeer.get(line.peerId), line.peerId));
  }

  /**
   * Adds or updates a message. Returns true when it is new to this view. A
   * delivered copy replaces a pending one; a pending copy never replaces a
   * delivered one (events may arrive in either order). A message of another
   * group is refused (false): ids are unique per group (`group/sender:seq`),
   * and this timeline shows one group.
   */
  upsert(message: ChatMessage): boolean {
    if (message.groupId !== this.groupId) return false;
    const prev = this.#messages.get(message.id);
    if (prev && (prev.state === 'delivered' || message.state === 'pending')) return false;
    this.#messages.set(message.id, message);
    this.#see(this.keyOf(message), message.senderName);
    return prev === undefined;
  }

  /** A message the composer handed to the runtime that has no id yet; it shows as pending. */
  addOutgoing(draft: { sender: PeerId; senderName: string; senderKey: string | null; body: string; sentAt: number }): MessageId {
    const n = ++this.#outgoingSeq;
    const id = `local:${n}` as MessageId;
    // '~~' sorts after the runtime's pending order keys ('~' + seq), so a placeholder stays last.
    this.#messages.set(id, {
      id, groupId: this.groupId, sender: draft.sender, senderName: draft.senderName,
      ...(draft.senderKey === null ? {} : { senderKey: draft.senderKey }), body: draft.body, sentAt: draft.sentAt,
      order: `~~${String(n).padStart(8, '0')}`, state: 'pending', viewId: 0 as ViewId,
    });
    return id;
  }

  /** Replaces a placeholder with the runtime's message (in one step, so it never shows twice), or drops it. */
  settleOutgoing(placeholder: MessageId, message: ChatMessage | null): void {
    this.#messages.delete(placeholder);
    if (message) this.upsert(message);
  }

  has(id: MessageId): boolean {
    return this.#messages.has(id);
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
    this.#system = [...this.#system, line].slice(-MAX_ASIDES);
  }

  addNote(text: string, tone: Note['tone'], at: number): void {
    this.#notes = [...this.#notes, { id: String(++this.#noteSeq), at, text, tone }].slice(-MAX_ASIDES);
  }

  /** A message arrived that the person has not seen (the group is not open). */
  countUnread(): void {
    this.#unread += 1;
  }

  /** The group was opened: everything in it is read. */
  markRead(): void {
    this.#unread = 0;
  }

  setProblem(text: string | null): void {
    this.#problem = text;
  }

  setMetrics(metrics: GroupMetrics | null): void {
    this.#metrics = metrics;
  }

  #see(key: PersonKey, name: string): void {
    if (this.#seen.get(key) !== name) this.#seen.set(key, name);
  }
}
