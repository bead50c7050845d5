import { describe, expect, it } from 'vitest';
import { asPeerId, asViewId } from '../src/ids.ts';
import { EngineMesh, GROUP, makeView } from '../src/ordering/testing/engine-mesh.ts';
import type { EngineFrame, FinalFrame, ProposeFrame } from '../src/wire/frames.ts';

const a = asPeerId('a');
const b = asPeerId('b');
const c = asPeerId('c');
const v1 = asViewId(1);

/** A trio where b1 is delivered everywhere and a's first message waits for c's proposal. */
const trio = (): EngineMesh => {
  const m = EngineMesh.started('total', ['a', 'b', 'c']);
  m.send('b', 'b1');
  m.run();
  m.setCut('c', 'a', true);
  m.send('a', 'pending');
  m.run();
  return m;
};

const propose = (over: Partial<ProposeFrame> = {}): ProposeFrame => ({
  t: 'propose',
  groupId: GROUP,
  viewId: v1,
  sender: a,
  seq: 1,
  priority: { p: 50, by: b },
  ...over,
});
const final = (over: Partial<FinalFrame> = {}): FinalFrame => ({
  t: 'final',
  groupId: GROUP,
  viewId: v1,
  sender: b,
  seq: 2,
  priority: { p: 50, by: b },
  version: 'v',
  ...over,
});

const cases: readonly [string, string, string, EngineFrame, string][] = [
  ['proposal for a message never sent', 'b', 'a', propose({ seq: 99 }), 'not-found'],
  [
    'proposal with p above the safe integer range',
    'b',
    'a',
    propose({ seq: 1, priority: { p: Number.MAX_SAFE_INTEGER + 2, by: b } }),
    'bad-type',
  ],
  ['proposal with p = 0', 'b', 'a', propose({ priority: { p: 0, by: b } }), 'bad-type'],
  ['proposal with a negative p', 'b', 'a', propose({ priority: { p: -3, by: b } }), 'bad-type'],
  ['proposal naming another proposer', 'b', 'a', propose({ priority: { p: 7, by: c } }), 'forged-sender'],
  ['proposal that changes an earlier one', 'b', 'a', propose({ priority: { p: 1234, by: b } }), 'bad-state'],
  ['proposal for another sender', 'b', 'c', propose({ sender: b, priority: { p: 9, by: b } }), 'bad-state'],
  ['proposal from an older view', 'b', 'a', propose({ viewId: asViewId(0) }), 'old-view'],
  ['FINAL from someone who is not the sender', 'c', 'a', final({ sender: b }), 'forged-sender'],
  ['FINAL for a message that never arrived', 'b', 'a', final({ seq: 40 }), 'not-found'],
  ['FINAL with an absurd priority', 'b', 'a', final({ priority: { p: 1.5, by: b } }), 'bad-type'],
  ['FINAL naming a non-member', 'b', 'c', final({ seq: 1, priority: { p: 9, by: asPeerId('zed') } }), 'not-member'],
  ['FINAL that contradicts the agreed one', 'b', 'c', final({ seq: 1, priority: { p: 999, by: b } }), 'bad-state'],
  [
    'DATA whose sender is not its link',
    'c',
    'a',
    { t: 'data', groupId: GROUP, viewId: v1, sender: b, seq: 2, lamport: 3, sentAt: 1, body: 'x', sig: 's' },
    'forged-sender',
  ],
  [
    'DATA from the past',
    'b',
    'c',
    { t: 'data', groupId: GROUP, viewId: v1, sender: b, seq: 1, lamport: 1, sentAt: 1, body: 'forged', sig: 'other' },
    'replay',
  ],
  [
    'DATA of an older view',
    'b',
    'c',
    { t: 'data', groupId: GROUP, viewId: asViewId(0), sender: b, seq: 2, lamport: 3, sentAt: 1, body: 'x', sig: 's' },
    'old-view',
  ],
  ['hwm with a negative count', 'b', 'a', { t: 'hwm', groupId: GROUP, viewId: v1, delivered: { a: -1 } }, 'bad-type'],
  [
    'FLUSH for a view before the installed one',
    'b',
    'a',
    { t: 'flush', groupId: GROUP, viewId: asViewId(0), unstable: [], pending: [], agreed: 0, delivered: {} },
    'old-view',
  ],
  [
    'FLUSH with an invalid proposal',
    'b',
    'a',
    {
      t: 'flush',
      groupId: GROUP,
      viewId: asViewId(2),
      unstable: [],
      pending: [{ sender: a, seq: 1, proposed: { p: 0, by: b } }],
      agreed: 0,
      delivered: {},
    },
    'bad-type',
  ],
  ['frame of another group', 'b', 'a', { ...propose(), groupId: 'other' as typeof GROUP }, 'bad-state'],
];

describe('rejected inputs leave the engine exactly as it was', () => {
  for (const [name, from, to, frame, code] of cases) {
    it(name, () => {
      const m = trio();
      const before = JSON.stringify(m.engine(to).debugState());
      const r = m.engine(to).receive(asPeerId(from), frame, 1000);
      expect(r).toMatchObject({ rejected: true, fault: 'remote', error: { code } });
      if ('rejected' in r) expect(r.error.message.length).toBeGreaterThan(10);
      expect(JSON.stringify(m.engine(to).debugState())).toBe(before);
      // and the group still works afterwards
      m.setCut('c', 'a', false);
      m.run();
      expect(m.bodies('a')).toEqual(['b1', 'pending']);
      expect(m.bodies(to)).toEqual(['b1', 'pending']);
    });
  }

  it('a view older than the installed one, and one that does not list this peer, are refused', () => {
    const m = trio();
    const e = m.engine('a');
    const before = JSON.stringify(e.debugState());
    expect(e.installView(makeView(0, ['a', 'b', 'c']), 5)).toMatchObject({
      rejected: true,
      error: { code: 'old-view' },
    });
    expect(e.installView(makeView(9, ['b', 'c']), 5)).toMatchObject({
      rejected: true,
      fault: 'local',
      error: { code: 'not-member' },
    });
    expect(JSON.stringify(e.debugState())).toBe(before);
  });

  it('a send that does not commit the oldest draft is refused', () => {
    const m = trio();
    const e = m.engine('b');
    const d = e.draft('one', 5);
    if ('rejected' in d) throw new Error('draft refused');
    const before = JSON.stringify(e.debugState());
    expect(e.send({ t: 'data', ...d, body: 'changed', sig: 's' }, 6)).toMatchObject({
      rejected: true,
      fault: 'local',
      error: { code: 'bad-state' },
    });
    expect(JSON.stringify(e.debugState())).toBe(before);
    expect('rejected' in e.send({ t: 'data', ...d, sig: 's' }, 6)).toBe(false);
  });
});
