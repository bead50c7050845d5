// The terminal client: reads lines, carries them out through the peer
// facade, and writes one line per message (time, group, author, text).
// Owns the current group (where plain lines go), which messages were
// already shown, and the prompt; ordering, history and the network are the
// peer's. On a TTY the prompt shows the current group and incoming lines are
// written above what is being typed; on a pipe there is no prompt, so the
// output is a clean log that scripts (and our tests) can read.
//
//   starting ──connect (retried with backoff)──▶ online ⇄ reconnecting
//       └──────────────── /quit, !q, Ctrl-D, SIGTERM ──────────────▶ closed

import { clearLine, createInterface, cursorTo, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { resolveGroup, type ChatMessage, type ChorusPeer, type ConnectionState, type JoinedGroup } from '@chorus/peer';
import { isDmGroupId, type DirectoryQuery, type GroupId } from '@chorus/protocol';
import type { LeftDms } from './dm-memory.ts';
import { firstOfTopic } from './error-topics.ts';
import { Formatter } from './format.ts';
import { MessageRefs } from './message-refs.ts';
import { OpLines } from './op-lines.ts';
import type { GroupPasswords } from './group-passwords.ts';
import { connectWithRetry } from './runtime.ts';
import { SeenIds } from './seen-ids.ts';
import { HELP, parseTerminalLine } from './terminal-commands.ts';
import { DirectChats } from './terminal-dms.ts';
import { LockedGroups } from './terminal-locked.ts';
import { runOp } from './terminal-ops.ts';
import { SinceReader } from './terminal-since.ts';

/** After a join, at most this many of the group's latest messages are shown; /since shows more. */
export const CATCH_UP_LINES = 20;
export { SINCE_LIMIT } from './terminal-since.ts';

export interface TerminalOptions {
  readonly peer: ChorusPeer;
  readonly input: Readable;
  readonly output: Writable;
  readonly tty: boolean;
  readonly color: boolean;
  readonly trackerUrl: string;
  /** Groups to join once connected (names or ids). */
  readonly groups: readonly string[];
  /** Groups this machine has history of (the local store), to show before the network is up. */
  readonly storedGroups?: () => readonly { readonly groupId: GroupId; readonly name: string }[];
  /** Looks groups up at the tracker (by a part of their name) before a command resolves a name in the directory. */
  readonly listDirectory?: (query?: DirectoryQuery) => Promise<unknown>;
  /** Passwords of locked groups (--password, the password file), for /join and /since. */
  readonly passwords?: GroupPasswords;
  /** This identity's public key (base64): whose messages are one's own, and who a direct message is with. */
  readonly selfKey?: string;
  /** Direct messages the person left (dm-memory.ts); without it they are remembered for this run only. */
  readonly leftDms?: LeftDms;
  /** Called once after the peer is closed (quit); the caller closes the store and exits. */
  readonly onClosed: () => void;
}

export class Terminal {
  readonly #opts: TerminalOptions;
  readonly #peer: ChorusPeer;
  readonly #fmt: Formatter;
  readonly #rl: Interface;
  readonly #locked: LockedGroups;
  #current: GroupId | null = null;
  readonly #seen = new SeenIds();
  readonly #refs = new MessageRefs();
  readonly #ops = new OpLines(Date.now, (id) => this.#refs.refOf(id));
  readonly #dms: DirectChats;
  readonly #sinceReader: SinceReader;
  readonly #status = new Map<GroupId, JoinedGroup['status']>();
  /** Groups joined for a moment by /since to ask their members: their traffic is not shown as chat. */
  readonly #reading = new Set<GroupId>();
  #online = false;
  /** True once the first connect succeeded (or was given up): typed lines run from then on. */
  #connected = false;
  #work: Promise<void> = Promise.resolve();
  #closing = false;

  constructor(opts: TerminalOptions) {
    this.#opts = opts;
    this.#peer = opts.peer;
    this.#fmt = new Formatter(opts.color);
    this.#rl = createInterface({ input: opts.input, output: opts.tty ? opts.output : undefined, terminal: opts.tty });
    this.#rl.setPrompt(this.#fmt.prompt(null));
    this.#locked = new LockedGroups(opts.peer, opts.passwords, (message) => this.#print(this.#fmt.error(message)));
    this.#sinceReader = new SinceReader({
      peer: opts.peer,
      fmt: this.#fmt,
      locked: this.#locked,
      reading: this.#reading,
      online: () => this.#online,
      ...(opts.listDirectory ? { listDirectory: opts.listDirectory } : {}),
      ...(opts.storedGroups ? { storedGroups: opts.storedGroups } : {}),
      print: (text) => this.#print(text),
      show: (m, name) => this.#show(m, name),
      groupName: (id) => this.#groupName(id),
    });
    this.#dms = new DirectChats({
      peer: opts.peer,
      selfKey: opts.selfKey,
      enter: (groupId, open) => this.#enter(groupId, open),
      notice: (text) => this.#print(this.#fmt.notice(text)),
      ...(opts.leftDms ? { left: opts.leftDms } : {}),
    });
  }

  async start(): Promise<void> {
    const peer = this.#peer;
    peer.on('message', (m) => this.#onMessage(m));
    peer.on('system', (line) => {
      if (!this.#reading.has(line.groupId)) this.#print(this.#fmt.system(line, this.#groupName(line.groupId)));
    });
    peer.on('group', (g) => this.#onGroup(g));
    const firstOfItsTopic = firstOfTopic();
    peer.on('error', (e) => {
      if (!firstOfItsTopic(e)) return;
      const where = e.groupId === undefined ? '' : `[${this.#groupName(e.groupId)}] `;
      this.#print(this.#fmt.error(`${where}${e.message}`));
    });
    peer.on('connection', (state) => this.#onConnection(state));
    // A DM opened by the other person, or listed at connect: joined in turn with what is typed.
    peer.on('dm', ({ group, opened }) => {
      this.#work = this.#work.then(async () => this.#printError(await this.#dms.heard(group, opened)));
    });
    this.#rl.on('line', (line) => {
      const action = parseTerminalLine(line, Date.now());
      if (!this.#connected && this.#opts.tty && action.kind === 'peer' && /^\/quit\b/i.test(action.line)) {
        // Not queued: a person can quit while the tracker is still being tried (a script's lines all run in order).
        void this.quit();
        return;
      }
      // One line at a time, in order, and only once connected: a message typed after /join goes to the joined group.
      this.#work = this.#work
        .then(() => this.#handle(line))
        .catch((e: unknown) => this.#print(this.#fmt.error(String(e))));
    });
    // End of input: finish what was typed, then quit (a person's Ctrl-D quits at once if the tracker never answered).
    this.#rl.on(
      'close',
      () => void (this.#connected || !this.#opts.tty ? this.#work.then(() => this.quit()) : this.quit()),
    );
    this.#rl.on('SIGINT', () => void this.quit());

    this.#print(
      this.#fmt.notice(`Chorus as ${peer.name}; connecting to ${this.#opts.trackerUrl} … (/help for commands)`),
    );
    await this.#showStored();
    this.#prompt();
    let connected!: () => void;
    this.#work = new Promise<void>((resolve) => (connected = resolve));
    try {
      await connectWithRetry(
        peer,
        (r) =>
          this.#print(
            this.#fmt.error(
              `Cannot reach the tracker at ${this.#opts.trackerUrl}: ${r.message} Retrying in ${Math.ceil(r.delayMs / 1000)} s (attempt ${r.attempt}).`,
            ),
          ),
        () => this.#closing,
      );
    } catch {
      return;
    } finally {
      this.#connected = true;
      connected();
    }
    for (const ref of this.#opts.groups) {
      this.#work = this.#work.then(() => this.#handle(`/join ${ref}`));
    }
  }

  // ---- input ----

  async #handle(line: string): Promise<void> {
    if (this.#closing) return;
    const action = parseTerminalLine(line, Date.now());
    switch (action.kind) {
      case 'empty':
        break;
      case 'help':
        this.#print(HELP);
        break;
      case 'error':
        this.#print(this.#fmt.error(action.message));
        break;
      case 'send':
        await this.#send(action.text);
        break;
      case 'create':
        await this.#create(action.name, action.ordering);
        break;
      case 'since':
        await this.#sinceReader.since(action.at, action.group, this.#current);
        break;
      case 'dm':
        this.#printError(await this.#dms.open(action.who));
        break;
      case 'op':
        this.#printError(
          await runOp(
            {
              peer: this.#peer,
              refs: this.#refs,
              view: (id) => this.#ops.view(id),
              selfKey: this.#opts.selfKey,
              groupName: (id) => this.#groupName(id),
            },
            action.command,
          ),
        );
        break;
      case 'peer':
        // Quit here, not through the facade: the terminal says goodbye and closes the store too.
        if (/^\/quit\b/i.test(action.line)) await this.quit();
        else await this.#command(action.line);
        break;
    }
    this.#prompt();
  }

  async #send(text: string): Promise<void> {
    const groupId = this.#current;
    if (groupId === null) {
      this.#print(
        this.#fmt.error('No group to write to. Join one first: /join <group> (or !j <group>); /groups lists them.'),
      );
      return;
    }
    try {
      await this.#peer.send(groupId, text);
    } catch (e) {
      this.#print(this.#fmt.error(`Not sent: ${(e as Error).message}`));
    }
  }

  async #create(name: string, ordering: 'fifo' | 'total'): Promise<void> {
    try {
      const g = await this.#peer.createGroup(name, ordering);
      this.#print(this.#fmt.notice(`Created ${g.name} (${g.ordering}).`));
      await this.#peer.join(g.groupId);
      await this.#catchUp(g.groupId);
      this.#setCurrent(g.groupId, 'Joined');
    } catch (e) {
      this.#print(this.#fmt.error(`Could not create ${name}: ${(e as Error).message}`));
    }
  }

  async #command(typed: string): Promise<void> {
    let line = typed;
    // A direct message is named after the person (`@Bob`): the peer knows it by its id.
    const dm = /^\/(switch|leave|members)\s+(.+)$/i.exec(line);
    const resolved = dm === null ? null : this.#dms.resolve(dm[2] as string);
    if (resolved !== null && !isDmGroupId(resolved)) return this.#print(this.#fmt.error(resolved));
    if (resolved !== null) line = `/${dm?.[1]} ${resolved}`;
    if (/^\/join\s/i.test(line)) this.#print(this.#fmt.notice(`Joining ${line.slice(5).trim()} …`));
    const named = /^\/(join|members|groups)\b\s*(.*)$/i.exec(line);
    if (named) await this.#opts.listDirectory?.(named[2] ? { query: named[2] } : {}).catch(() => {});
    const locked = named?.[1]?.toLowerCase() === 'join' ? this.#locked.named(named[2] ?? '') : null;
    const result = locked === null ? await this.#peer.command(line, this.#current) : await this.#locked.join(locked);
    switch (result.kind) {
      case 'error':
        this.#print(this.#fmt.error(result.message));
        return;
      case 'groups':
        this.#print(this.#fmt.groups(result.groups, new Set(this.#peer.groups().map((g) => g.groupId))));
        return;
      case 'members':
        this.#print(this.#fmt.members(this.#groupName(result.groupId), result.members));
        return;
      case 'joined':
        await this.#catchUp(result.groupId);
        this.#setCurrent(result.groupId, 'Joined');
        return;
      case 'switched':
        this.#setCurrent(result.groupId, 'Writing to');
        return;
      case 'left': {
        this.#dms.left(result.groupId);
        this.#print(this.#fmt.notice(`Left ${this.#groupName(result.groupId)}.`));
        if (this.#current === result.groupId) {
          const other = this.#peer.groups().find((g) => g.groupId !== result.groupId && g.status === 'member');
          this.#current = null;
          if (other) this.#setCurrent(other.groupId, 'Writing to');
          else this.#rl.setPrompt(this.#fmt.prompt(null));
        }
        return;
      }
      case 'quit':
        await this.quit();
        return;
    }
  }

  // ---- peer events ----

  #onMessage(m: ChatMessage): void {
    if (m.state !== 'delivered' || this.#reading.has(m.groupId)) return;
    // History arriving while a join syncs is shown in one go afterwards (#catchUp), not line by line.
    if (this.#status.get(m.groupId) !== 'member') return;
    if (!this.#seen.mark(m.id)) return;
    this.#show(m, this.#groupName(m.groupId));
  }

  /** One message's line: a text or reply as a message, an edit, delete or reaction as a line about it (op-lines.ts). */
  #show(m: ChatMessage, groupName: string): void {
    this.#dms.saw(m);
    const line = this.#ops.line(m);
    if (line === null) return;
    this.#print(
      line.kind === 'message'
        ? this.#fmt.message(m, groupName, m.sender === this.#peer.peerId, line.text, this.#refs.number(m))
        : this.#fmt.operation(m.sentAt, groupName, line.text),
    );
  }

  /** A group to be in (a direct message): joined unless it is, its latest lines shown; `open` writes to it. */
  async #enter(groupId: GroupId, open: boolean): Promise<void> {
    const status = this.#peer.groups().find((g) => g.groupId === groupId)?.status;
    const joined = status === 'member' || status === 'joining';
    if (!joined) {
      await this.#peer.join(groupId);
      await this.#catchUp(groupId);
    }
    if (open) this.#setCurrent(groupId, joined ? 'Writing to' : 'Joined');
  }

  #onGroup(g: JoinedGroup): void {
    const before = this.#status.get(g.groupId);
    this.#status.set(g.groupId, g.status);
    // Back after a re-join (tracker restart, false suspicion): show what came in meanwhile.
    if (before === 'joining' && g.status === 'member' && !this.#reading.has(g.groupId)) void this.#catchUp(g.groupId);
    if (g.status === 'removed' && before !== 'removed') {
      this.#print(this.#fmt.error(`You are no longer in ${g.name}.`));
      if (this.#current === g.groupId) {
        this.#current = null;
        this.#rl.setPrompt(this.#fmt.prompt(null));
        this.#prompt();
      }
    }
  }

  #onConnection(state: ConnectionState): void {
    const online = state === 'online';
    if (online === this.#online || this.#closing) return;
    this.#online = online;
    this.#print(
      this.#fmt.notice(
        online
          ? `Connected to the tracker as ${this.#peer.name}.`
          : 'Lost the tracker; reconnecting … (groups come back by themselves)',
      ),
    );
  }

  /**
   * What this machine already has of the groups to join, shown before the tracker answers (as a reloaded page does).
   */
  async #showStored(): Promise<void> {
    const known = this.#opts.storedGroups?.() ?? [];
    for (const ref of this.#opts.groups) {
      const groupId = resolveGroup(ref, known);
      if (groupId === null) continue;
      const name = known.find((g) => g.groupId === groupId)?.name ?? ref;
      const list = (await this.#peer.history(groupId, { limit: CATCH_UP_LINES })).filter((m) => this.#seen.mark(m.id));
      if (list.length === 0) continue;
      this.#print(this.#fmt.notice(`Kept on this machine from ${name} (new messages follow once connected):`));
      for (const m of list) this.#show(m, name);
    }
  }

  /** Shows the latest messages of a group not shown yet, after a join's history sync. */
  async #catchUp(groupId: GroupId): Promise<void> {
    const list = await this.#peer.history(groupId, { limit: 1_000 });
    const unseen = list.filter((m) => this.#seen.mark(m.id));
    const shown = unseen.slice(-CATCH_UP_LINES);
    const name = this.#groupName(groupId);
    if (unseen.length > shown.length)
      this.#print(
        this.#fmt.notice(`${unseen.length - shown.length} earlier message(s) in ${name}; /since <time> shows them.`),
      );
    for (const m of shown) this.#show(m, name);
  }

  // ---- output ----

  #setCurrent(groupId: GroupId, verb: string): void {
    this.#current = groupId;
    this.#rl.setPrompt(this.#fmt.prompt(this.#groupName(groupId)));
    this.#print(this.#fmt.notice(`${verb} ${this.#groupName(groupId)}: your messages go there.`));
  }

  #groupName(groupId: GroupId): string {
    return (
      this.#dms.label(groupId) ??
      this.#peer.groups().find((g) => g.groupId === groupId)?.name ??
      this.#peer.directory().find((g) => g.groupId === groupId)?.name ??
      groupId.slice(0, 8)
    );
  }

  #print(text: string): void {
    const out = this.#opts.output;
    if (this.#opts.tty) {
      // Above the line being typed, which the prompt then redraws.
      clearLine(out, 0);
      cursorTo(out, 0);
      out.write(`${text}\n`);
      if (!this.#closing) this.#rl.prompt(true);
    } else {
      out.write(`${text}\n`);
    }
  }

  #printError(message: string | null): void {
    if (message !== null) this.#print(this.#fmt.error(message));
  }

  #prompt(): void {
    if (this.#opts.tty && !this.#closing) this.#rl.prompt(true);
  }

  async quit(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#print(this.#fmt.notice('Leaving every group and closing …'));
    try {
      await this.#peer.close();
    } catch (e) {
      this.#print(this.#fmt.error(`Closing failed: ${(e as Error).message}`));
    }
    this.#rl.close();
    this.#opts.onClosed();
  }
}
