// The terminal writes message operations as lines of their own, never the
// operation's raw body (U+0000 and JSON), and nothing for one the fold refuses.

import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '@chorus/peer';
import { encodeOp, messageId, type GroupId, type MessageOp, type PeerId, type ViewId } from '@chorus/protocol';
import { OpLines } from '../src/op-lines.ts';
import { clock } from '../src/format.ts';

const g = 'g' as GroupId;
const NOW = new Date(2026, 10, 30, 12, 0, 0).getTime();
const msg = (sender: string, seq: number, body: string | MessageOp): ChatMessage => ({
  id: messageId(g, sender as PeerId, seq),
  groupId: g,
  sender: sender as PeerId,
  senderName: sender.toUpperCase(),
  senderKey: `key-${sender}`,
  body: typeof body === 'string' ? body : encodeOp(body),
  sentAt: NOW - 60_000 + seq,
  order: `${seq}:${sender}`,
  state: 'delivered',
  viewId: 1 as ViewId,
});

describe('OpLines', () => {
  it('writes replies with what they answer, edits, deletes and reactions as lines about the message, and skips refused ones', () => {
    const lines = new OpLines(() => NOW);
    const hello = msg('ann', 1, 'hello');
    const at = clock(hello.sentAt, NOW);
    expect(lines.line(hello)).toEqual({ kind: 'message', text: 'hello' });
    expect(lines.line(msg('ben', 1, { op: 'reply', target: hello.id, text: 'hi' }))).toEqual({
      kind: 'message',
      text: `(reply to ANN's message from ${at}) hi`,
    });
    expect(lines.line(msg('ann', 2, { op: 'edit', target: hello.id, text: 'hello all' }))).toEqual({
      kind: 'op',
      text: `ANN edited their message from ${at}: hello all`,
    });
    expect(lines.line(msg('ben', 2, { op: 'react', target: hello.id, emoji: '👍', on: true }))).toEqual({
      kind: 'op',
      text: `BEN reacted 👍 to ANN's message from ${at}`,
    });
    expect(lines.line(msg('ben', 3, { op: 'react', target: hello.id, emoji: '👍', on: false }))).toEqual({
      kind: 'op',
      text: `BEN took back 👍 on ANN's message from ${at}`,
    });
    const forged = msg('ben', 4, { op: 'delete', target: hello.id });
    expect(lines.line(forged)).toBeNull();
    expect(lines.line(forged)).toBeNull(); // shown again by /since: still nothing
    expect(lines.line(msg('ben', 5, '\u0000{broken'))).toBeNull();
    expect(lines.line(msg('ann', 3, { op: 'delete', target: hello.id }))).toEqual({
      kind: 'op',
      text: `ANN deleted their message from ${at}`,
    });
    expect(
      lines.line(msg('cy', 1, { op: 'react', target: messageId(g, 'zed' as PeerId, 9), emoji: '🎉', on: true })),
    ).toEqual({ kind: 'op', text: 'CY reacted 🎉 to an earlier message' });
  });

  it('names a message by the number it has on screen, and tells what it looks like now', () => {
    const hello = msg('ann', 1, 'hello');
    const lines = new OpLines(
      () => NOW,
      (id) => (id === hello.id ? 7 : undefined),
    );
    const at = clock(hello.sentAt, NOW);
    lines.line(hello);
    expect(lines.line(msg('ben', 1, { op: 'reply', target: hello.id, text: 'hi' }))).toEqual({
      kind: 'message',
      text: `(reply to ANN's message [7] from ${at}) hi`,
    });
    expect(lines.view(hello.id)).toMatchObject({ text: 'hello', deleted: false });
    lines.line(msg('ann', 2, { op: 'delete', target: hello.id }));
    expect(lines.view(hello.id)).toMatchObject({ deleted: true });
    expect(lines.view(messageId(g, 'zed' as PeerId, 9))).toBeUndefined();
  });
});
