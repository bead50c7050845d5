// Message operations through the real ordering engines (EngineMesh): in a
// FIFO group a reaction can be delivered before the message it names (two
// senders, no order between them); the fold applies it when the target
// arrives, and every member ends in the same state. In a total-order group
// every member delivers the same sequence, so the same holds trivially.

import { describe, expect, it } from 'vitest';
import { frameMessageId } from '../src/ids.ts';
import { EngineMesh, GROUP } from '../src/ordering/testing/engine-mesh.ts';
import { encodeOp } from '../src/ops/message-op.ts';
import { OpFold } from '../src/ops/op-fold.ts';
import type { DataFrame } from '../src/wire/frames.ts';

/** Each member's deliveries, folded in its delivery order (the keys are the senders' names: one key per peer here). */
function foldAt(m: EngineMesh, id: string): OpFold {
  const fold = new OpFold(GROUP);
  for (const d of m.logs.get(id) ?? [])
    fold.add({
      id: frameMessageId(d.frame),
      sender: d.frame.sender,
      senderKey: `key-${d.frame.sender}`,
      order: d.order,
      body: d.frame.body,
    });
  return fold;
}

describe('operations over the engines', () => {
  it('FIFO: a reaction delivered before its target is applied when the target arrives; a non-author delete is refused everywhere', () => {
    const m = EngineMesh.started('fifo', ['a', 'b', 'c']);
    const hello = m.send('a', 'hello');
    const target = frameMessageId(hello);
    const toC = m.take('a', 'c'); // a's message to c is late
    m.run(); // b has it
    m.send('b', encodeOp({ op: 'react', target, emoji: '👍', on: true }));
    m.send('b', encodeOp({ op: 'delete', target })); // not b's message
    m.run(); // c gets b's operations first
    expect(m.bodies('c').length).toBe(2);
    const early = foldAt(m, 'c');
    expect(early.pending).toBe(2);
    for (const f of toC) m.deliverFrame('a', 'c', f as DataFrame);
    m.run();
    expect(m.bodies('c')[2]).toBe('hello'); // delivered after the operations on it
    const views = ['a', 'b', 'c'].map((id) => foldAt(m, id).snapshot());
    for (const v of views) {
      expect(v).toEqual(views[0]);
      expect(v.views).toEqual([
        {
          id: target,
          author: 'key-a',
          text: 'hello',
          replyTo: null,
          edited: false,
          deleted: false,
          reactions: [{ emoji: '👍', keys: ['key-b'] }],
        },
      ]);
      expect(v.refused).toBe(1);
    }
  });

  it('total order: edits from the author and reactions end the same at every member', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    const target = frameMessageId(m.send('a', 'v1'));
    m.send('a', encodeOp({ op: 'edit', target, text: 'v2' }));
    m.send('c', encodeOp({ op: 'react', target, emoji: '🎉', on: true }));
    m.send('a', encodeOp({ op: 'edit', target, text: 'v3' }));
    m.run();
    const views = ['a', 'b', 'c'].map((id) => foldAt(m, id).snapshot());
    for (const v of views) expect(v).toEqual(views[0]);
    expect(views[0]?.views[0]).toMatchObject({
      text: 'v3',
      edited: true,
      reactions: [{ emoji: '🎉', keys: ['key-c'] }],
    });
  });
});
