import { describe, expect, it } from 'vitest';
import { comparePeerIds } from '../src/ids.ts';
import type { Priority } from '../src/wire/frames.ts';
import { EngineMesh, makeView } from '../src/ordering/testing/engine-mesh.ts';
import type { DataFrame } from '../src/wire/frames.ts';
import { droppingDeadSenderPending } from '../sim/broken/drop-dead-sender-pending.ts';
import { finalizingAfter } from '../sim/broken/finalize-on-timeout.ts';
import { NoFifoGateEngine } from '../sim/broken/no-fifo-under-isis.ts';

// The simulator proves its checker can fail by running these broken engines (the tie-break
// hook, and the GroupEngine subclasses of sim/broken/). Here: each breakage really changes
// what a peer would observe, and the correct engine does not.

const smallestWins = (a: Priority, b: Priority): number => (a.p !== b.p ? a.p - b.p : -comparePeerIds(a.by, b.by));

describe('deliberately broken engines', () => {
  it('comparePriority: smallest proposer winning a tie makes delivery order disagree with the order keys', () => {
    for (const broken of [false, true]) {
      const m = EngineMesh.started('total', ['a', 'b'], broken ? { comparePriority: smallestWins } : {});
      m.send('a', 'from-a');
      m.send('b', 'from-b');
      m.run();
      const orders = m.orders('a');
      const sorted = [...orders].sort();
      if (broken) expect(orders).not.toEqual(sorted);
      else expect(orders).toEqual(sorted);
    }
  });

  it('no FIFO gate under ISIS: proposes for a message whose predecessor has not arrived', () => {
    for (const gate of [true, false]) {
      const m = EngineMesh.started('total', ['a', 'b'], {}, gate ? undefined : NoFifoGateEngine);
      m.send('a', 'one');
      m.send('a', 'two');
      const [, two] = m.take('a', 'b') as [DataFrame, DataFrame];
      m.deliverFrame('a', 'b', two);
      expect(m.pending('b', 'a').map((f) => f.t)).toEqual(gate ? [] : ['propose']);
    }
  });

  it('finalize on timeout: the sender agrees without a missing proposal once its message is old enough', () => {
    for (const timeout of [null, 50]) {
      const m = EngineMesh.started(
        'total',
        ['a', 'b', 'c'],
        {},
        timeout === null ? undefined : finalizingAfter(timeout),
      );
      m.setCut('c', 'a', true);
      m.send('a', 'x');
      m.run();
      m.tick('a', m.now + 100);
      expect(m.bodies('a')).toEqual(timeout === null ? [] : ['x']);
    }
  });

  it("drop a dead sender's pending message: the survivor that drops it never delivers what the others do", () => {
    // a is the broken engine, b is not
    const mesh = new EngineMesh('total', [], {});
    mesh.add(
      'a',
      {},
      undefined,
      droppingDeadSenderPending(() => true),
    );
    mesh.add('b');
    mesh.add('c');
    mesh.installView(makeView(1, ['a', 'b', 'c']));
    mesh.run();
    mesh.send('c', 'orphan');
    mesh.step('c', 'a');
    mesh.step('c', 'b');
    mesh.crash('c');
    mesh.run();
    mesh.installView(makeView(2, ['a', 'b'], [['c', 'failed']]));
    mesh.run();
    expect(mesh.bodies('b')).toEqual(['orphan']);
    expect(mesh.bodies('a')).toEqual([]);
    expect(mesh.events.get('a')?.some((e) => e.type === 'message-dropped')).toBe(true);
  });
});
