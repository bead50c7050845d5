import { describe, expect, it } from 'vitest';
import { EngineMesh, makeView } from '../src/ordering/testing/engine-mesh.ts';
import type { EngineFrame } from '../src/wire/frames.ts';

const survivorsAgree = (m: EngineMesh, ids: readonly string[]): void => {
  const [first, ...rest] = ids as [string, ...string[]];
  for (const id of rest) {
    expect(m.bodies(id), id).toEqual(m.bodies(first));
    expect(m.orders(id), id).toEqual(m.orders(first));
  }
  for (const id of ids) expect(m.engine(id).debugState().holdBackSize, id).toBe(0);
};

const kinds = (frames: readonly EngineFrame[]): string[] => frames.map((f) => f.t);

describe('view change (flush)', () => {
  it('resolves a dead sender message that got only some proposals the same way on every survivor', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    m.send('a', 'before');
    m.run();
    m.send('c', 'orphan');
    m.step('c', 'a');
    m.step('c', 'b'); // a and b have it and propose
    m.step('a', 'c'); // c gets a's proposal only
    m.crash('c');
    m.send('b', 'concurrent');
    m.run();
    expect(m.bodies('a')).toEqual(['before']); // orphan blocks the head: its proposal is lower
    m.installView(makeView(2, ['a', 'b'], [['c', 'failed']]));
    m.run();
    survivorsAgree(m, ['a', 'b']);
    expect(m.bodies('a')).toEqual(['before', 'orphan', 'concurrent']);
    expect(m.engine('a').view?.viewId).toBe(2);
    m.send('a', 'after');
    m.run();
    survivorsAgree(m, ['a', 'b']);
    expect(m.bodies('b').at(-1)).toBe('after');
  });

  it('gives a message its dead sender already delivered the same priority on the survivors', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    m.send('c', 'c1'); // c proposes (1,c) for its own message: the largest, since c sorts last
    m.step('c', 'a');
    m.step('c', 'b');
    m.step('a', 'c');
    m.step('b', 'c');
    expect(m.bodies('c')).toEqual(['c1']); // c agreed and delivered...
    m.lose('c', 'a'); // ...but its FINAL died with it
    m.lose('c', 'b');
    m.crash('c');
    m.installView(makeView(2, ['a', 'b'], [['c', 'failed']]));
    m.run();
    survivorsAgree(m, ['a', 'b']);
    expect(m.orders('a')).toEqual(m.orders('c'));
  });

  it('orders a message whose highest proposal died with a member after what that member delivered', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    m.send('a', 'slow'); // a proposes (1,a) for its own
    m.step('a', 'b'); // b proposes (1,b) for slow
    m.send('b', 'fast'); // b proposes (2,b) for its own
    m.step('b', 'c'); // c proposes (1,c) for fast
    m.step('a', 'c'); // c proposes (2,c) for slow
    m.step('b', 'a');
    m.step('b', 'a'); // a proposes (2,a) for fast
    m.step('c', 'b');
    m.step('a', 'b'); // b agrees fast at (2,b) and sends FINAL
    m.step('b', 'c');
    m.step('b', 'a'); // a applies the FINAL and echoes it to c
    m.step('a', 'c');
    expect(m.bodies('c')).toEqual(['fast']); // c's own proposal for slow, (2,c), is above (2,b)
    expect(m.bodies('a')).toEqual([]);
    expect(m.bodies('b')).toEqual([]);
    m.lose('c', 'a'); // c's proposal for slow (and its echo of fast) never reaches a
    m.crash('c');
    m.run();
    m.installView(makeView(2, ['a', 'b'], [['c', 'failed']]));
    m.run();
    survivorsAgree(m, ['a', 'b']);
    // the survivors' proposals for slow are below (2,b); ordering slow first would contradict c's log
    expect(m.bodies('a')).toEqual(['fast', 'slow']);
    expect(m.orders('a')[0]).toBe(m.orders('c')[0]);
  });

  it('adopts a FINAL that reached only one survivor (which waited for the echo it could not get)', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    m.send('c', 'c1');
    m.step('c', 'b'); // b has c1 and proposes
    m.setCut('c', 'b', true); // but c's FINAL never reaches b
    m.send('a', 'a1'); // at a it waits behind c1, whose FINAL b never echoes; at b behind c1 too
    m.run();
    expect(
      m
        .engine('a')
        .debugState()
        .queue.find((e) => e.id.endsWith('c:1'))?.told,
    ).toBeDefined(); // applied, not echoed
    expect(m.bodies('a')).toEqual([]);
    expect(m.bodies('b')).toEqual([]);
    m.crash('c');
    m.installView(makeView(2, ['a', 'b'], [['c', 'failed']]));
    m.run();
    survivorsAgree(m, ['a', 'b']);
    expect(m.bodies('b')).toEqual(['c1', 'a1']);
  });

  it('keeps the place of a message one survivor delivered when the other never got its echo', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    m.send('c', 'c1');
    m.setCut('a', 'b', true); // a's echo of c1's FINAL (and all else of a) never reaches b
    m.run();
    expect(m.bodies('a')).toEqual(['c1']); // a had c's FINAL and b's echo
    expect(m.bodies('b')).toEqual([]); // b has the FINAL, not a's echo
    m.send('a', 'a1'); // reaches c only: it cannot finish in view 1
    m.run();
    m.crash('c');
    m.lose('a', 'b'); // the data channel died with a's echo and a1 in it, and comes back for the flush
    m.setCut('a', 'b', false);
    const aLog = m.bodies('a');
    m.installView(makeView(2, ['a', 'b'], [['c', 'failed']]));
    m.run();
    survivorsAgree(m, ['a', 'b']);
    expect(m.bodies('b').slice(0, aLog.length)).toEqual(aLog); // what a delivered keeps its place
    expect(m.bodies('b')).toEqual(['c1', 'a1']);
  });

  it('puts a message that one survivor never had after everything the others already delivered', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    m.send('c', 'only-a-has-it');
    m.lose('c', 'b');
    m.step('c', 'a'); // a proposes; b never hears of it
    m.crash('c');
    m.send('b', 'b1'); // c is dead, so b1 cannot finish in view 1
    m.run();
    m.installView(makeView(2, ['a', 'b'], [['c', 'failed']]));
    m.run();
    survivorsAgree(m, ['a', 'b']);
    expect(new Set(m.bodies('a'))).toEqual(new Set(['only-a-has-it', 'b1']));
  });

  it('keeps a sender in FIFO order when its later message is final and its earlier one is not', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    m.send('c', 'c1');
    m.send('c', 'c2');
    m.step('c', 'a');
    m.step('c', 'a');
    m.step('c', 'b');
    m.step('c', 'b');
    // c loses the proposals for c1 and hears only those for c2: it finalizes c2 alone
    for (const p of ['a', 'b']) {
      const props = m.take(p, 'c');
      expect(kinds(props)).toEqual(['propose', 'propose']);
      m.deliverFrame(p, 'c', props[1] as EngineFrame);
    }
    m.run();
    expect(m.bodies('a')).toEqual([]); // c2 is final but c1 is still at the head
    m.crash('c');
    m.installView(makeView(2, ['a', 'b'], [['c', 'failed']]));
    m.run();
    survivorsAgree(m, ['a', 'b']);
    expect(m.bodies('a')).toEqual(['c1', 'c2']);
  });

  it('delivers a dead FIFO sender message to every survivor if any survivor has it, and drops what follows a gap', () => {
    const m = EngineMesh.started('fifo', ['a', 'b', 'c']);
    m.send('c', 'c1');
    m.send('c', 'c2');
    m.send('c', 'c3');
    const toA = m.take('c', 'a');
    m.deliverFrame('c', 'a', toA[0] as EngineFrame);
    m.deliverFrame('c', 'a', toA[2] as EngineFrame); // c3 held back at a, c2 lost everywhere
    m.lose('c', 'b');
    m.crash('c');
    m.installView(makeView(2, ['a', 'b'], [['c', 'failed']]));
    m.run();
    expect(m.bodies('a')).toEqual(['c1']);
    expect(m.bodies('b')).toEqual(['c1']);
    expect(m.events.get('a')?.filter((e) => e.type === 'message-dropped')).toHaveLength(1);
    expect(m.events.get('b')?.filter((e) => e.type === 'message-dropped')).toHaveLength(1);
    survivorsAgree(m, ['a', 'b']);
  });

  it('holds sends made during a flush and sends them in the new view; a draft being signed is carried in the flush', () => {
    const m = EngineMesh.started('total', ['a', 'b']);
    const a = m.engine('a');
    const signing = a.draft('signed slowly', 1);
    if ('rejected' in signing) throw new Error('draft refused');
    m.installView(makeView(2, ['a', 'b']));
    expect(kinds(m.pending('a', 'b'))).toEqual([]); // a waits for its draft before it flushes
    m.apply('a', a.send({ t: 'data', ...signing, sig: 's' }, 2));
    expect(kinds(m.pending('a', 'b'))).toEqual(['data', 'flush']);
    const during = m.send('b', 'typed during the flush');
    expect(during.viewId).toBe(2);
    m.run();
    survivorsAgree(m, ['a', 'b']);
    expect(m.bodies('a')).toEqual(['signed slowly', 'typed during the flush']);
    expect(m.engine('b').debugState().outbox).toEqual([]);
  });

  it('resends its FLUSH when a link that lost it comes back', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    m.send('a', 'x');
    m.run();
    m.installView(makeView(2, ['a', 'b', 'c']));
    m.lose('c', 'a'); // c's FLUSH to a dies with the channel
    m.run();
    expect(m.engine('a').view?.viewId).toBe(1);
    expect(m.engine('a').debugState().flushReports).toEqual(['a', 'b']);
    m.linkUp('a', 'c');
    m.run();
    for (const id of ['a', 'b', 'c']) expect(m.engine(id).view?.viewId, id).toBe(2);
    survivorsAgree(m, ['a', 'b', 'c']);
    expect(m.rejections).toEqual([]);
  });

  it('a duplicated FLUSH after the view is installed is answered at most once, so it cannot ping-pong', () => {
    const m = EngineMesh.started('total', ['a', 'b']);
    m.installView(makeView(2, ['a', 'b']));
    const flushFromB = m.pending('b', 'a')[0] as EngineFrame;
    m.run();
    expect(m.engine('a').view?.viewId).toBe(2);
    m.deliverFrame('b', 'a', flushFromB); // a duplicate (e.g. a resend racing the original)
    m.deliverFrame('b', 'a', flushFromB);
    expect(kinds(m.pending('a', 'b'))).toEqual(['flush', 'flush-ok']); // answered once, with both rounds
    m.run(); // would throw if the two kept answering each other
    m.send('a', 'still works');
    m.run();
    expect(m.bodies('b')).toEqual(['still works']);
    expect(m.rejections).toEqual([]);
  });

  it('ignores a re-sent view, runs a trivial flush for a new view id with the same members, and restarts for a newer view', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    m.send('a', 'x');
    m.run();
    m.installView(makeView(1, ['a', 'b', 'c']));
    expect(kinds(m.pending('a', 'b'))).toEqual([]);
    m.installView(makeView(2, ['a', 'b', 'c']));
    m.run();
    for (const id of ['a', 'b', 'c']) expect(m.engine(id).view?.viewId).toBe(2);

    m.send('b', 'y');
    m.lose('b', 'c'); // c never gets y from b
    m.installView(makeView(3, ['a', 'b', 'c']));
    m.step('a', 'b'); // a's PROPOSE for y... and its FLUSH
    m.crash('c'); // c dies mid-flush: the tracker sends view 4
    m.installView(makeView(4, ['a', 'b'], [['c', 'failed']]));
    m.run();
    survivorsAgree(m, ['a', 'b']);
    expect(m.bodies('a')).toEqual(['x', 'y']);
    expect(m.engine('a').view?.viewId).toBe(4);
  });
});
