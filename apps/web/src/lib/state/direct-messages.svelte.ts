// Direct messages (docs/design.md §6): "Message <name>"
// opens the private group of two keys (PROTOCOL.md §2 Direct messages); the
// other person's tabs join it by themselves when it is opened, and every tab
// joins the DMs the tracker lists for its key at connect, except those the
// person left (dm-memory.ts). Owns which joined groups are DMs, and with whom.
// What belongs here: every step between "a DM exists" and "this tab holds it
// in JoinedGroups"; leaving and rejoining go through joins.svelte.ts like
// any group's.

import { SvelteMap } from 'svelte/reactivity';
import { errorMessage } from '@chorus/peer/light';
import type { GroupSummary } from '@chorus/protocol';
import { dmGroupId, otherParty, type DmParty, type GroupId } from '@chorus/protocol/light';
import type { Banners } from './banners.svelte.ts';
import type { DmMemory } from './dm-memory.ts';
import type { JoinedGroups } from './joined-groups.svelte.ts';
import type { Live } from './runtime.ts';
import type { RememberedGroup } from './tab-memory.ts';

export interface DirectMessagesDeps {
  readonly groups: JoinedGroups;
  readonly banners: Banners;
  readonly live: Live;
  /** DMs the person left; without it none stay left. */
  readonly memory?: DmMemory | undefined;
}

/** Someone "Message <name>" was pressed for. */
export interface Person {
  readonly key: string;
  readonly name: string;
}

export class DirectMessages {
  /** The joined groups that are DMs, and the other person of each: listed under "Direct messages". */
  readonly with = new SvelteMap<GroupId, DmParty>();
  #opening = $state.raw<Person | null>(null);
  readonly #deps: DirectMessagesDeps;

  constructor(deps: DirectMessagesDeps) {
    this.#deps = deps;
  }

  /** A group this tab remembers (a reload, a new tab): a DM is listed as one from the start. */
  remembered(g: RememberedGroup): void {
    if (g.dm) this.with.set(g.groupId, g.dm);
  }

  /**
   * The person whose DM "Message <name>" is opening (pressed, not joined yet). Meanwhile the composer sends nothing:
   * the view switches at once, but what was typed must never reach the group open before.
   */
  get opening(): Person | null {
    return this.#opening;
  }

  /**
   * "Message <name>": the DM with this person opens at once, named after them and "Joining…" (its id comes from the two
   * keys); then it is made if needed (their tabs are told) and joined. If that fails, the group open before is open
   * again and a banner says why.
   */
  async open(person: Person): Promise<void> {
    const { peer, selfKey } = this.#deps.live;
    if (!peer || !selfKey) {
      this.#deps.banners.show('error', `Not connected yet: wait a moment, then message ${person.name} again.`);
      return;
    }
    const groups = this.#deps.groups;
    const previous = groups.currentId;
    this.#opening = person;
    let groupId: GroupId | null = null;
    let shown = false;
    try {
      groupId = await dmGroupId(selfKey, person.key);
      if (groups.ids.has(groupId)) groups.open(groupId);
      else {
        this.with.set(groupId, { publicKey: person.key, name: person.name });
        groups.ensure(groupId, person.name, 'fifo');
        groups.setCurrent(groupId);
        shown = true;
      }
      const summary = await peer.openDm({ publicKey: person.key, name: person.name });
      this.#deps.memory?.reopen(this.#deps.live.selfName, summary.groupId);
      if (shown && summary.groupId !== groupId) throw new Error('the tracker named another group');
      if (shown) await this.#enter(summary);
    } catch (e) {
      if (shown && groupId !== null) this.#undo(groupId, previous);
      this.#deps.banners.show('error', `Could not open a direct message with ${person.name}: ${errorMessage(e)}`);
    } finally {
      if (this.#opening === person) this.#opening = null;
    }
  }

  /** A DM of this key: `opened` by the other person just now, or listed by the tracker at connect. */
  async heard(summary: GroupSummary, opened: boolean): Promise<void> {
    const name = this.#deps.live.selfName;
    if (opened) this.#deps.memory?.reopen(name, summary.groupId);
    else if (this.#deps.memory?.isLeft(name, summary.groupId) === true) return;
    if (this.#deps.groups.ids.has(summary.groupId)) return;
    await this.join(summary, false);
  }

  /**
   * A DM this tab knows (its summary came from the tracker to this key; no directory entry): joined, opened if `open`.
   */
  async join(summary: GroupSummary, open: boolean): Promise<void> {
    const peer = this.#deps.live.peer;
    const selfKey = this.#deps.live.selfKey;
    const party = summary.dm && selfKey ? otherParty(summary.dm, selfKey) : null;
    if (!peer || !party) return;
    const groups = this.#deps.groups;
    const { groupId } = summary;
    this.with.set(groupId, party);
    if (groups.ids.has(groupId)) {
      if (open) groups.open(groupId);
      return;
    }
    const previous = groups.currentId;
    groups.ensure(groupId, party.name, summary.ordering);
    if (open) groups.setCurrent(groupId);
    try {
      await this.#enter(summary);
    } catch (e) {
      this.#undo(groupId, previous);
      this.#deps.banners.show('error', `Could not open the direct message with ${party.name}: ${errorMessage(e)}`);
    }
  }

  /** A DM listed already ("Joining…"): joined, remembered, opened if it is the open group. */
  async #enter(summary: GroupSummary): Promise<void> {
    const groups = this.#deps.groups;
    const { groupId } = summary;
    const party = summary.dm && this.#deps.live.selfKey ? otherParty(summary.dm, this.#deps.live.selfKey) : null;
    const peer = this.#deps.live.peer;
    if (!peer || !party) throw new Error('this direct message is not yours');
    this.with.set(groupId, party);
    const group = groups.get(groupId);
    const joined = await peer.join(groupId).catch((e: unknown) => {
      // Left while joining: the join's failure is no news to the person.
      if (groups.get(groupId) !== group) return null;
      throw e;
    });
    if (joined === null) return;
    if (groups.get(groupId) !== group) {
      // "Leave" was pressed while the join was under way: the leave wins, the late join is undone.
      await peer.leave(groupId).catch(() => {});
      return;
    }
    groups.remember({ groupId, name: party.name, ordering: summary.ordering, dm: party });
    if (groups.currentId === groupId) groups.open(groupId);
    await groups.adopt(joined);
  }

  /** Joining a DM failed: it is no longer listed, and if it was open the group open before is open again. */
  #undo(groupId: GroupId, previous: GroupId | null): void {
    const groups = this.#deps.groups;
    const wasOpen = groups.currentId === groupId;
    groups.drop(groupId);
    this.with.delete(groupId);
    if (wasOpen && previous !== null && groups.get(previous)) groups.setCurrent(previous);
  }

  /** The DM the address names, if the tracker listed it for this key: joined and opened (true), else false. */
  async follow(groupId: GroupId): Promise<boolean> {
    const summary = this.#deps.live.peer?.dms().find((g) => g.groupId === groupId);
    if (!summary) return false;
    await this.join(summary, true);
    return true;
  }

  /** The person left this group: a DM stays left in every tab of the profile until it is opened again. */
  left(groupId: GroupId): void {
    if (this.with.delete(groupId)) this.#deps.memory?.leave(this.#deps.live.selfName, groupId);
  }

  /** Quitting: no DM is listed. */
  clear(): void {
    this.with.clear();
  }
}
