// "Seen by" (docs/design.md §6): who has read your latest
// message, from the ephemeral read markers of PROTOCOL.md §9. This tab says
// which message of the open group it shows newest while it is visible (once
// per newest message; one the runtime's one-per-second gate skipped is tried
// again a moment later), and keeps what the others say: the last marker per
// person (per key, so two tabs of one person are one) and per group, in
// memory only — never stored, gone with the page. Only in groups of at most
// SEEN_MAX_PEOPLE people, where a list of names is short enough to read;
// bigger groups neither send nor show markers.

import { SvelteMap } from 'svelte/reactivity';
import type { ChatMessage, SignalEvent } from '@chorus/peer';
import type { GroupId, MessageId } from '@chorus/protocol/light';
import { personKey, type PersonKey } from '../people.ts';
import type { GroupState } from './group-state.svelte.ts';
import type { Live } from './runtime.ts';

/** Groups with more people than this have no read markers and no "Seen by". */
export const SEEN_MAX_PEOPLE = 10;
/** "Seen by" goes under your latest message only while it is among the newest this many messages of the log. */
export const SEEN_LOOKBACK = 50;
/** A marker the runtime's gate skipped (one per second per group and kind) is tried again after this. */
const RESEND_MS = 1_100;

export interface SeenDeps {
  readonly live: Live;
  /** The open group, if any. */
  readonly current: () => GroupState | null;
  /** The group of an arriving marker, if joined. */
  readonly group: (groupId: GroupId) => GroupState | undefined;
  /** The page is hidden (another browser tab, a minimised window): nothing is being read. */
  readonly hidden: () => boolean;
}

interface Seen {
  readonly name: string;
  readonly seen: MessageId;
}

/** People in a group (distinct keys among the members), for the size limit. */
export function peopleIn(group: GroupState): number {
  return new Set(group.members.map((m) => m.publicKey)).size;
}

export class SeenState {
  /** Per group, per person key: the newest message their tab said it shows. Replaced whole, so readers react. */
  readonly #byGroup = new SvelteMap<GroupId, ReadonlyMap<PersonKey, Seen>>();
  /** Per group, the last marker this tab sent (one is sent again only when the newest message changes). */
  readonly #sent = new Map<GroupId, MessageId>();
  readonly #deps: SeenDeps;
  #retry: ReturnType<typeof setTimeout> | null = null;

  constructor(deps: SeenDeps) {
    this.#deps = deps;
  }

  /**
   * Says what the open group's log shows newest, if that changed: call it
   * when a message arrives in the open group, a group opens or changes (a
   * new view: said again, for whoever joined), and the page is shown.
   */
  markRead(): void {
    const group = this.#deps.current();
    const peer = this.#deps.live.peer;
    if (!group || !peer || this.#deps.hidden()) return;
    const seen = this.toSend(group);
    if (seen === null) return;
    if (peer.signal(group.groupId, { kind: 'read', seen })) this.sent(group.groupId, seen);
    else if (this.#retry === null) {
      this.#retry = setTimeout(() => {
        this.#retry = null;
        this.markRead();
      }, RESEND_MS);
    }
  }

  /** A read marker from a member: its session names the person through the view (the key it binds). */
  received(s: SignalEvent): void {
    if (s.kind !== 'read' || s.seen === undefined) return;
    const member = this.#deps.group(s.groupId)?.members.find((m) => m.peerId === s.from);
    if (member) this.heard(s.groupId, personKey(member.publicKey, member.peerId), member.name, s.seen);
  }

  /** A read marker arrived from the person with `key`. */
  heard(groupId: GroupId, key: PersonKey, name: string, seen: MessageId): void {
    const before = this.#byGroup.get(groupId);
    if (before?.get(key)?.seen === seen) return;
    const next = new Map(before ?? []);
    next.set(key, { name, seen });
    this.#byGroup.set(groupId, next);
  }

  /**
   * What this tab should say it shows in `group` (its newest delivered
   * message), or null when nothing new is to be said or the group is too big.
   */
  toSend(group: GroupState): MessageId | null {
    if (group.status !== 'member' || peopleIn(group) > SEEN_MAX_PEOPLE) return null;
    for (let i = group.count - 1; i >= Math.max(0, group.count - SEEN_LOOKBACK); i--) {
      const m = group.messageAt(i);
      if (m?.state !== 'delivered') continue;
      return this.#sent.get(group.groupId) === m.id ? null : m.id;
    }
    return null;
  }

  /** The marker for `seen` went out. */
  sent(groupId: GroupId, seen: MessageId): void {
    this.#sent.set(groupId, seen);
  }

  /** A new view of the group (someone joined): the next marker goes out again even if it names the same message. */
  resend(groupId: GroupId): void {
    this.#sent.delete(groupId);
  }

  /**
   * Who has seen `message` (names as the log shows them), when it is your
   * latest delivered message in a group small enough; otherwise empty.
   */
  seers(group: GroupState, message: ChatMessage, selfKey: string | null): string[] {
    if (selfKey === null || message.state !== 'delivered' || peopleIn(group) > SEEN_MAX_PEOPLE) return [];
    if (latestOwn(group, selfKey)?.id !== message.id) return [];
    const markers = this.#byGroup.get(group.groupId);
    if (markers === undefined) return [];
    const names: string[] = [];
    for (const [key, { name, seen }] of markers) {
      if (key === selfKey) continue;
      const theirs = group.messageById(seen);
      if (theirs !== undefined && theirs.state === 'delivered' && theirs.order >= message.order)
        names.push(group.labelOf(name, key));
    }
    return names.sort((a, b) => a.localeCompare(b));
  }

  /** A group left: its markers go. */
  forget(groupId: GroupId): void {
    this.#byGroup.delete(groupId);
    this.#sent.delete(groupId);
  }

  clear(): void {
    this.#byGroup.clear();
    this.#sent.clear();
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
  }
}

/** Your newest delivered message among the newest SEEN_LOOKBACK of the log, if any. */
function latestOwn(group: GroupState, selfKey: string): ChatMessage | undefined {
  for (let i = group.count - 1; i >= Math.max(0, group.count - SEEN_LOOKBACK); i--) {
    const m = group.messageAt(i);
    if (m?.state === 'delivered' && group.keyOf(m) === selfKey) return m;
  }
  return undefined;
}
