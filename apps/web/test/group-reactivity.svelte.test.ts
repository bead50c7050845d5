// What the page re-renders when a message arrives (GroupState's fine-grained
// reactivity): a message added at the end changes the log's range, and
// nothing inside the articles already shown — their views, quotes and items
// stay the same objects, so a long log costs one article per arrival. An edit,
// reaction or delete of a message re-runs what shows that message.
import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '@chorus/peer';
import { encodeOp, messageId, type GroupId, type MessageOp, type PeerId, type ViewId } from '@chorus/protocol';
import { GroupState } from '../src/lib/state/group-state.svelte.ts';

const g = 'g' as GroupId;
const now = new Date(2026, 0, 10, 12).getTime();
const msg = (seq: number, body: string | MessageOp): ChatMessage => ({
  id: messageId(g, 'ann' as PeerId, seq),
  groupId: g,
  sender: 'ann' as PeerId,
  senderName: 'ann',
  senderKey: 'KEY-ANN',
  body: typeof body === 'string' ? body : encodeOp(body),
  sentAt: now + seq,
  order: String(seq).padStart(4, '0'),
  state: 'delivered',
  viewId: 1 as ViewId,
});

/** Runs `read` in an effect; returns how often it ran and what it saw last. */
function watch<T>(read: () => T): { runs: () => number; last: () => T; stop: () => void } {
  let runs = 0;
  let last!: T;
  const stop = $effect.root(() => {
    $effect(() => {
      last = read();
      runs += 1;
    });
  });
  flushSync();
  return { runs: () => runs, last: () => last, stop };
}

describe('GroupState re-renders what changed', () => {
  it('a new message re-runs the range of the log, not the views and quotes of the messages shown', () => {
    const s = new GroupState({ groupId: g, name: 'g', ordering: 'fifo', joinedAt: 0 });
    const first = msg(1, 'first');
    s.upsert(first);
    const reply = msg(2, { op: 'reply', target: first.id, text: 'on first' });
    s.upsert(reply);
    const view = watch(() => s.viewOf(first).text);
    const quote = watch(() => s.quoteOf(first.id)?.text);
    const range = watch(() => s.items(0, s.count, now));
    const before = range.last();
    for (let i = 3; i < 50; i++) s.upsert(msg(i, `m${i}`));
    flushSync();
    expect(view.runs()).toBe(1);
    expect(quote.runs()).toBe(1);
    expect(range.runs()).toBeGreaterThan(1);
    const after = range.last();
    expect(after.length).toBe(before.length + 47);
    // The items of messages already shown are the same objects: a keyed list leaves their rows alone.
    for (let i = 0; i < before.length; i++) expect(after[i]).toBe(before[i]);

    s.upsert(msg(60, { op: 'edit', target: first.id, text: 'first, edited' }));
    flushSync();
    expect(view.last()).toBe('first, edited');
    expect(quote.last()).toBe('first, edited');
    s.upsert(msg(61, { op: 'delete', target: first.id }));
    flushSync();
    expect(quote.last()).toBe('');
    for (const w of [view, quote, range]) w.stop();
  });

  it('a quote of a message not held shows once the message arrives', () => {
    const s = new GroupState({ groupId: g, name: 'g', ordering: 'fifo', joinedAt: 0 });
    const original = msg(1, 'late original');
    s.upsert(msg(2, { op: 'reply', target: original.id, text: 'answer' }));
    const quote = watch(() => s.quoteOf(original.id)?.text ?? null);
    expect(quote.last()).toBeNull();
    s.addPage([original], 50);
    flushSync();
    expect(quote.last()).toBe('late original');
    quote.stop();
  });
});
