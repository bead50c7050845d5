// A group's operations in the page's state (PROTOCOL.md §8): edits, deletes
// and reactions are folded into the message they name and never become
// lines of the log; a reply is a line with its quote; an operation read
// from the store before its target waits for the page with the target.
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '@chorus/peer';
import { encodeOp, messageId, type GroupId, type MessageOp, type PeerId, type ViewId } from '@chorus/protocol';
import { GroupState } from '../src/lib/state/group-state.svelte.ts';

const g = 'g' as GroupId;
const KEYS: Record<string, string> = { ann: 'KEY-ANN', ben: 'KEY-BEN' };
const msg = (sender: string, seq: number, order: string, body: string | MessageOp): ChatMessage => ({
  id: messageId(g, sender as PeerId, seq),
  groupId: g,
  sender: sender as PeerId,
  senderName: sender,
  senderKey: KEYS[sender]!,
  body: typeof body === 'string' ? body : encodeOp(body),
  sentAt: 1,
  order,
  state: 'delivered',
  viewId: 1 as ViewId,
});
const group = (): GroupState => new GroupState({ groupId: g, name: 'g', ordering: 'fifo', joinedAt: 0 });

describe('GroupState with operations', () => {
  it('folds edits, deletes and reactions into their target; only texts and replies are lines', () => {
    const s = group();
    const hello = msg('ann', 1, '01', 'helo');
    expect(s.upsert(hello)).toBe(true);
    expect(s.upsert(msg('ann', 2, '02', { op: 'edit', target: hello.id, text: 'hello' }))).toBe(false);
    expect(s.upsert(msg('ben', 1, '03', { op: 'react', target: hello.id, emoji: '👍', on: true }))).toBe(false);
    expect(s.upsert(msg('ben', 2, '04', { op: 'edit', target: hello.id, text: 'ben was here' }))).toBe(false);
    const reply = msg('ben', 3, '05', { op: 'reply', target: hello.id, text: 'hi!' });
    expect(s.upsert(reply)).toBe(true);
    expect(s.messages.map((m) => m.id)).toEqual([hello.id, reply.id]);
    expect(s.viewOf(hello)).toMatchObject({
      text: 'hello',
      edited: true,
      reactions: [{ emoji: '👍', keys: ['KEY-BEN'] }],
    });
    expect(s.refusedOps).toBe(1);
    expect(s.viewOf(reply)).toMatchObject({ text: 'hi!', replyTo: hello.id });
    expect(s.quoteOf(hello.id)).toMatchObject({ author: 'ann', text: 'hello', deleted: false });
    s.upsert(msg('ann', 3, '06', { op: 'delete', target: hello.id }));
    expect(s.quoteOf(hello.id)).toMatchObject({ text: '', deleted: true });
    expect(s.messages.map((m) => m.id)).toEqual([hello.id, reply.id]); // "Message deleted" keeps its place
  });

  it('reads past a page of only operations, and applies them when the page with their target comes', () => {
    const s = group();
    const target = msg('ann', 1, '01', 'first');
    const ops = Array.from({ length: 3 }, (_, i) =>
      msg('ben', i + 1, `1${i}`, { op: 'react', target: target.id, emoji: '🎉', on: i % 2 === 0 }),
    );
    s.addPage(ops, 3); // full: the store may hold older ones
    expect(s.count).toBe(0);
    expect(s.olderInStore).toBe(true);
    expect(s.oldestOrder).toBe('10'); // the next page starts below the operations, not at the top again
    s.addPage([target], 3);
    expect(s.olderInStore).toBe(false);
    expect(s.viewOf(target).reactions).toEqual([{ emoji: '🎉', keys: ['KEY-BEN'] }]);
  });
});
