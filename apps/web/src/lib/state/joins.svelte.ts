// Getting into groups and out of them: the directory, joining (a locked
// group's password field in its listitem, the errors beside it), the
// password prompt of an invite link or of a locked group a new tab rejoins,
// following a group address, creating and leaving groups, and what the
// address bar shows. Owns the directory, the join and invite state and the
// create form's state. What belongs here: any step between "a group exists"
// and "this tab holds it in JoinedGroups" (and back out).

import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import { errorCode, errorMessage } from '@chorus/peer/light';
import type { GroupSummary } from '@chorus/protocol';
import { MAX_NAME_CHARS, MAX_PASSWORD_CHARS, type GroupId, type Ordering } from '@chorus/protocol/light';
import type { Banners } from './banners.svelte.ts';
import type { JoinedGroups } from './joined-groups.svelte.ts';
import { groupHash, groupIdFromHash, type AddressBar } from '../route.ts';
import type { Live } from './runtime.ts';
import type { RememberedGroup } from './tab-memory.ts';

/** A group someone was sent to (an invite link) or a new tab rejoins, that needs its password first. */
export interface Invite {
  readonly groupId: GroupId;
  readonly name: string;
  readonly error: string | null;
  readonly busy: boolean;
}

export interface JoinsDeps {
  readonly groups: JoinedGroups;
  readonly banners: Banners;
  readonly live: Live;
  /** The address bar: it shows the open group (`#/g/<id>`), and a group address opened in it is followed. */
  readonly address?: AddressBar | undefined;
  /** A group address that is not in the directory: a direct message of this key? (true when it was followed). */
  readonly followDm?: ((groupId: GroupId) => Promise<boolean>) | undefined;
}

export class Joins {
  #directory = $state.raw<readonly GroupSummary[]>([]);
  readonly #passwordAsked = new SvelteSet<GroupId>();
  readonly #joinErrors = new SvelteMap<GroupId, string>();
  readonly #joinBusy = new SvelteSet<GroupId>();
  /**
   * Groups waiting for their password (an invite link to a locked group, a locked group a new tab rejoins), first shown
   * first.
   */
  #invites = $state.raw<readonly GroupId[]>([]);
  #inviteError = $state<string | null>(null);
  #inviteBusy = $state(false);
  #createError = $state<string | null>(null);
  #creating = $state(false);
  /** The group the address named before the tab could follow it (no name yet, not connected yet). */
  #target: GroupId | null;
  readonly #deps: JoinsDeps;
  readonly #groups: JoinedGroups;

  constructor(deps: JoinsDeps) {
    this.#deps = deps;
    this.#groups = deps.groups;
    this.#target = groupIdFromHash(deps.address?.read() ?? '');
  }

  get directory(): readonly GroupSummary[] {
    return this.#directory;
  }
  /** Groups whose listitem shows a password field (locked, Join pressed). */
  get passwordAsked(): ReadonlySet<GroupId> {
    return this.#passwordAsked;
  }
  get joinErrors(): ReadonlyMap<GroupId, string> {
    return this.#joinErrors;
  }
  get joinBusy(): ReadonlySet<GroupId> {
    return this.#joinBusy;
  }
  get createError(): string | null {
    return this.#createError;
  }
  get creating(): boolean {
    return this.#creating;
  }
  /** The group the address named when the page loaded (a reload opens it first), if not followed yet. */
  get target(): GroupId | null {
    return this.#target;
  }

  /** The locked group whose password the page asks for now, if any. */
  get invite(): Invite | null {
    const groupId = this.#invites[0];
    if (groupId === undefined) return null;
    const name = this.nameOf(groupId) ?? 'this group';
    return { groupId, name, error: this.#inviteError, busy: this.#inviteBusy };
  }

  /** A group's name from the directory or the joined groups. */
  nameOf(groupId: GroupId): string | undefined {
    return this.#directory.find((g) => g.groupId === groupId)?.name ?? this.#groups.get(groupId)?.name;
  }

  /** The directory as the runtime reports it (an event, or read at once with `refresh`). */
  setDirectory(groups: readonly GroupSummary[]): void {
    this.#directory = groups;
  }

  /** The runtime's copy: on a reconnect it is fresh before the page's `directory` event arrives. */
  refresh(): void {
    const peer = this.#deps.live.peer;
    if (peer) this.#directory = peer.directory();
  }

  /**
   * The address bar names a group (a link was opened, or typed): open it if
   * joined, join it if not (a locked one asks for its password first). Before
   * the tab has a name or a connection, it is kept and followed once there.
   */
  followAddress(hash: string): void {
    const groupId = groupIdFromHash(hash);
    if (groupId === null) return;
    this.#target = groupId;
    if (this.#deps.live.online) void this.followTarget();
  }

  async followTarget(): Promise<void> {
    const groupId = this.#target;
    this.#target = null;
    if (groupId === null) return;
    if (this.#groups.ids.has(groupId)) {
      this.#groups.open(groupId);
      return;
    }
    this.refresh();
    const summary = this.#directory.find((g) => g.groupId === groupId);
    if (!summary && (await this.#deps.followDm?.(groupId)) === true) return;
    if (!summary) {
      this.#deps.banners.show(
        'error',
        'The group this link opens is not in the directory: it may have been deleted, or the link is cut short.',
      );
      this.syncAddress();
      return;
    }
    if (summary.locked) this.askPassword(groupId, true);
    else await this.join(groupId);
  }

  /** Ask for a locked group's password in the prompt (`first`: before the others waiting). */
  askPassword(groupId: GroupId, first: boolean): void {
    const others = this.#invites.filter((id) => id !== groupId);
    this.#invites = first ? [groupId, ...others] : [...others, groupId];
    this.#inviteError = null;
    this.syncAddress();
  }

  /** The password for the group the page asks about: join (or rejoin) it with that. */
  async acceptInvite(password: string): Promise<void> {
    const invite = this.invite;
    const peer = this.#deps.live.peer;
    if (!invite || !peer || this.#inviteBusy) return;
    if (password === '') {
      this.#inviteError = `Enter the password for ${invite.name}.`;
      return;
    }
    const { groupId } = invite;
    this.#inviteBusy = true;
    this.#inviteError = null;
    try {
      if (this.#groups.get(groupId)) {
        // Listed already (a locked group a new tab rejoins): join it with the password.
        const joined = await peer.join(groupId, password);
        this.#groups.remember({ groupId, name: joined.name, ordering: joined.ordering, password });
        this.#groups.get(groupId)?.setProblem(null);
        this.#groups.open(groupId);
        await this.#groups.adopt(joined);
      } else {
        await this.join(groupId, password);
        if (!this.#groups.ids.has(groupId)) {
          // join() put its sentence beside the directory entry; the prompt here shows it instead.
          this.#inviteError = this.#joinErrors.get(groupId) ?? `Could not join ${invite.name}.`;
          this.cancelPassword(groupId);
          return;
        }
      }
      this.#invites = this.#invites.filter((id) => id !== groupId);
    } catch (e) {
      this.#inviteError =
        errorCode(e) === 'wrong-password'
          ? `Wrong password for ${invite.name}. Try again.`
          : `Could not join ${invite.name}: ${errorMessage(e)}`;
    } finally {
      this.#inviteBusy = false;
    }
  }

  /**
   * "Not now": stop asking for this group's password. An invite's group can
   * still be joined from the directory; a listed one keeps its problem line
   * and its Leave button.
   */
  dismissInvite(): void {
    if (this.#invites[0] === undefined) return;
    this.#invites = this.#invites.slice(1);
    this.#inviteError = null;
    this.syncAddress();
  }

  /** A group this tab remembers (a reload, a new tab of the profile): joined again with what it remembers. */
  async rejoin(g: RememberedGroup): Promise<void> {
    const peer = this.#deps.live.peer;
    if (!peer) return;
    const group = this.#groups.get(g.groupId);
    try {
      // A direct message the tracker forgot (it restarted) and this page holds no charter of: open it again.
      const joined = await peer.join(g.groupId, g.password).catch(async (e: unknown) => {
        if (!g.dm || errorCode(e) !== 'not-found') throw e;
        await peer.openDm(g.dm);
        return peer.join(g.groupId);
      });
      if (this.#groups.get(g.groupId) !== group) {
        // Left while joining again: the leave wins.
        await peer.leave(g.groupId).catch(() => {});
        return;
      }
      await this.#groups.adopt(joined);
    } catch (e) {
      if (this.#groups.get(g.groupId) !== group) return;
      if (errorCode(e) === 'wrong-password' && g.password === undefined) {
        // A locked group this tab knows from another tab of the profile: passwords are never shared, so ask.
        group?.setProblem(`${g.name} is locked: enter its password to join it in this tab.`);
        this.askPassword(g.groupId, false);
        return;
      }
      group?.setProblem(`Could not join ${g.name} again: ${errorMessage(e)}`);
    }
  }

  /**
   * Join a listed group. A locked group first asks for its password inside its
   * listitem. It opens at once unless `open` is false (a group created while
   * the person went on to another one).
   */
  async join(groupId: GroupId, password?: string, open = true): Promise<void> {
    const peer = this.#deps.live.peer;
    const summary = this.#directory.find((g) => g.groupId === groupId);
    if (!peer || !summary) return;
    if (this.#groups.ids.has(groupId)) {
      this.#groups.open(groupId);
      return;
    }
    if (summary.locked && password === undefined) {
      this.#passwordAsked.add(groupId);
      this.#joinErrors.delete(groupId);
      return;
    }
    if (summary.locked && password === '') {
      this.#joinErrors.set(groupId, `Enter the password for ${summary.name}.`);
      return;
    }
    this.#joinBusy.add(groupId);
    this.#joinErrors.delete(groupId);
    const previous = this.#groups.currentId;
    const group = this.#groups.ensure(groupId, summary.name, summary.ordering);
    // The group opens at once ("Joining…"); if the person opens another one meanwhile, that one stays open.
    if (open) this.#groups.setCurrent(groupId);
    try {
      const joined = await peer.join(groupId, password);
      if (this.#groups.get(groupId) !== group) {
        // "Leave" was pressed while the join was under way: the leave wins, the late join is undone.
        await peer.leave(groupId).catch(() => {});
        return;
      }
      this.#passwordAsked.delete(groupId);
      this.#groups.remember({
        groupId,
        name: summary.name,
        ordering: summary.ordering,
        ...(password ? { password } : {}),
      });
      if (this.#groups.currentId === groupId) this.#groups.open(groupId);
      await this.#groups.adopt(joined);
    } catch (e) {
      // Left while joining: the join's failure (the session closed under it) is no news to the person.
      if (this.#groups.get(groupId) !== group) return;
      const wasOpen = this.#groups.currentId === groupId;
      this.#groups.drop(group.groupId);
      if (wasOpen && previous !== null && this.#groups.get(previous)) this.#groups.setCurrent(previous);
      if (errorCode(e) === 'wrong-password') {
        this.#passwordAsked.add(groupId);
        this.#joinErrors.set(groupId, `Wrong password for ${summary.name}. Try again.`);
      } else {
        this.#joinErrors.set(groupId, `Could not join ${summary.name}: ${errorMessage(e)}`);
      }
    } finally {
      this.#joinBusy.delete(groupId);
    }
  }

  cancelPassword(groupId: GroupId): void {
    this.#passwordAsked.delete(groupId);
    this.#joinErrors.delete(groupId);
  }

  async createGroup(rawName: string, ordering: Ordering, password: string): Promise<boolean> {
    const peer = this.#deps.live.peer;
    const name = rawName.trim();
    if (!peer) {
      this.#createError = 'Not connected yet. Wait a moment and try again.';
      return false;
    }
    if (name.length === 0) {
      this.#createError = 'Enter a group name.';
      return false;
    }
    if ([...name].length > MAX_NAME_CHARS) {
      this.#createError = `A group name has at most ${MAX_NAME_CHARS} characters.`;
      return false;
    }
    if (password.length > MAX_PASSWORD_CHARS) {
      this.#createError = `A password has at most ${MAX_PASSWORD_CHARS} characters.`;
      return false;
    }
    this.#creating = true;
    this.#createError = null;
    const openBefore = this.#groups.currentId;
    try {
      const summary = await peer.createGroup(name, ordering, password === '' ? undefined : password);
      if (!this.#directory.some((g) => g.groupId === summary.groupId)) this.#directory = [...this.#directory, summary];
      // Whoever creates a group wants to be in it, and to see it, as Slack opens a channel you create
      // (docs/design.md §6) — unless they opened another group while it was being created.
      await this.join(summary.groupId, password === '' ? undefined : password, this.#groups.currentId === openBefore);
      return true;
    } catch (e) {
      this.#createError =
        errorCode(e) === 'name-taken'
          ? `A group named ${name} already exists. Pick another name or join it.`
          : `Could not create ${name}: ${errorMessage(e)}`;
      return false;
    } finally {
      this.#creating = false;
    }
  }

  async leave(groupId: GroupId): Promise<void> {
    const group = this.#groups.get(groupId);
    if (!group) return;
    try {
      await this.#deps.live.peer?.leave(groupId);
    } catch (e) {
      // A join still waiting for the tracker has no group in the peer yet: it is undone when it answers.
      const joining = group.status === 'joining' && errorCode(e) === 'not-member';
      // The tracker drops us anyway when the session goes; still leave locally so the person is not stuck.
      if (!joining)
        this.#deps.banners.show(
          'error',
          `Leaving ${group.name} was not confirmed by the tracker (${errorMessage(e)}).`,
        );
    }
    this.#invites = this.#invites.filter((id) => id !== groupId);
    this.#groups.drop(groupId);
  }

  /** The address bar shows the group whose password is asked (not joined yet), else the open group. */
  syncAddress(): void {
    const asked = this.#invites[0];
    const shown = asked !== undefined && !this.#groups.ids.has(asked) ? asked : this.#groups.currentId;
    this.#deps.address?.write(shown === null ? null : groupHash(shown));
  }

  /** Quitting: nothing is asked, nothing listed. */
  clear(): void {
    this.#invites = [];
    this.#directory = [];
  }
}
