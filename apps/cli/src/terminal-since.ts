// `/since <time> [group]`: messages since a time, in the group's order,
// from the local store and then from the members (README "The terminal
// client"). For a group the client is not in, it joins for a moment — the
// only way the protocol lets a peer ask members for history — and says
// where the answer came from when it could not ask.

import { olderHistoryIn, resolveGroup, type ChatMessage, type ChorusPeer } from '@chorus/peer';
import type { DirectoryQuery, GroupId } from '@chorus/protocol';
import { clock, type Formatter } from './format.ts';
import type { LockedGroups } from './terminal-locked.ts';

/** /since shows at most this many messages (the store's page cap is larger; a screen is not). */
export const SINCE_LIMIT = 1_000;
/** How long /since waits, in a group joined for a moment, for the history older than its newest page. */
export const OLDER_HISTORY_WAIT_MS = 30_000;

export interface SinceDeps {
  readonly peer: ChorusPeer;
  readonly fmt: Formatter;
  readonly locked: LockedGroups;
  /** Groups joined for a moment to ask their members: the terminal does not show their traffic as chat. */
  readonly reading: Set<GroupId>;
  readonly online: () => boolean;
  readonly listDirectory?: (query?: DirectoryQuery) => Promise<unknown>;
  readonly storedGroups?: () => readonly { readonly groupId: GroupId; readonly name: string }[];
  readonly print: (text: string) => void;
  readonly show: (m: ChatMessage, groupName: string) => void;
  readonly groupName: (groupId: GroupId) => string;
}

export class SinceReader {
  readonly #deps: SinceDeps;

  constructor(deps: SinceDeps) {
    this.#deps = deps;
  }

  /**
   * Messages since `at`, in the group's order: from the local store and then
   * from the members. A joined group's store is in sync with its members (the
   * join's history sync, then every delivery). For any other group the
   * client joins it for a moment — the only way the protocol lets a peer ask
   * members for history — so the sponsor sends what came after what this
   * machine kept; the store keeps one copy of each message, whoever sent it.
   */
  async since(at: number, ref: string | null, current: GroupId | null): Promise<void> {
    let groupId = current;
    if (ref !== null) {
      await this.#deps.listDirectory?.({ query: ref }).catch(() => {});
      const known = new Map<GroupId, { groupId: GroupId; name: string }>();
      for (const g of [
        ...this.#deps.peer.groups(),
        ...this.#deps.peer.directory(),
        ...(this.#deps.storedGroups?.() ?? []),
      ])
        known.set(g.groupId, g);
      groupId = resolveGroup(ref, [...known.values()]);
      if (groupId === null) {
        this.#deps.print(this.#deps.fmt.error(`There is no group called "${ref}".`));
        return;
      }
    }
    if (groupId === null) {
      this.#deps.print(this.#deps.fmt.error('Which group? Join one first, or name it: /since <time> <group>.'));
      return;
    }
    const source = await this.#askMembers(groupId);
    const list = [...(await this.#deps.peer.history(groupId, { since: at, limit: SINCE_LIMIT }))].sort((a, b) =>
      a.order < b.order ? -1 : a.order > b.order ? 1 : 0,
    );
    const name = this.#deps.groupName(groupId);
    this.#deps.print(this.#deps.fmt.notice(`${list.length} message(s) in ${name} since ${clock(at)} (${source}):`));
    for (const m of list) this.#deps.show(m, name);
    if (list.length === SINCE_LIMIT)
      this.#deps.print(this.#deps.fmt.notice(`Showing the first ${SINCE_LIMIT}; ask for a later time to see more.`));
  }

  /** Fills the store from the group's members unless it is in sync already; says where the answer comes from. */
  async #askMembers(groupId: GroupId): Promise<string> {
    const mine = this.#deps.peer.groups().find((g) => g.groupId === groupId);
    if (mine?.status === 'member') return 'kept here, in sync with the members';
    if (mine?.status === 'joining')
      return 'kept here; the group is being re-joined, so the latest may still be on its way';
    if (!this.#deps.online()) return 'kept here only: not connected to the tracker';
    const g = this.#deps.peer.directory().find((d) => d.groupId === groupId);
    if (g === undefined) return 'kept here only: the tracker does not list this group';
    if (g.online === 0) return 'kept here only: no member is online to ask';
    const password = g.locked ? this.#deps.locked.passwordFor(g) : undefined;
    if (g.locked && password === undefined)
      return `kept here only: the group is locked; to ask its members, ${this.#deps.locked.hint(g.name)}`;
    this.#deps.print(this.#deps.fmt.notice(`Asking the members of ${g.name} (joining it for a moment) …`));
    this.#deps.reading.add(groupId);
    try {
      await this.#deps.peer.join(groupId, password);
      // A member has the newest history at once; the older pages follow (PROTOCOL.md §4).
      if (await olderHistoryIn(this.#deps.peer, groupId, OLDER_HISTORY_WAIT_MS))
        return 'kept here and fetched from the members just now';
      return 'kept here and fetched from the members just now; older messages were still coming';
    } catch (e) {
      return `kept here only: asking the members failed (${(e as Error).message})`;
    } finally {
      // A failed join has dropped the group already; leave() then says so, which is fine.
      await this.#deps.peer.leave(groupId).catch(() => {});
      this.#deps.reading.delete(groupId);
    }
  }
}
