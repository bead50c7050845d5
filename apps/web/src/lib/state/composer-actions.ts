// What the composer and a message's actions ask for: a message (or a reply)
// to the open group, an edit, delete or reaction, and the `/` commands with
// their answers as lines in the open group (or a banner when none is open).
// Owns no state of its own: it turns intents into runtime calls and tells the
// owners (GroupState, JoinedGroups, Joins, Banners) what came of them. What
// belongs here: anything that starts from text the person typed or an action
// on one message.

import { errorMessage } from '@chorus/peer/light';
import type { CommandResult } from '@chorus/peer';
import { encodeOp, MAX_BODY_CHARS, opFits, type MessageOp } from '@chorus/protocol/light';
import type { Banners } from './banners.svelte.ts';
import { HELP_LINES, parseJoin, webCommand } from '../commands.ts';
import type { JoinedGroups } from './joined-groups.svelte.ts';
import type { Joins } from './joins.svelte.ts';
import { peopleOf } from '../people.ts';
import type { Live } from './runtime.ts';

/** Longest message body the composer sends: the wire's own cap, which every receiver's parser enforces. */
export const MAX_MESSAGE_LENGTH = MAX_BODY_CHARS;

export interface ComposerDeps {
  readonly live: Live;
  readonly groups: JoinedGroups;
  readonly joins: Joins;
  readonly banners: Banners;
  readonly clock: () => number;
  /** `/quit`: the page goes back to the name picker. */
  readonly quit: () => Promise<void>;
  /** Whom a direct message is being opened with ("Message <name>" pressed, not joined yet), else null. */
  readonly opening?: () => string | null;
}

export class ComposerActions {
  readonly #deps: ComposerDeps;

  constructor(deps: ComposerDeps) {
    this.#deps = deps;
  }

  /** The composer: a `/` command or a message to the open group. Returns false when nothing was sent. */
  async submit(raw: string): Promise<boolean> {
    const text = raw.replace(/\s+$/u, '');
    if (text.trim().length === 0) return false;
    // The open group is about to change: sent now, the text could reach a group nobody meant (a public one).
    const opening = this.#deps.opening?.() ?? null;
    if (opening !== null) {
      this.#note(
        `Not sent: the direct message with ${opening} is still opening. Send it again once it is open.`,
        'error',
      );
      return false;
    }
    const { peer, selfKey } = this.#deps.live;
    const group = this.#deps.groups.current;
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
      const result = await peer
        .command(text, this.#deps.groups.currentId)
        .catch((e: unknown): CommandResult => ({ kind: 'error', message: errorMessage(e) }));
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
      group.addNote(
        `Not sent: a message has at most ${MAX_MESSAGE_LENGTH} characters${reply === null ? '' : ', a reply a little less'} (this one has ${text.length}).`,
        'error',
        this.#deps.clock(),
      );
      return false;
    }
    // Shown at once as pending: the runtime may hold a message back (a view change in progress) before it has an id.
    const body = reply === null ? text : encodeOp(reply);
    const placeholder = group.addOutgoing({
      sender: peer.peerId,
      senderName: peer.name,
      senderKey: selfKey,
      body,
      sentAt: this.#deps.clock(),
    });
    group.setReplyTo(null);
    try {
      group.settleOutgoing(
        placeholder,
        await (reply === null ? peer.send(group.groupId, text) : peer.sendOp(group.groupId, reply)),
      );
      return true;
    } catch (e) {
      group.settleOutgoing(placeholder, null);
      if (group.replyingTo === null) group.setReplyTo(replyTo);
      group.addNote(`Not sent: ${errorMessage(e)}`, 'error', this.#deps.clock());
      return false;
    }
  }

  /**
   * An edit, delete or reaction on a message of the open group (PROTOCOL.md §8). Returns false when it was not sent.
   */
  async act(op: MessageOp): Promise<boolean> {
    const peer = this.#deps.live.peer;
    const group = this.#deps.groups.current;
    if (!peer || !group) return false;
    if (op.op === 'edit' && !opFits(op)) {
      group.addNote(
        `Not saved: an edited message has at most ${MAX_MESSAGE_LENGTH} characters, a little less once marked as an edit (this one has ${op.text.length}).`,
        'error',
        this.#deps.clock(),
      );
      return false;
    }
    try {
      await peer.sendOp(group.groupId, op);
      return true;
    } catch (e) {
      group.addNote(`Not sent: ${errorMessage(e)}`, 'error', this.#deps.clock());
      return false;
    }
  }

  /** A line in the open group's log, or a banner when none is open (after leaving the last group). */
  #note(text: string, tone: 'info' | 'error' = 'info'): void {
    const group = this.#deps.groups.current;
    if (group) group.addNote(text, tone, this.#deps.clock());
    else this.#deps.banners.show(tone === 'error' ? 'error' : 'info', text);
  }

  /** `/join <group> [password]`: a locked group without its password asks for it, as an invite link does. */
  async #joinCommand(arg: string): Promise<void> {
    const { peer, runtime } = this.#deps.live;
    const { groups, joins } = this.#deps;
    if (!peer || !runtime) return;
    if (arg.trim() === '') {
      this.#note('/join: which group? Usage: /join <group> [password].', 'error');
      return;
    }
    joins.refresh();
    const target = parseJoin(arg, joins.directory, runtime.resolveGroup);
    const summary = target && joins.directory.find((g) => g.groupId === target.groupId);
    if (!target || !summary) {
      this.#note(`/join: there is no group called "${arg.trim()}".`, 'error');
      return;
    }
    if (groups.ids.has(summary.groupId)) {
      groups.open(summary.groupId);
      return;
    }
    if (summary.locked && target.password === undefined) {
      joins.askPassword(summary.groupId, true);
      return;
    }
    await joins.join(summary.groupId, target.password);
    if (!groups.ids.has(summary.groupId)) {
      this.#note(`/join: ${joins.joinErrors.get(summary.groupId) ?? `could not join ${summary.name}.`}`, 'error');
      joins.cancelPassword(summary.groupId);
    }
  }

  async #commandResult(line: string, result: CommandResult): Promise<void> {
    const { groups, joins } = this.#deps;
    const note = (text: string, tone: 'info' | 'error' = 'info'): void => this.#note(text, tone);
    switch (result.kind) {
      case 'groups':
        note(
          result.groups.length === 0
            ? 'No groups yet.'
            : `Groups: ${result.groups.map((g) => `${g.name} (${g.ordering === 'total' ? 'Total' : 'FIFO'}${g.locked ? ', locked' : ''}, ${g.online} online)`).join('; ')}`,
        );
        return;
      case 'members': {
        const name = groups.get(result.groupId)?.name ?? joins.nameOf(result.groupId) ?? 'the group';
        // One entry per key; namesakes carry their fingerprints, as in the members panel.
        const people = peopleOf(
          result.members.map((m) => ({ ...m, online: true })),
          new Map(),
        );
        note(`Members of ${name}: ${people.map((p) => (p.namesake ? p.label : p.name)).join(', ') || 'nobody'}`);
        return;
      }
      case 'joined': {
        const joined = this.#deps.live.peer?.groups().find((g) => g.groupId === result.groupId);
        if (joined) {
          groups.ensure(joined.groupId, joined.name, joined.ordering);
          groups.remember({ groupId: joined.groupId, name: joined.name, ordering: joined.ordering });
          await groups.adopt(joined);
        }
        groups.open(result.groupId);
        return;
      }
      case 'switched':
        groups.open(result.groupId);
        return;
      case 'left':
        groups.drop(result.groupId);
        return;
      case 'quit':
        await this.#deps.quit();
        return;
      case 'error':
        note(`${line.split(/\s/u)[0]}: ${result.message}`, 'error');
        return;
    }
  }
}
