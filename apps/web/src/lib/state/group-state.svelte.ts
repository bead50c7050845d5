// One joined group as this tab sees it: the messages (merged by id, which
// names the group, from the local store, live deliveries and history sync, so
// nothing shows twice and nothing of another group shows here), the
// system lines, the roster of people seen, unread count and metrics. It holds
// no protocol logic: every fact comes from the peer runtime or the store.

import { SvelteMap } from 'svelte/reactivity';
import type { ChatMessage, GroupMetrics, GroupStatus, JoinedGroup, MemberState, SystemLine } from '@chorus/peer';
import type { GroupId, MessageId, Ordering, PeerId, ViewId } from '@chorus/protocol';
import { buildTimeline, compareMessages, type Note } from '../timeline.ts';

/** System lines and notes kept per group; older ones scroll away (they are not history). */
const MAX_ASIDES = 200;

export interface Person {
  readonly name: string;
  readonly online: boolean;
  /** Open sessions (tabs, terminals) of this person in the group. */
  readonly sessions: number;
  /** An always-on archivist peer (apps/cli --archive): a label only, it holds no special rights. */
  readonly archivist: boolean;
}

export class GroupState {
  readonly groupId: GroupId;
  name = $state('');
  ordering = $state<Ordering>('fifo');
  status = $state<GroupStatus>('joining');
  members = $state.raw<readonly MemberState[]>([]);
  system = $state.raw<readonly SystemLine[]>([]);
  notes = $state.raw<readonly Note[]>([]);
  unread = $state(0);
  metrics = $state.raw<GroupMetrics | null>(null);
  /** Shown inside the chat view: why a join failed, or that the tab was removed. */
  problem = $state<string | null>(null);
  /** Messages of this tab's session start counting as unread from here (history is not "new"). */
  readonly joinedAt: number;
  readonly #messages = new SvelteMap<MessageId, ChatMessage>();
  /** Everyone seen in this group during this tab's life, so people who left show as offline. */
  readonly #seen = new SvelteMap<string, true>();
  #noteSeq = 0;
  #outgoingSeq = 0;

  constructor(init: { groupId: GroupId; name: string; ordering: Ordering; joinedAt: number }) {
    this.groupId = init.groupId;
    this.name = init.name;
    this.ordering = init.ordering;
    this.joinedAt = init.joinedAt;
  }

  readonly messages = $derived([...this.#messages.values()].sort(compareMessages));

  readonly people: readonly Person[] = $derived.by(() => {
    const sessions = new Map<string, number>();
    for (const m of this.members) if (m.online) sessions.set(m.name, (sessions.get(m.name) ?? 0) + 1);
    const archivists = new Set(this.members.filter((m) => m.role === 'archivist').map((m) => m.name));
    const names = new Set([...this.#seen.keys(), ...this.members.map((m) => m.name)]);
    return [...names]
      .map((name) => ({ name, online: (sessions.get(name) ?? 0) > 0, sessions: sessions.get(name) ?? 0, archivist: archivists.has(name) }))
      .sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
  });

  timeline(now: number) {
    return buildTimeline(this.messages, this.system, this.notes, now);
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
    this.#see(message.senderName);
    return prev === undefined;
  }

  /** A message the composer handed to the runtime that has no id yet; it shows as pending. */
  addOutgoing(draft: { sender: PeerId; senderName: string; body: string; sentAt: number }): MessageId {
    const n = ++this.#outgoingSeq;
    const id = `local:${n}` as MessageId;
    // '~~' sorts after the runtime's pending order keys ('~' + seq), so a placeholder stays last.
    this.#messages.set(id, {
      id, groupId: this.groupId, sender: draft.sender, senderName: draft.senderName, body: draft.body, sentAt: draft.sentAt,
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
    this.name = group.name;
    this.ordering = group.ordering;
    this.status = group.status;
    this.members = group.members;
    for (const m of group.members) this.#see(m.name);
    if (group.status === 'member') this.problem = null;
  }

  addSystem(line: SystemLine): void {
    this.system = [...this.system, line].slice(-MAX_ASIDES);
    this.#see(line.name);
  }

  addNote(text: string, tone: Note['tone'], at: number): void {
    this.notes = [...this.notes, { id: String(++this.#noteSeq), at, text, tone }].slice(-MAX_ASIDES);
  }

  #see(name: string): void {
    if (!this.#seen.has(name)) this.#seen.set(name, true);
  }
}
