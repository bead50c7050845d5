// Carrying out a message operation typed at the terminal (/reply, /react,
// /unreact, /edit, /delete; PROTOCOL.md §8): the number names a message
// shown on this screen (message-refs.ts), the operation goes to that
// message's group through the same `sendOp` and `encodeOp` the web app's
// composer uses, and every refusal a person can foresee is a sentence before
// anything is sent: an unknown number, a group left since, someone else's
// message to edit or delete, a deleted one, a text too long once wrapped, a
// reaction that is not one. What the others see comes back as lines like any
// delivered message (op-lines.ts); nothing is written here on success.

import type { ChorusPeer } from '@chorus/peer';
import {
  MAX_REACTION_CHARS,
  opFits,
  opTextLimit,
  type GroupId,
  type MessageId,
  type MessageOp,
  type MessageView,
} from '@chorus/protocol';
import type { MessageRefs } from './message-refs.ts';
import type { OpCommand } from './terminal-commands.ts';

export interface OpDeps {
  readonly peer: ChorusPeer;
  readonly refs: MessageRefs;
  /** The folded state of a shown message (op-lines.ts). */
  readonly view: (id: MessageId) => MessageView | undefined;
  /** This identity's public key (base64), when known. */
  readonly selfKey: string | undefined;
  readonly groupName: (groupId: GroupId) => string;
}

/** Sends the operation; resolves to a sentence saying why it was not sent, or null once it was. */
export async function runOp(deps: OpDeps, command: OpCommand): Promise<string | null> {
  const target = deps.refs.get(command.ref);
  if (target === undefined)
    return `There is no message [${command.ref}] on this screen: the number is the one in front of a message's line.`;
  const group = deps.peer.groups().find((g) => g.groupId === target.groupId);
  const where = deps.groupName(target.groupId);
  if (group?.status !== 'member') return `Message [${command.ref}] is in ${where}, which you are not in now.`;
  const view = deps.view(target.id);
  let op: MessageOp;
  switch (command.op) {
    case 'edit':
    case 'delete': {
      // The rule every receiver enforces (OpFold): the author's key, or the same peer when a key is unknown.
      const mine =
        target.senderKey !== undefined && deps.selfKey !== undefined
          ? target.senderKey === deps.selfKey
          : target.sender === deps.peer.peerId;
      if (!mine)
        return `Message [${command.ref}] is ${target.senderName}'s: you can ${command.op} only your own messages.`;
      if (view?.deleted === true) return `Message [${command.ref}] is deleted already.`;
      op =
        command.op === 'edit'
          ? { op: 'edit', target: target.id, text: command.text }
          : { op: 'delete', target: target.id };
      break;
    }
    case 'reply':
      op = { op: 'reply', target: target.id, text: command.text };
      break;
    case 'react': {
      if (view?.deleted === true) return `Message [${command.ref}] is deleted: it takes no reactions.`;
      op = { op: 'react', target: target.id, emoji: command.emoji, on: command.on };
      break;
    }
  }
  if (!opFits(op)) {
    if (op.op === 'react')
      return `"${op.emoji}" is not a reaction: one emoji (at most ${MAX_REACTION_CHARS} characters, no spaces).`;
    if (op.op === 'reply' || op.op === 'edit')
      return `Not sent: ${op.op === 'reply' ? 'a reply' : 'an edited message'} has at most ${opTextLimit(op)} characters here (this one has ${op.text.length}).`;
  }
  try {
    await deps.peer.sendOp(target.groupId, op);
    return null;
  } catch (e) {
    return `Not sent: ${(e as Error).message}`;
  }
}
