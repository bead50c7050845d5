// A member that plays by the wire grammar but lies: priorities in range yet
// absurd, and two different messages under one id. Each is refused as the
// member's fault, the engine's state stays as it was, and the group goes on.

import { describe, expect, it } from 'vitest';
import { asPeerId, asViewId } from '../src/ids.ts';
import { MAX_PRIORITY_STEP } from '../src/ordering/priority.ts';
import { EngineMesh, GROUP, makeView } from '../src/ordering/testing/engine-mesh.ts';
import type { DataFrame, EngineFrame, FlushFrame } from '../src/wire/frames.ts';

const a = asPeerId('a');
const b = asPeerId('b');
const v1 = asViewId(1);
/** In the safe-integer range, so the wire parser lets it through. */
const ABSURD = 2 ** 53 - 2;

/** A trio where b1 is delivered everywhere and a's message "pending" waits for c's proposal. */
const trio = (): EngineMesh => {
  const m = EngineMesh.started('total', ['a', 'b', 'c']);
  m.send('b', 'b1');
  m.run();
  m.setCut('c', 'a', true);
  m.send('a', 'pending');
  m.run();
  return m;
};

const priorityNumbers = (m: EngineMesh, id: string): number[] => m.orders(id).map((o) => Number(o.split(':')[1])); // keys are incarnation:p:by

const expectRefused = (m: EngineMesh, from: string, to: string, frame: EngineFrame, code: string): void => {
  const before = JSON.stringify(m.engine(to).debugState());
  const r = m.deliverFrame(from, to, frame);
  expect(r).toMatchObject({ rejected: true, fault: 'remote', error: { code } });
  if ('rejected' in r) expect(r.error.message.length).toBeGreaterThan(20);
  expect(JSON.stringify(m.engine(to).debugState())).toBe(before);
};

describe('absurd but in-range priorities', () => {
  const hostile: readonly [string, string, string, EngineFrame][] = [
    [
      'PROPOSE',
      'b',
      'a',
      { t: 'propose', groupId: GROUP, viewId: v1, sender: a, seq: 1, priority: { p: ABSURD, by: b } },
    ],
    [
      'FINAL',
      'a',
      'b',
      { t: 'final', groupId: GROUP, viewId: v1, sender: a, seq: 1, priority: { p: ABSURD, by: b }, version: 'v' },
    ],
    [
      'DATA proposal',
      'b',
      'c',
      {
        t: 'data',
        groupId: GROUP,
        viewId: v1,
        sender: b,
        seq: 2,
        lamport: 9,
        sentAt: 1,
        body: 'x',
        sig: 'sig:b:2',
        proposal: { p: ABSURD, by: b },
      },
    ],
  ];
  for (const [name, from, to, frame] of hostile) {
    it(`a ${name} with p = 2^53 - 2 is refused and later priorities stay small`, () => {
      const m = trio();
      expectRefused(m, from, to, frame, 'too-large');
      m.setCut('c', 'a', false);
      m.run();
      m.send('b', 'b2');
      m.run();
      for (const id of ['a', 'b', 'c']) {
        expect(m.bodies(id), id).toEqual(['b1', 'pending', 'b2']);
        for (const p of priorityNumbers(m, id)) expect(p).toBeLessThan(100);
      }
    });
  }

  it('a member up to MAX_PRIORITY_STEP ahead is honest enough: its proposal decides', () => {
    const m = trio();
    const ahead =
      Math.max(m.engine('a').debugState().proposedMax, m.engine('a').debugState().agreedMax) + MAX_PRIORITY_STEP;
    // c's proposal is still queued on the cut link; b's was accepted already, so c is the one far ahead.
    const r = m.deliverFrame('c', 'a', {
      t: 'propose',
      groupId: GROUP,
      viewId: v1,
      sender: a,
      seq: 1,
      priority: { p: ahead, by: asPeerId('c') },
    });
    expect('rejected' in r).toBe(false);
    m.lose('c', 'a');
    m.setCut('c', 'a', false);
    m.run();
    // a agreed at it and b took a's FINAL (within b's bound too). c itself never proposed it: it refuses a
    // FINAL that names it at another priority, so b waits for c's echo (PROTOCOL.md §3.3 "Echo").
    expect(m.orders('a')[1]).toBe(`${'1'.padStart(16, '0')}:${String(ahead).padStart(16, '0')}:c`);
    expect(m.engine('b').debugState().queue).toEqual([
      { id: expect.stringContaining('a:1'), p: 2, by: 'b', final: false, told: `${ahead}:c` },
    ]);
    expect(m.bodies('c')).toEqual(['b1']);
  });

  it('a FLUSH reporting an absurd priority is refused whole; the honest copy completes the view change', () => {
    const m = trio();
    m.installView(makeView(2, ['a', 'b', 'c']));
    const honest = m.take('b', 'c').find((f): f is FlushFrame => f.t === 'flush');
    if (honest === undefined) throw new Error('b sent no FLUSH to c');
    const poisoned: FlushFrame[] = [
      { ...honest, agreed: ABSURD },
      { ...honest, pending: [...honest.pending, { sender: a, seq: 1, proposed: { p: ABSURD, by: b } }] },
    ];
    for (const f of poisoned) expectRefused(m, 'b', 'c', f, 'too-large');
    expect(m.deliverFrame('b', 'c', honest)).not.toHaveProperty('rejected');
    m.setCut('c', 'a', false);
    m.run();
    for (const id of ['a', 'b', 'c']) {
      expect(m.engine(id).view?.viewId, id).toBe(2);
      expect(m.bodies(id), id).toEqual(['b1', 'pending']);
      expect(m.orders(id)).toEqual(m.orders('a'));
      for (const p of priorityNumbers(m, id)) expect(p).toBeLessThan(100);
    }
  });
});

describe('equivocation: one id, two signed contents', () => {
  it('total: a second DATA for a message still waiting for its FINAL is refused; the first is delivered', () => {
    const m = trio();
    const first = m
      .engine('b')
      .debugState()
      .queue.find((e) => e.id === 'g1/a:1');
    expect(first?.final).toBe(false);
    const other: DataFrame = {
      t: 'data',
      groupId: GROUP,
      viewId: v1,
      sender: a,
      seq: 1,
      lamport: 2,
      sentAt: 2,
      body: 'other text',
      sig: 'sig:a:1:other',
    };
    expectRefused(m, 'a', 'b', other, 'replay');
    m.setCut('c', 'a', false);
    m.run();
    for (const id of ['a', 'b', 'c']) expect(m.bodies(id), id).toEqual(['b1', 'pending']);
  });

  it('fifo: a second DATA for a message in hold-back is refused; the first is delivered', () => {
    const m = EngineMesh.started('fifo', ['a', 'b']);
    m.send('a', 'one');
    const two = m.send('a', 'two');
    const [f1, f2] = m.take('a', 'b');
    if (f1 === undefined || f2 === undefined) throw new Error('a sent two frames');
    m.deliverFrame('a', 'b', f2); // ahead of seq 1: held back
    expect(m.engine('b').debugState().senders['a']?.held).toEqual([2]);
    expectRefused(m, 'a', 'b', { ...two, body: 'two, edited', sig: 'sig:a:2:edited' }, 'replay');
    expect(m.deliverFrame('a', 'b', f2)).not.toHaveProperty('rejected'); // the same copy again is a harmless resend
    m.deliverFrame('a', 'b', f1);
    expect(m.bodies('b')).toEqual(['one', 'two']);
  });

  it('a second DATA for a delivered message is refused even while it is still kept', () => {
    const m = EngineMesh.started('fifo', ['a', 'b']);
    const one = m.send('a', 'one');
    m.run();
    expect(m.engine('b').debugState().kept).toContain('g1/a:1');
    expect(m.deliverFrame('a', 'b', one)).not.toHaveProperty('rejected');
    expectRefused(m, 'a', 'b', { ...one, body: 'one, edited' }, 'replay');
    expect(m.bodies('b')).toEqual(['one']);
  });
});
