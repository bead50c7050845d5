// The groups this tab has joined and which one is open: the list, opening a
// group (read marks, the title's unread count, the address bar), the pages of
// history read into each group (from the store before the runtime is up, then
// from the runtime), and what an arriving message or group change does to
// them. Owns the list, the open group and the "opened" counter. What belongs
// here: anything about the joined groups as a set. Getting into a group
// (directory, passwords, invites) is joins.svelte.ts; what one group holds is
// GroupState, which owns its own fields and is told what happened through its
// methods.

import { chatFromStored } from '@chorus/peer/light';
import type { ChatMessage, JoinedGroup } from '@chorus/peer';
import type { GroupId, MessageId, Ordering } from '@chorus/protocol/light';
import type { Attention } from './attention.svelte.ts';
import { fileOf } from '../files.ts';
import { mentions } from '../mentions.ts';
import { GroupState } from './group-state.svelte.ts';
import type { MetricsMemory } from './metrics-memory.ts';
import type { NotifyPrefs } from './notify-prefs.svelte.ts';
import type { Live } from './runtime.ts';
import type { RememberedGroup, TabMemory } from './tab-memory.ts';

/**
 * Messages read from the local store at a time: the newest page when a group
 * opens (enough to fill any screen and then some), then one page before the
 * oldest held each time the log is scrolled to its top. Never the whole history.
 */
export const HISTORY_PAGE = 200;
/** Messages of the open group shown in a reload's first paint (a screenful): read, shown, then the rest of the page. */
export const FIRST_SCREEN = 16;

export interface JoinedGroupsDeps {
  readonly memory: TabMemory;
  readonly attention: Attention;
  readonly notify: NotifyPrefs;
  readonly metrics?: MetricsMemory | undefined;
  readonly clock: () => number;
  readonly live: Live;
  /** The open group changed: the address bar shows it (joins.svelte.ts decides what it shows). */
  readonly onCurrent: () => void;
}

export class JoinedGroups {
  #list = $state.raw<readonly GroupState[]>([]);
  #currentId = $state<GroupId | null>(null);
  /** Counts every time a group is opened (the same one again too): the narrow layout then shows the chat. */
  #opened = $state(0);
  readonly #deps: JoinedGroupsDeps;

  readonly current = $derived(this.#list.find((g) => g.groupId === this.#currentId) ?? null);
  readonly ids = $derived(new Set(this.#list.map((g) => g.groupId)));

  constructor(deps: JoinedGroupsDeps) {
    this.#deps = deps;
  }

  get list(): readonly GroupState[] {
    return this.#list;
  }
  get currentId(): GroupId | null {
    return this.#currentId;
  }
  get opened(): number {
    return this.#opened;
  }

  get(groupId: GroupId): GroupState | undefined {
    return this.#list.find((g) => g.groupId === groupId);
  }

  /** The group's state, made (empty, "Joining…") the first time. */
  ensure(groupId: GroupId, name: string, ordering: Ordering): GroupState {
    const existing = this.get(groupId);
    if (existing) return existing;
    const group = new GroupState({ groupId, name, ordering, joinedAt: this.#deps.clock() });
    this.#list = [...this.#list, group];
    return group;
  }

  /** Left or failed to join: forgotten by this tab (its metrics and its place in the tab's memory too). */
  drop(groupId: GroupId): void {
    this.#deps.metrics?.forget(groupId);
    this.#deps.memory.groups = this.#deps.memory.groups.filter((g) => g.groupId !== groupId);
    this.#list = this.#list.filter((g) => g.groupId !== groupId);
    if (this.#currentId === groupId) this.setCurrent(this.#list[0]?.groupId ?? null);
  }

  /** Quitting: no group is held. */
  clear(): void {
    this.#list = [];
    this.setCurrent(null);
  }

  /** The open group: remembered for a reload and shown in the address bar. */
  setCurrent(groupId: GroupId | null): void {
    this.#currentId = groupId;
    this.#deps.memory.current = groupId;
    this.#deps.onCurrent();
  }

  /** Remembered for this tab's next load (and a new tab of the profile): rejoined by itself. */
  remember(g: RememberedGroup): void {
    const others = this.#deps.memory.groups.filter((r) => r.groupId !== g.groupId);
    this.#deps.memory.groups = [...others, g];
  }

  open(groupId: GroupId): void {
    const group = this.get(groupId);
    if (!group) return;
    this.setCurrent(groupId);
    group.markRead();
    this.#publishUnread();
    this.#opened++;
  }

  /** A search result was activated: open its group and show the message there. */
  openAt(groupId: GroupId, messageId: MessageId): void {
    const group = this.get(groupId);
    if (!group) return;
    group.requestFocus(messageId);
    this.open(groupId);
  }

  /**
   * Reads the newest page of the store for a group, shown before the network is up: resolves to what shows it (so the
   * read can run while the identity loads, and the page is shown after).
   */
  async readCached(groupId: GroupId, limit = HISTORY_PAGE): Promise<() => void> {
    const store = this.#deps.live.store;
    if (!store) return () => {};
    try {
      const page = await store.latest(groupId, limit);
      return () => this.get(groupId)?.addPage(page.map(chatFromStored), limit);
    } catch {
      // The store reported the problem through its banner; the network history still comes.
      return () => {};
    }
  }

  /** The runtime joined the group: take its state and the newest page of its history. */
  async adopt(joined: JoinedGroup): Promise<void> {
    const group = this.ensure(joined.groupId, joined.name, joined.ordering);
    group.apply(joined);
    const peer = this.#deps.live.peer;
    if (!peer) return;
    try {
      group.addPage(await peer.history(joined.groupId, { limit: HISTORY_PAGE }), HISTORY_PAGE);
    } catch {
      // History arrives as message events as well; a failed read only delays what is shown.
    }
  }

  /**
   * The log was scrolled to the oldest message held: read the page before it
   * (from the runtime, or the store itself before the runtime is up). One read
   * at a time per group; a failed read leaves the log as it was.
   */
  async loadOlder(groupId: GroupId): Promise<void> {
    const group = this.get(groupId);
    const oldest = group?.oldestOrder ?? null;
    if (!group || !group.olderInStore || group.loadingOlder || oldest === null) return;
    group.setLoadingOlder(true);
    try {
      const { peer, store } = this.#deps.live;
      const page = peer
        ? await peer.history(groupId, { before: oldest, limit: HISTORY_PAGE })
        : store
          ? (await store.before(groupId, oldest, HISTORY_PAGE)).map(chatFromStored)
          : [];
      group.addPage(page, HISTORY_PAGE);
    } catch {
      // The store reported the problem through its banner; scrolling up again retries.
    } finally {
      group.setLoadingOlder(false);
    }
  }

  /** The runtime reports a group's new state. */
  changed(joined: JoinedGroup): void {
    const group = this.get(joined.groupId);
    if (!group) return;
    group.apply(joined);
    // The runtime re-joins by itself after a false removal (status 'joining'); 'removed' means it gave up.
    if (joined.status === 'removed') {
      group.setProblem(
        `You are no longer a member of ${joined.name}: the tracker removed this tab and joining again failed. Leave and join again to continue.`,
      );
    }
  }

  /** A message arrived (or changed state): shown, and counted as news when it is someone else's new one. */
  received(message: ChatMessage): void {
    const group = this.get(message.groupId);
    if (!group) return;
    const fresh = group.upsert(message);
    // Yours is what your key signed (any tab of yours), never what carries your name.
    if (!fresh || message.state !== 'delivered' || group.keyOf(message) === this.#deps.live.selfKey) return;
    if (message.sentAt < group.joinedAt) return; // history catching up is not news
    // A file sent without a caption is told by its name (notification, mentions none).
    const text = group.viewOf(message).text || (fileOf(message)?.name ?? '');
    const open = group.groupId === this.#currentId;
    const mentioned = mentions(text, this.#deps.live.selfName);
    if (!open) {
      group.countUnread();
      if (mentioned) group.countMention();
    }
    const notify = this.#deps.notify.notifies(group.groupId, mentioned);
    this.#deps.attention.message(group.name, group.authorOf(message), text, open, notify);
    this.#publishUnread();
  }

  /** The metrics panel's numbers, from the runtime (carried across reloads when a memory is given). */
  showMetrics(): void {
    const peer = this.#deps.live.peer;
    const memory = this.#deps.metrics;
    for (const g of this.#list) {
      const live = peer ? peer.metrics(g.groupId) : null;
      g.setMetrics(memory ? memory.show(g.groupId, live) : live);
    }
  }

  #publishUnread(): void {
    this.#deps.attention.setUnread(this.#list.reduce((n, g) => n + g.unread, 0));
  }
}
