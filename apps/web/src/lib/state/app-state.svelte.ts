// The page's state over one ChorusPeer: who this tab is, the directory, the
// joined groups and which one is open, banners. Components read it and call
// its methods; it turns peer events into state and user intents into peer
// calls, and never throws into a component (failures become messages).

import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import type { ChatMessage, ChorusPeer, CommandResult, ConnectionState, IdbStore, JoinedGroup, PeerIdentity } from '@chorus/peer';
import { encodeOp, MAX_BODY_CHARS, opFits, type GroupId, type GroupSummary, type MessageId, type MessageOp, type Ordering } from '@chorus/protocol';
import type { Attention } from './attention.svelte.ts';
import { HELP_LINES, parseJoin, webCommand } from '../commands.ts';
import { mentions } from '../mentions.ts';
import { peopleOf } from '../people.ts';
import { groupHash, groupIdFromHash, type AddressBar } from '../route.ts';
import { GroupState } from './group-state.svelte.ts';
import { MessageSearch } from './search.svelte.ts';
import { chatMessageFromStored, type Runtime } from './runtime.ts';
import type { MetricsMemory } from './metrics-memory.ts';
import type { RememberedGroup, TabMemory } from './tab-memory.ts';
import { TypingState } from './typing.svelte.ts';

/** Longest display name accepted here; the tracker enforces its own cap too. */
export const MAX_NAME_LENGTH = 40;
/**
 * Longest message body the composer sends: the wire's own cap, which every
 * receiver's parser enforces (a longer body would reach only its sender).
 */
export const MAX_MESSAGE_LENGTH = MAX_BODY_CHARS;
/**
 * Messages read from the local store at a time: the newest page when a group
 * opens (enough to fill any screen and then some), then one page before the
 * oldest held each time the log is scrolled to its top. Never the whole history.
 */
export const HISTORY_PAGE = 200;
/** How often the metrics panel refreshes: fast enough to feel live, slow enough to cost nothing. */
const METRICS_POLL_MS = 1_000;
/**
 * The runtime's first connect gives up after a while; the tab keeps asking,
 * starting soon (a tracker restart takes a second or two) and backing off to
 * this cap so a long outage costs nothing.
 */
const CONNECT_RETRY_FIRST_MS = 1_000;
const CONNECT_RETRY_MAX_MS = 15_000;


export type BannerKind = 'storage' | 'connection' | 'error' | 'info';
export interface Banner {
  readonly id: number;
  readonly kind: BannerKind;
  readonly message: string;
}

export interface AppDeps {
  readonly memory: TabMemory;
  readonly attention: Attention;
  readonly loadRuntime: () => Promise<Runtime>;
  readonly trackerUrl: string;
  readonly now?: () => number;
  /** The address bar: it shows the open group (`#/g/<id>`), and a group address opened in it is followed. */
  readonly address?: AddressBar;
  /** Each group's metrics across reloads; without it the panel counts from zero in every page. */
  readonly metrics?: MetricsMemory;
}

/** A group someone was sent to (an invite link) or a new tab rejoins, that needs its password first. */
export interface Invite {
  readonly groupId: GroupId;
  readonly name: string;
  readonly error: string | null;
  readonly busy: boolean;
}

export class AppState {
  #name = $state<string | null>(null);
  #selfKey = $state<string | null>(null);
  #connection = $state<ConnectionState>('offline');
  /** The tracker connection was up once: a later 'connecting' is a reconnect. */
  #wasOnline = $state(false);
  /** What the browser says of the network (`navigator.onLine`): false is surely offline, true proves nothing. */
  #network = $state(true);
  #directory = $state.raw<readonly GroupSummary[]>([]);
  #groups = $state.raw<readonly GroupState[]>([]);
  #currentId = $state<GroupId | null>(null);
  #banners = $state.raw<readonly Banner[]>([]);
  #createError = $state<string | null>(null);
  #creating = $state(false);
  #today = $state(0);
  /** Counts every time a group is opened (the same one again too): the narrow layout then shows the chat. */
  #opened = $state(0);
  readonly #passwordAsked = new SvelteSet<GroupId>();
  readonly #joinErrors = new SvelteMap<GroupId, string>();
  readonly #joinBusy = new SvelteSet<GroupId>();
  /** Groups waiting for their password (an invite link to a locked group, a locked group a new tab rejoins), first shown first. */
  #invites = $state.raw<readonly GroupId[]>([]);
  #inviteError = $state<string | null>(null);
  #inviteBusy = $state(false);
  /** The group the address named before the tab could follow it (no name yet, not connected yet). */
  #target: GroupId | null = null;

  readonly current = $derived(this.#groups.find((g) => g.groupId === this.#currentId) ?? null);
  readonly joinedIds = $derived(new Set(this.#groups.map((g) => g.groupId)));

  /** "Search messages": the stored history of every joined group. */
  readonly search = new MessageSearch(() => this.#store, () => this.#groups);

  /** Who is typing in each group (ephemeral markers, never stored). */
  readonly typing = new TypingState();
  readonly #deps: AppDeps;
  readonly #clock: () => number;
  #peer: ChorusPeer | null = null;
  #runtime: Runtime | null = null;
  #store: IdbStore | null = null;
  #unsubscribe: (() => void)[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  #bannerSeq = 0;

  constructor(deps: AppDeps) {
    this.#deps = deps;
    this.#clock = deps.now ?? Date.now;
    this.#today = this.#clock();
    this.#target = groupIdFromHash(deps.address?.read() ?? '');
    const remembered = deps.memory.name;
    if (remembered) void this.#boot(remembered);
  }

  /** The display name of this tab, null before one is picked. */
  get name(): string | null { return this.#name; }
  /**
   * This tab's public key (base64): who "you" are. Messages and people are
   * yours when their key is this one, whatever their name (lib/people.ts).
   * Null until the identity is loaded.
   */
  get selfKey(): string | null { return this.#selfKey; }
  get connection(): ConnectionState { return this.#connection; }
  /**
   * Your own connection, honestly: "Offline" as soon as the browser says the
   * network is gone (the tracker socket takes a while to notice),
   * "Reconnecting…" while a dropped tracker connection is being restored.
   */
  get connectionView(): { readonly label: 'Online' | 'Connecting…' | 'Reconnecting…' | 'Offline'; readonly tone: 'online' | 'connecting' | 'offline' } {
    if (!this.#network || this.#connection === 'offline') return { label: 'Offline', tone: 'offline' };
    if (this.#connection === 'online') return { label: 'Online', tone: 'online' };
    return { label: this.#wasOnline ? 'Reconnecting…' : 'Connecting…', tone: 'connecting' };
  }
  get directory(): readonly GroupSummary[] { return this.#directory; }
  get groups(): readonly GroupState[] { return this.#groups; }
  get currentId(): GroupId | null { return this.#currentId; }
  get opened(): number { return this.#opened; }
  get banners(): readonly Banner[] { return this.#banners; }
  get createError(): string | null { return this.#createError; }
  get creating(): boolean { return this.#creating; }
  /**
   * A moment of the current local day, for "Today"/"Yesterday" separators.
   * It changes only when the date does, so the log is not rebuilt every tick.
   */
  get today(): number { return this.#today; }
  /** Groups whose listitem shows a password field (locked, Join pressed). */
  get passwordAsked(): ReadonlySet<GroupId> { return this.#passwordAsked; }
  get joinErrors(): ReadonlyMap<GroupId, string> { return this.#joinErrors; }
  get joinBusy(): ReadonlySet<GroupId> { return this.#joinBusy; }
  /** The locked group whose password the page asks for now, if any. */
  get invite(): Invite | null {
    const groupId = this.#invites[0];
    if (groupId === undefined) return null;
    const name = this.#directory.find((g) => g.groupId === groupId)?.name ?? this.#group(groupId)?.name ?? 'this group';
    return { groupId, name, error: this.#inviteError, busy: this.#inviteBusy };
  }

  /** Desktop notifications: what the browser allows, and asking it (from a click: browsers ignore other requests). */
  get notifications(): NotificationPermission | 'unsupported' { return this.#deps.attention.permission; }
  enableNotifications(): void {
    this.#deps.attention.requestPermission();
  }

  get selfName(): string {
    return this.#name ?? '';
  }

  /** The browser's own word on the network (`online` / `offline` events). */
  setNetwork(online: boolean): void {
    this.#network = online;
  }

  /** The display-name form: validate, remember for this tab, start. Returns an error sentence or null. */
  start(rawName: string): string | null {
    const name = rawName.trim();
    if (name.length === 0) return 'Enter a display name.';
    if (name.length > MAX_NAME_LENGTH) return `A display name has at most ${MAX_NAME_LENGTH} characters.`;
    this.#deps.memory.name = name;
    this.#deps.attention.requestPermission();
    void this.#boot(name);
    return null;
  }

  async #boot(name: string): Promise<void> {
    this.#name = name;
    this.#connection = 'connecting';
    let runtime: Runtime;
    try {
      runtime = await this.#deps.loadRuntime();
    } catch (e) {
      this.#banner('error', `Chorus could not load (${describe(e)}). Reload the page to try again.`);
      this.#connection = 'offline';
      return;
    }
    this.#runtime = runtime;
    const store = runtime.openStore({
      onProblem: (p) => this.#banner('storage', p.message),
      onRecovered: () => this.#clearBanners('storage'),
    });
    this.#store = store;
    // Who "you" are is your key: loaded (or made) before anything is shown, so your own cached messages show as yours.
    let identity: Required<PeerIdentity>;
    try {
      identity = await runtime.loadIdentity(store.keys(), name);
    } catch (e) {
      this.#banner('error', `Chorus could not open your identity for ${name} (${describe(e)}). Reload the page to try again.`);
      this.#connection = 'offline';
      return;
    }
    this.#selfKey = identity.publicKey;

    // Cached history first: the tab shows what it knows before the network is up.
    const remembered = this.#deps.memory.groups;
    for (const g of remembered) this.#ensureGroup(g.groupId, g.name, g.ordering);
    const target = this.#target !== null && remembered.some((g) => g.groupId === this.#target) ? this.#target : null;
    this.#setCurrent(target ?? this.#deps.memory.current ?? remembered[0]?.groupId ?? null);
    await Promise.all(remembered.map((g) => this.#loadCached(g.groupId)));
    for (const g of this.#groups) g.setMetrics(this.#deps.metrics?.show(g.groupId, null) ?? null);

    const peer = runtime.createPeer({ trackerUrl: this.#deps.trackerUrl, name, store, identity });
    this.#peer = peer;
    this.#subscribe(peer);
    this.#timer = setInterval(() => this.#tick(), METRICS_POLL_MS);
    for (let attempt = 0; ; attempt++) {
      try {
        await peer.connect();
        break;
      } catch (e) {
        if (this.#peer !== peer) return;
        this.#banner('connection', `Cannot reach the tracker (${describe(e)}). Chorus keeps trying; cached history stays readable.`);
        await new Promise((r) => setTimeout(r, Math.min(CONNECT_RETRY_MAX_MS, CONNECT_RETRY_FIRST_MS * 2 ** attempt)));
        if (this.#peer !== peer) return; // the person quit meanwhile
      }
    }
    this.#clearBanners('connection');
    this.#connection = 'online';
    this.#wasOnline = true;
    this.#directory = peer.directory();
    await Promise.all([...remembered.map((g) => this.#rejoin(g)), this.#followTarget()]);
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
    if (this.#peer && this.#connection === 'online') void this.#followTarget();
  }

  async #followTarget(): Promise<void> {
    const groupId = this.#target;
    this.#target = null;
    if (groupId === null) return;
    if (this.joinedIds.has(groupId)) {
      this.open(groupId);
      return;
    }
    // The runtime's copy: on a reconnect it is fresh before the page's `directory` event arrives.
    if (this.#peer) this.#directory = this.#peer.directory();
    const summary = this.#directory.find((g) => g.groupId === groupId);
    if (!summary) {
      this.#banner('error', 'The group this link opens is not in the directory: it may have been deleted, or the link is cut short.');
      this.#syncAddress();
      return;
    }
    if (summary.locked) this.#askPassword(groupId, true);
    else await this.join(groupId);
  }

  #askPassword(groupId: GroupId, first: boolean): void {
    const others = this.#invites.filter((id) => id !== groupId);
    this.#invites = first ? [groupId, ...others] : [...others, groupId];
    this.#inviteError = null;
  }

  /** The password for the group the page asks about: join (or rejoin) it with that. */
  async acceptInvite(password: string): Promise<void> {
    const invite = this.invite;
    const peer = this.#peer;
    if (!invite || !peer || this.#inviteBusy) return;
    if (password === '') {
      this.#inviteError = `Enter the password for ${invite.name}.`;
      return;
    }
    const { groupId } = invite;
    this.#inviteBusy = true;
    this.#inviteError = null;
    try {
      if (this.#group(groupId)) {
        // Listed already (a locked group a new tab rejoins): join it with the password.
        const joined = await peer.join(groupId, password);
        this.#remember({ groupId, name: joined.name, ordering: joined.ordering, password });
        this.#group(groupId)?.setProblem(null);
        this.open(groupId);
        await this.#adopt(joined);
      } else {
        await this.join(groupId, password);
        if (!this.joinedIds.has(groupId)) {
          // join() put its sentence beside the directory entry; the prompt here shows it instead.
          this.#inviteError = this.#joinErrors.get(groupId) ?? `Could not join ${invite.name}.`;
          this.cancelPassword(groupId);
          return;
        }
      }
      this.#invites = this.#invites.filter((id) => id !== groupId);
    } catch (e) {
      this.#inviteError = errorCode(e) === 'wrong-password' ? `Wrong password for ${invite.name}. Try again.` : `Could not join ${invite.name}: ${describe(e)}`;
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
    const groupId = this.#invites[0];
    if (groupId === undefined) return;
    this.#invites = this.#invites.slice(1);
    this.#inviteError = null;
    this.#syncAddress();
  }

  async #loadCached(groupId: GroupId): Promise<void> {
    const group = this.#group(groupId);
    if (!group || !this.#store) return;
    try {
      group.addPage((await this.#store.latest(groupId, HISTORY_PAGE)).map(chatMessageFromStored), HISTORY_PAGE);
    } catch {
      // The store reported the problem through its banner; the network history still comes.
    }
  }

  async #rejoin(g: RememberedGroup): Promise<void> {
    const peer = this.#peer;
    if (!peer) return;
    try {
      const joined = await peer.join(g.groupId, g.password);
      await this.#adopt(joined);
    } catch (e) {
      const group = this.#group(g.groupId);
      if (errorCode(e) === 'wrong-password' && g.password === undefined) {
        // A locked group this tab knows from another tab of the profile: passwords are never shared, so ask.
        group?.setProblem(`${g.name} is locked: enter its password to join it in this tab.`);
        this.#askPassword(g.groupId, false);
        return;
      }
      group?.setProblem(`Could not join ${g.name} again: ${describe(e)}`);
    }
  }

  #subscribe(peer: ChorusPeer): void {
    this.#unsubscribe.push(
      peer.on('connection', (state) => {
        this.#connection = state;
        if (state === 'online') {
          this.#wasOnline = true;
          this.#clearBanners('connection');
          void this.#followTarget(); // an address opened while the tracker was out of reach
        }
      }),
      peer.on('directory', (groups) => {
        this.#directory = groups;
      }),
      peer.on('group', (group) => this.#onGroup(group)),
      peer.on('message', (message) => this.#onMessage(message)),
      peer.on('system', (line) => this.#group(line.groupId)?.addSystem(line)),
      peer.on('signal', (s) => {
        if (s.kind === 'typing' && this.#group(s.groupId)) this.typing.heard(s.groupId, s.from, s.name);
      }),
      peer.on('error', (e) => {
        const group = e.groupId ? this.#group(e.groupId) : null;
        if (group) group.addNote(e.message, 'error', this.#clock());
        else this.#banner('error', e.message);
      }),
    );
  }

  #onGroup(joined: JoinedGroup): void {
    const group = this.#group(joined.groupId);
    if (!group) return;
    group.apply(joined);
    // The runtime re-joins by itself after a false removal (status 'joining'); 'removed' means it gave up.
    if (joined.status === 'removed') {
      group.setProblem(`You are no longer a member of ${joined.name}: the tracker removed this tab and joining again failed. Leave and join again to continue.`);
    }
  }

  #onMessage(message: ChatMessage): void {
    const group = this.#group(message.groupId);
    if (!group) return;
    const fresh = group.upsert(message);
    if (message.state === 'delivered') this.typing.stopped(message.groupId, message.sender);
    // Yours is what your key signed (any tab of yours), never what carries your name.
    if (!fresh || message.state !== 'delivered' || group.keyOf(message) === this.#selfKey) return;
    if (message.sentAt < group.joinedAt) return; // history catching up is not news
    const text = group.viewOf(message).text;
    const open = group.groupId === this.#currentId;
    if (!open) {
      group.countUnread();
      if (mentions(text, this.selfName)) group.countMention();
    }
    this.#deps.attention.message(group.name, group.authorOf(message), text, open);
    this.#deps.attention.setUnread(this.#groups.reduce((n, g) => n + g.unread, 0));
  }

  #tick(): void {
    const t = this.#clock();
    if (new Date(t).toDateString() !== new Date(this.#today).toDateString()) this.#today = t;
    const peer = this.#peer;
    if (!peer) return;
    const memory = this.#deps.metrics;
    for (const g of this.#groups) {
      const live = peer.metrics(g.groupId);
      g.setMetrics(memory ? memory.show(g.groupId, live) : live);
    }
  }

  // ---- intents ----

  /** The person types in the open group's composer (the composer throttles; the runtime gates too). */
  typed(): void {
    const id = this.#currentId;
    if (id !== null) this.#peer?.signal(id, { kind: 'typing' });
  }

  open(groupId: GroupId): void {
    const group = this.#group(groupId);
    if (!group) return;
    this.#setCurrent(groupId);
    group.markRead();
    this.#deps.attention.setUnread(this.#groups.reduce((n, g) => n + g.unread, 0));
    this.#opened++;
  }

  /** A search result was activated: open its group and show the message there. */
  openAt(groupId: GroupId, messageId: MessageId): void {
    const group = this.#group(groupId);
    if (!group) return;
    group.requestFocus(messageId);
    this.open(groupId);
  }

  /**
   * The log was scrolled to the oldest message held: read the page before it
   * (from the runtime, or the store itself before the runtime is up). One read
   * at a time per group; a failed read leaves the log as it was.
   */
  async loadOlder(groupId: GroupId): Promise<void> {
    const group = this.#group(groupId);
    const oldest = group?.oldestOrder ?? null;
    if (!group || !group.olderInStore || group.loadingOlder || oldest === null) return;
    group.setLoadingOlder(true);
    try {
      const peer = this.#peer;
      const store = this.#store;
      const page = peer
        ? await peer.history(groupId, { before: oldest, limit: HISTORY_PAGE })
        : store ? (await store.before(groupId, oldest, HISTORY_PAGE)).map(chatMessageFromStored) : [];
      group.addPage(page, HISTORY_PAGE);
    } catch {
      // The store reported the problem through its banner; scrolling up again retries.
    } finally {
      group.setLoadingOlder(false);
    }
  }

  /**
   * Join a listed group. A locked group first asks for its password inside its
   * listitem. It opens at once unless `open` is false (a group created while
   * the person went on to another one).
   */
  async join(groupId: GroupId, password?: string, open = true): Promise<void> {
    const peer = this.#peer;
    const summary = this.#directory.find((g) => g.groupId === groupId);
    if (!peer || !summary) return;
    if (this.joinedIds.has(groupId)) {
      this.open(groupId);
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
    const previous = this.#currentId;
    const group = this.#ensureGroup(groupId, summary.name, summary.ordering);
    // The group opens at once ("Joining…"); if the person opens another one meanwhile, that one stays open.
    if (open) this.#setCurrent(groupId);
    try {
      const joined = await peer.join(groupId, password);
      this.#passwordAsked.delete(groupId);
      this.#remember({ groupId, name: summary.name, ordering: summary.ordering, ...(password ? { password } : {}) });
      if (this.#currentId === groupId) this.open(groupId);
      await this.#adopt(joined);
    } catch (e) {
      const wasOpen = this.#currentId === groupId;
      this.#dropGroup(group.groupId);
      if (wasOpen && previous !== null && this.#group(previous)) this.#setCurrent(previous);
      const code = errorCode(e);
      if (code === 'wrong-password') {
        this.#passwordAsked.add(groupId);
        this.#joinErrors.set(groupId, `Wrong password for ${summary.name}. Try again.`);
      } else {
        this.#joinErrors.set(groupId, `Could not join ${summary.name}: ${describe(e)}`);
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
    const peer = this.#peer;
    const name = rawName.trim();
    if (!peer) {
      this.#createError = 'Not connected yet. Wait a moment and try again.';
      return false;
    }
    if (name.length === 0) {
      this.#createError = 'Enter a group name.';
      return false;
    }
    this.#creating = true;
    this.#createError = null;
    const openBefore = this.#currentId;
    try {
      const summary = await peer.createGroup(name, ordering, password === '' ? undefined : password);
      if (!this.#directory.some((g) => g.groupId === summary.groupId)) this.#directory = [...this.#directory, summary];
      // Whoever creates a group wants to be in it, and to see it, as Slack opens a channel you create
      // (docs/design.md §6) — unless they opened another group while it was being created.
      await this.join(summary.groupId, password === '' ? undefined : password, this.#currentId === openBefore);
      return true;
    } catch (e) {
      this.#createError = errorCode(e) === 'name-taken'
        ? `A group named ${name} already exists. Pick another name or join it.`
        : `Could not create ${name}: ${describe(e)}`;
      return false;
    } finally {
      this.#creating = false;
    }
  }

  async leave(groupId: GroupId): Promise<void> {
    const peer = this.#peer;
    const group = this.#group(groupId);
    if (!group) return;
    try {
      await peer?.leave(groupId);
    } catch (e) {
      // The tracker drops us anyway when the session goes; still leave locally so the person is not stuck.
      this.#banner('error', `Leaving ${group.name} was not confirmed by the tracker (${describe(e)}).`);
    }
    this.#invites = this.#invites.filter((id) => id !== groupId);
    this.#dropGroup(groupId);
  }

  /** The composer: a `/` command or a message to the open group. Returns false when nothing was sent. */
  async submit(raw: string): Promise<boolean> {
    const text = raw.replace(/\s+$/u, '');
    if (text.trim().length === 0) return false;
    const peer = this.#peer;
    const group = this.current;
    if (text.startsWith('/')) {
      const own = webCommand(text);
      if (own?.kind === 'help') {
        this.#note(['Commands:', ...HELP_LINES].join('\n'), 'info');
        return true;
      }
      if (!peer) {
        this.#note(`${text.split(/\s/u)[0]}: not connected yet. Wait a moment and try again.`, 'error');
        return false;
      }
      if (own?.kind === 'join') {
        await this.#joinCommand(own.arg);
        return true;
      }
      const result = await peer.command(text, this.#currentId).catch((e: unknown): CommandResult => ({ kind: 'error', message: describe(e) }));
      await this.#commandResult(text, result);
      return true;
    }
    if (!group) {
      this.#note('No group is open: open or join one to send messages. Type /help for the commands.', 'error');
      return false;
    }
    if (!peer) return false;
    const replyTo = group.replyingTo;
    const reply: MessageOp | null = replyTo === null ? null : { op: 'reply', target: replyTo, text };
    if (reply === null ? text.length > MAX_MESSAGE_LENGTH : !opFits(reply)) {
      group.addNote(`Not sent: a message has at most ${MAX_MESSAGE_LENGTH} characters${reply === null ? '' : ', a reply a little less'} (this one has ${text.length}).`, 'error', this.#clock());
      return false;
    }
    // Shown at once as pending: the runtime may hold a message back (a view change in progress) before it has an id.
    const body = reply === null ? text : encodeOp(reply);
    const placeholder = group.addOutgoing({ sender: peer.peerId, senderName: peer.name, senderKey: this.#selfKey, body, sentAt: this.#clock() });
    group.setReplyTo(null);
    try {
      group.settleOutgoing(placeholder, await (reply === null ? peer.send(group.groupId, text) : peer.sendOp(group.groupId, reply)));
      return true;
    } catch (e) {
      group.settleOutgoing(placeholder, null);
      if (group.replyingTo === null) group.setReplyTo(replyTo);
      group.addNote(`Not sent: ${describe(e)}`, 'error', this.#clock());
      return false;
    }
  }

  /** An edit, delete or reaction on a message of the open group (PROTOCOL.md §8). Returns false when it was not sent. */
  async act(op: MessageOp): Promise<boolean> {
    const peer = this.#peer;
    const group = this.current;
    if (!peer || !group) return false;
    try {
      await peer.sendOp(group.groupId, op);
      return true;
    } catch (e) {
      group.addNote(`Not sent: ${describe(e)}`, 'error', this.#clock());
      return false;
    }
  }

  /** A line in the open group's log, or a banner when none is open (after leaving the last group). */
  #note(text: string, tone: 'info' | 'error' = 'info'): void {
    const group = this.current;
    if (group) group.addNote(text, tone, this.#clock());
    else this.#banner(tone === 'error' ? 'error' : 'info', text);
  }

  /** `/join <group> [password]`: a locked group without its password asks for it, as an invite link does. */
  async #joinCommand(arg: string): Promise<void> {
    const peer = this.#peer;
    const runtime = this.#runtime;
    if (!peer || !runtime) return;
    if (arg.trim() === '') {
      this.#note('/join: which group? Usage: /join <group> [password].', 'error');
      return;
    }
    this.#directory = peer.directory();
    const target = parseJoin(arg, this.#directory, runtime.resolveGroup);
    const summary = target && this.#directory.find((g) => g.groupId === target.groupId);
    if (!target || !summary) {
      this.#note(`/join: there is no group called "${arg.trim()}".`, 'error');
      return;
    }
    if (this.joinedIds.has(summary.groupId)) {
      this.open(summary.groupId);
      return;
    }
    if (summary.locked && target.password === undefined) {
      this.#askPassword(summary.groupId, true);
      this.#syncAddress();
      return;
    }
    await this.join(summary.groupId, target.password);
    if (!this.joinedIds.has(summary.groupId)) {
      this.#note(`/join: ${this.#joinErrors.get(summary.groupId) ?? `could not join ${summary.name}.`}`, 'error');
      this.cancelPassword(summary.groupId);
    }
  }

  async #commandResult(line: string, result: CommandResult): Promise<void> {
    const note = (text: string, tone: 'info' | 'error' = 'info'): void => this.#note(text, tone);
    switch (result.kind) {
      case 'groups':
        note(result.groups.length === 0
          ? 'No groups yet.'
          : `Groups: ${result.groups.map((g) => `${g.name} (${g.ordering === 'total' ? 'Total' : 'FIFO'}${g.locked ? ', locked' : ''}, ${g.online} online)`).join('; ')}`);
        return;
      case 'members': {
        const name = this.#group(result.groupId)?.name ?? this.#directory.find((g) => g.groupId === result.groupId)?.name ?? 'the group';
        // One entry per key; namesakes carry their fingerprints, as in the members panel.
        const people = peopleOf(result.members.map((m) => ({ ...m, online: true })), new Map());
        note(`Members of ${name}: ${people.map((p) => (p.namesake ? p.label : p.name)).join(', ') || 'nobody'}`);
        return;
      }
      case 'joined': {
        const joined = this.#peer?.groups().find((g) => g.groupId === result.groupId);
        if (joined) {
          this.#ensureGroup(joined.groupId, joined.name, joined.ordering);
          this.#remember({ groupId: joined.groupId, name: joined.name, ordering: joined.ordering });
          await this.#adopt(joined);
        }
        this.open(result.groupId);
        return;
      }
      case 'switched':
        this.open(result.groupId);
        return;
      case 'left':
        this.#dropGroup(result.groupId);
        return;
      case 'quit':
        await this.quit();
        return;
      case 'error':
        note(`${line.split(/\s/u)[0]}: ${result.message}`, 'error');
        return;
    }
  }

  /** Leave every group, close the session and go back to the name picker. */
  async quit(): Promise<void> {
    const peer = this.#peer;
    this.#teardown();
    this.#deps.memory.clear();
    this.#name = null;
    this.#selfKey = null;
    this.#groups = [];
    this.#setCurrent(null);
    this.#invites = [];
    this.#directory = [];
    this.#connection = 'offline';
    this.#wasOnline = false;
    await peer?.close().catch(() => {});
  }

  dismiss(bannerId: number): void {
    this.#banners = this.#banners.filter((b) => b.id !== bannerId);
  }

  #teardown(): void {
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    if (this.#timer !== null) clearInterval(this.#timer);
    this.typing.clear();
    this.#timer = null;
    this.#peer = null;
    const store = this.#store;
    this.#store = null;
    void store?.close().catch(() => {});
  }

  // ---- helpers ----

  async #adopt(joined: JoinedGroup): Promise<void> {
    const group = this.#ensureGroup(joined.groupId, joined.name, joined.ordering);
    group.apply(joined);
    const peer = this.#peer;
    if (!peer) return;
    try {
      group.addPage(await peer.history(joined.groupId, { limit: HISTORY_PAGE }), HISTORY_PAGE);
    } catch {
      // History arrives as message events as well; a failed read only delays what is shown.
    }
  }

  #ensureGroup(groupId: GroupId, name: string, ordering: Ordering): GroupState {
    const existing = this.#group(groupId);
    if (existing) return existing;
    const group = new GroupState({ groupId, name, ordering, joinedAt: this.#clock() });
    this.#groups = [...this.#groups, group];
    return group;
  }

  #dropGroup(groupId: GroupId): void {
    this.#deps.metrics?.forget(groupId);
    this.#deps.memory.groups = this.#deps.memory.groups.filter((g) => g.groupId !== groupId);
    this.#groups = this.#groups.filter((g) => g.groupId !== groupId);
    if (this.#currentId === groupId) this.#setCurrent(this.#groups[0]?.groupId ?? null);
  }

  /** The open group: remembered for a reload and shown in the address bar. */
  #setCurrent(groupId: GroupId | null): void {
    this.#currentId = groupId;
    this.#deps.memory.current = groupId;
    this.#syncAddress();
  }

  #syncAddress(): void {
    const asked = this.#invites[0];
    const shown = asked !== undefined && !this.joinedIds.has(asked) ? asked : this.#currentId;
    this.#deps.address?.write(shown === null ? null : groupHash(shown));
  }

  #remember(g: RememberedGroup): void {
    const others = this.#deps.memory.groups.filter((r) => r.groupId !== g.groupId);
    this.#deps.memory.groups = [...others, g];
  }

  #group(groupId: GroupId): GroupState | undefined {
    return this.#groups.find((g) => g.groupId === groupId);
  }

  #banner(kind: BannerKind, message: string): void {
    if (this.#banners.some((b) => b.kind === kind && b.message === message)) return;
    this.#banners = [...this.#banners, { id: ++this.#bannerSeq, kind, message }];
  }

  #clearBanners(kind: BannerKind): void {
    this.#banners = this.#banners.filter((b) => b.kind !== kind);
  }
}

function errorCode(e: unknown): string | null {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : null;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
