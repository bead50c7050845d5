// The page's state over one ChorusPeer, and the one object components talk to
// (lib/state/context.ts). Owns the session: who this tab is (name, key), the
// connection, the runtime, store and peer, and the timers; it boots them,
// turns peer events into calls on the owners below (peer-events.ts), and
// quits. The rest is owned by parts it composes and forwards to:
//   joined-groups.svelte.ts  the joined groups, the open one, history pages
//   joins.svelte.ts          directory, joining, passwords, invites, create, leave
//   composer-actions.ts      messages, replies, edits, reactions, `/` commands
//   banners.svelte.ts        the page's banners
//   connection.svelte.ts     the tracker connection as shown, the first connect's retries
//   session-start.ts         loading the runtime, the store and your key; cached history
//   direct-messages.svelte.ts  which groups are DMs, opening and joining them
//   search.svelte.ts, typing.svelte.ts   "Search messages", who is typing
//   seen.svelte.ts           read markers: what this tab shows, "Seen by"
//   file-transfers.svelte.ts files: sending, fetching, progress, "Download automatically"
// Each part writes only its own fields. Nothing here throws into a component:
// failures become messages.

import type { ChorusPeer, ConnectionState, IdbStore } from '@chorus/peer';
import type { GroupSummary } from '@chorus/protocol';
import {
  MAX_NAME_CHARS,
  type DmParty,
  type GroupId,
  type MessageId,
  type MessageOp,
  type Ordering,
} from '@chorus/protocol/light';
import type { Attention } from './attention.svelte.ts';
import { Banners, type Banner } from './banners.svelte.ts';
import { ComposerActions } from './composer-actions.ts';
import { Connection, connectUntilUp, type ConnectionView } from './connection.svelte.ts';
import { DirectMessages } from './direct-messages.svelte.ts';
import { FileTransfers } from './file-transfers.svelte.ts';
import type { DmMemory } from './dm-memory.ts';
import { JoinedGroups } from './joined-groups.svelte.ts';
import type { GroupState } from './group-state.svelte.ts';
import { Joins, type Invite } from './joins.svelte.ts';
import type { AddressBar } from '../route.ts';
import { MessageSearch } from './search.svelte.ts';
import type { Live, Runtime, StoreKit } from './runtime.ts';
import type { MetricsMemory } from './metrics-memory.ts';
import { routePeerEvents } from './peer-events.ts';
import type { TabMemory } from './tab-memory.ts';
import { TypingState } from './typing.svelte.ts';
import { NotifyPrefs } from './notify-prefs.svelte.ts';
import { bootSession, showCached } from './session-start.ts';
import { SeenState } from './seen.svelte.ts';

export { HISTORY_PAGE } from './joined-groups.svelte.ts';
export { MAX_MESSAGE_LENGTH } from './composer-actions.ts';

/** Longest display name: the tracker's own cap (code points), which it enforces at hello. */
export const MAX_NAME_LENGTH = MAX_NAME_CHARS;
/** How often the metrics panel refreshes: fast enough to feel live, slow enough to cost nothing. */
const METRICS_POLL_MS = 1_000;

export interface AppDeps {
  readonly memory: TabMemory;
  readonly attention: Attention;
  readonly loadRuntime: () => Promise<Runtime>;
  /** The store and the identity (a small chunk), loaded beside the runtime. */
  readonly loadStore: () => Promise<StoreKit>;
  readonly trackerUrl: string;
  readonly now?: () => number;
  /** The address bar: it shows the open group (`#/g/<id>`), and a group address opened in it is followed. */
  readonly address?: AddressBar;
  /** Each group's metrics across reloads; without it the panel counts from zero in every page. */
  readonly metrics?: MetricsMemory;
  /** Direct messages the person left (not joined by themselves again); without it none stay left. */
  readonly dms?: DmMemory;
  /** What notifies, per group; without it every message does, for this page only. */
  readonly notify?: NotifyPrefs;
  /** The browser profile's storage (localStorage), for settings every tab shares ("Download automatically"). */
  readonly profile?: Storage | null;
}

export class AppState {
  #name = $state<string | null>(null);
  #selfKey = $state<string | null>(null);
  readonly #connection = new Connection();
  #today = $state(0);
  readonly #deps: AppDeps;
  readonly #clock: () => number;
  #peer: ChorusPeer | null = null;
  #runtime: Runtime | null = null;
  #store: IdbStore | null = null;
  #unsubscribe: (() => void)[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;

  /** The session as the parts read it. */
  readonly #live: Live;
  readonly #banners = new Banners();
  readonly #groups: JoinedGroups;
  readonly #joins: Joins;
  readonly #composer: ComposerActions;
  readonly #dms: DirectMessages;
  /** "Search messages": the stored history of every joined group. */
  readonly search: MessageSearch;
  /** Who is typing in each group (ephemeral markers, never stored). */
  readonly typing = new TypingState();
  /** Who has seen your latest message, per group of at most ten people (read markers, never stored). */
  readonly seen: SeenState;
  /** What raises a desktop notification, per group. */
  readonly notify: NotifyPrefs;
  /** Files of the joined groups: sending, fetching, progress, the automatic-download setting. */
  readonly files: FileTransfers;

  constructor(deps: AppDeps) {
    this.#deps = deps;
    this.#clock = deps.now ?? Date.now;
    this.#today = this.#clock();
    // The getters below belong to another object, where `this` is that object.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const app = this;
    this.#live = {
      get runtime() {
        return app.#runtime;
      },
      get store() {
        return app.#store;
      },
      get peer() {
        return app.#peer;
      },
      get selfKey() {
        return app.#selfKey;
      },
      get selfName() {
        return app.selfName;
      },
      get online() {
        return app.#peer !== null && app.#connection.state === 'online';
      },
    };
    this.notify = deps.notify ?? new NotifyPrefs(null);
    this.#groups = new JoinedGroups({
      memory: deps.memory,
      attention: deps.attention,
      notify: this.notify,
      metrics: deps.metrics,
      clock: this.#clock,
      live: this.#live,
      onCurrent: () => {
        this.#joins.syncAddress();
        this.seen.markRead();
      },
    });
    this.seen = new SeenState({
      live: this.#live,
      current: () => this.#groups.current,
      group: (id) => this.#groups.get(id),
      hidden: () => deps.attention.hidden,
    });
    this.#dms = new DirectMessages({
      groups: this.#groups,
      banners: this.#banners,
      live: this.#live,
      memory: deps.dms,
    });
    this.#joins = new Joins({
      groups: this.#groups,
      banners: this.#banners,
      live: this.#live,
      address: deps.address,
      followDm: (id) => this.#dms.follow(id),
    });
    this.#composer = new ComposerActions({
      live: this.#live,
      groups: this.#groups,
      joins: this.#joins,
      banners: this.#banners,
      clock: this.#clock,
      quit: () => this.quit(),
      opening: () => this.#dms.opening?.name ?? null,
    });
    this.files = new FileTransfers({
      live: this.#live,
      profile: deps.profile ?? null,
      note: (id, text) => this.#groups.get(id)?.addNote(text, 'error', this.#clock()),
      storageFull: (text) => this.#banners.show('storage', text),
      sent: (message) => this.#groups.received(message),
    });
    this.search = new MessageSearch(
      () => this.#store,
      () => this.#groups.list,
    );
    const remembered = deps.memory.name;
    if (remembered) void this.#boot(remembered);
  }

  /** The display name of this tab, null before one is picked. */
  get name(): string | null {
    return this.#name;
  }
  get selfName(): string {
    return this.#name ?? '';
  }
  /**
   * This tab's public key (base64): who "you" are. Messages and people are
   * yours when their key is this one, whatever their name (lib/people.ts).
   * Null until the identity is loaded.
   */
  get selfKey(): string | null {
    return this.#selfKey;
  }
  get connection(): ConnectionState {
    return this.#connection.state;
  }
  /** Your own connection, honestly (connection.svelte.ts). */
  get connectionView(): ConnectionView {
    return this.#connection.view;
  }
  /**
   * A moment of the current local day, for "Today"/"Yesterday" separators.
   * It changes only when the date does, so the log is not rebuilt every tick.
   */
  get today(): number {
    return this.#today;
  }
  get banners(): readonly Banner[] {
    return this.#banners.list;
  }

  // ---- the joined groups (joined-groups.svelte.ts) ----
  get groups(): readonly GroupState[] {
    return this.#groups.list;
  }
  get current(): GroupState | null {
    return this.#groups.current;
  }
  get currentId(): GroupId | null {
    return this.#groups.currentId;
  }
  get joinedIds(): ReadonlySet<GroupId> {
    return this.#groups.ids;
  }
  /** Counts every time a group is opened (the same one again too): the narrow layout then shows the chat. */
  get opened(): number {
    return this.#groups.opened;
  }
  open(groupId: GroupId): void {
    this.#groups.open(groupId);
  }
  /** A search result was activated: open its group and show the message there. */
  openAt(groupId: GroupId, messageId: MessageId): void {
    this.#groups.openAt(groupId, messageId);
  }
  /** The log was scrolled to the oldest message held: read the page before it. */
  loadOlder(groupId: GroupId): Promise<void> {
    return this.#groups.loadOlder(groupId);
  }

  // ---- getting into groups (joins.svelte.ts) ----
  get directory(): readonly GroupSummary[] {
    return this.#joins.directory;
  }
  /** Groups whose listitem shows a password field (locked, Join pressed). */
  get passwordAsked(): ReadonlySet<GroupId> {
    return this.#joins.passwordAsked;
  }
  get joinErrors(): ReadonlyMap<GroupId, string> {
    return this.#joins.joinErrors;
  }
  get joinBusy(): ReadonlySet<GroupId> {
    return this.#joins.joinBusy;
  }
  get createError(): string | null {
    return this.#joins.createError;
  }
  get creating(): boolean {
    return this.#joins.creating;
  }
  /** The locked group whose password the page asks for now, if any. */
  get invite(): Invite | null {
    return this.#joins.invite;
  }
  followAddress(hash: string): void {
    this.#joins.followAddress(hash);
  }
  acceptInvite(password: string): Promise<void> {
    return this.#joins.acceptInvite(password);
  }
  dismissInvite(): void {
    this.#joins.dismissInvite();
  }
  join(groupId: GroupId, password?: string, open = true): Promise<void> {
    return this.#joins.join(groupId, password, open);
  }
  cancelPassword(groupId: GroupId): void {
    this.#joins.cancelPassword(groupId);
  }
  createGroup(name: string, ordering: Ordering, password: string): Promise<boolean> {
    return this.#joins.createGroup(name, ordering, password);
  }
  leave(groupId: GroupId): Promise<void> {
    this.#dms.left(groupId);
    this.seen.forget(groupId);
    return this.#joins.leave(groupId);
  }

  // ---- direct messages (direct-messages.svelte.ts) ----
  /** The joined groups that are direct messages, and the other person of each. */
  get dmWith(): ReadonlyMap<GroupId, DmParty> {
    return this.#dms.with;
  }
  /** "Message <name>": open the direct message with this person. */
  openDm(person: { readonly key: string; readonly name: string }): Promise<void> {
    return this.#dms.open(person);
  }
  /** Whom "Message <name>" is opening a direct message with (not joined yet): the composer sends nothing meanwhile. */
  get dmOpening(): string | null {
    return this.#dms.opening?.name ?? null;
  }

  // ---- the composer (composer-actions.ts) ----
  /** A `/` command or a message to the open group. Returns false when nothing was sent. */
  submit(raw: string): Promise<boolean> {
    return this.#composer.submit(raw);
  }
  /** An edit, delete or reaction on a message of the open group. Returns false when it was not sent. */
  act(op: MessageOp): Promise<boolean> {
    return this.#composer.act(op);
  }
  /** The person types in the open group's composer (the composer throttles; the runtime gates too). */
  typed(): void {
    const id = this.#groups.currentId;
    if (id === null || this.#dms.opening) return;
    this.typing.say(() => this.#groups.currentId === id && (this.#peer?.signal(id, { kind: 'typing' }) ?? false));
  }

  dismiss(bannerId: number): void {
    this.#banners.dismiss(bannerId);
  }

  /** The page became visible again: the open group's newest message is now seen (a read marker). */
  pageShown(): void {
    this.seen.markRead();
  }

  /** Desktop notifications: what the browser allows, and asking it (from a click: browsers ignore other requests). */
  get notifications(): NotificationPermission | 'unsupported' {
    return this.#deps.attention.permission;
  }
  enableNotifications(): void {
    this.#deps.attention.requestPermission();
  }

  /** The browser's own word on the network (`online` / `offline` events). */
  setNetwork(online: boolean): void {
    this.#connection.setNetwork(online);
  }

  /** The display-name form: validate, remember for this tab, start. Returns an error sentence or null. */
  start(rawName: string): string | null {
    const name = rawName.trim();
    if (name.length === 0) return 'Enter a display name.';
    if ([...name].length > MAX_NAME_LENGTH) return `A display name has at most ${MAX_NAME_LENGTH} characters.`;
    this.#deps.memory.name = name;
    this.#deps.attention.requestPermission();
    void this.#boot(name);
    return null;
  }

  async #boot(name: string): Promise<void> {
    this.#name = name;
    this.#connection.set('connecting');
    const started = await bootSession({
      loadRuntime: () => this.#deps.loadRuntime(),
      loadStore: () => this.#deps.loadStore(),
      name,
      banners: this.#banners,
      opened: (store) => (this.#store = store),
      identified: (key) => (this.#selfKey = key),
      showCached: (ready) => showCached(this.#deps.memory, this.#groups, this.#dms, this.#joins.target, ready),
    });
    if (started === null) return this.#connection.set('offline');
    const { runtime, store, identity, remembered } = started;
    this.#runtime = runtime;

    const peer = runtime.createPeer({ trackerUrl: this.#deps.trackerUrl, name, store, identity });
    this.#peer = peer;
    this.#subscribe(peer);
    this.files.started();
    this.#timer = setInterval(() => this.#tick(), METRICS_POLL_MS);
    if (!(await connectUntilUp(peer, this.#banners, () => this.#peer === peer))) return;
    this.#banners.clear('connection');
    this.#connection.set('online');
    this.#joins.setDirectory(peer.directory());
    await Promise.all([
      ...remembered.map((g) => this.#joins.rejoin(g)),
      this.#joins.followTarget(),
      // Direct messages opened with this person while this tab was away (or by another of their tabs).
      ...peer.dms().map((dm) => this.#dms.heard(dm, false)),
    ]);
  }

  #subscribe(peer: ChorusPeer): void {
    const parts = {
      connection: this.#connection,
      banners: this.#banners,
      groups: this.#groups,
      joins: this.#joins,
      dms: this.#dms,
    };
    this.#unsubscribe.push(
      ...routePeerEvents(peer, {
        ...parts,
        typing: this.typing,
        seen: this.seen,
        files: this.files,
        clock: this.#clock,
      }),
    );
  }

  #tick(): void {
    const t = this.#clock();
    if (new Date(t).toDateString() !== new Date(this.#today).toDateString()) this.#today = t;
    if (this.#peer) this.#groups.showMetrics();
  }

  /** Leave every group, close the session and go back to the name picker. */
  async quit(): Promise<void> {
    const peer = this.#peer;
    this.#teardown();
    this.#deps.memory.clear();
    this.#name = null;
    this.#selfKey = null;
    this.#joins.clear();
    this.#dms.clear();
    this.#groups.clear();
    this.#connection.reset();
    await peer?.close().catch(() => {});
  }

  #teardown(): void {
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    if (this.#timer !== null) clearInterval(this.#timer);
    this.typing.clear();
    this.seen.clear();
    this.files.clear();
    this.#timer = null;
    this.#peer = null;
    const store = this.#store;
    this.#store = null;
    void store?.close().catch(() => {});
  }
}
