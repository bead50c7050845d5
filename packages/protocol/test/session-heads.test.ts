// A hand-over state's counts need a signed head (PROTOCOL.md §4 "Heads", §7.3): a
// sponsor that counts a current member's messages past every one it hands is
// dropped like any other liar, the next old member's state is adopted, and that
// member's next live messages reach the joiner's screen.
import { describe, expect, it } from 'vitest';
import { asPeerId } from '../src/ids.ts';
import { TICK_MS } from '../src/session/policy.ts';
import { CoreMesh, type InFlight } from '../src/session/testing/core-mesh.ts';
import type { HistoryResponseFrame } from '../src/wire/frames.ts';

/** p1 and p2 are members; each said two messages. */
const group = (mode: 'fifo' | 'total' = 'total'): CoreMesh => {
  const m = new CoreMesh(mode);
  m.add('p1');
  m.view(1, ['p1'], [['p1', 'joined']]);
  m.send('p1', 'a1');
  m.deliver();
  m.add('p2');
  m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
  m.deliver();
  m.send('p2', 'b1');
  m.send('p1', 'a2');
  m.send('p2', 'b2');
  m.deliver();
  return m;
};

/** p1's state to p3 counts `sender`'s messages `by` past the truth (every page that carries it). */
const inflating = (m: CoreMesh, by: number, sender = 'p2'): void => {
  m.drop = (f: InFlight) => {
    if (f.frame.t !== 'history-res' || f.from !== 'p1' || f.to !== 'p3' || f.frame.state === undefined) return false;
    const state = f.frame.state;
    const nextSeq = { ...state.nextSeq, [sender]: (state.nextSeq[sender] ?? 1) + by };
    const page: HistoryResponseFrame = { ...f.frame, state: { ...state, nextSeq } };
    m.run(m.node('p3'), (c) => c.receive(asPeerId('p1'), page, m.now));
    return true;
  };
};

const dropped = (m: CoreMesh) =>
  m.node('p3').problems.filter((p) => p.remote && p.problem.code === 'bad-state' && p.problem.from === 'p1');

describe('SessionCore: a state counts only what signed heads back', () => {
  for (const mode of ['fifo', 'total'] as const)
    it(`${mode}: a sponsor stating nextSeq + 5 for a live member is dropped; the next sponsor's state is adopted and the member's next message shown`, () => {
      const m = group(mode);
      inflating(m, 5);
      const p3 = m.add('p3');
      m.view(3, ['p1', 'p2', 'p3'], [['p3', 'joined']]);
      m.deliver();
      m.advance(5 * TICK_MS);
      expect(dropped(m)).toHaveLength(1);
      expect(dropped(m)[0]?.problem.message).toMatch(/counts message p2:7 as delivered without handing it/);
      expect(m.asks('p3', 'p2', 'sponsor')).toBe(1);
      expect(p3.phase).toBe('member');
      expect(p3.core.engine.joinerState().nextSeq['p2']).toBe(3);
      expect(p3.storedBodies()).toEqual(m.node('p1').storedBodies());
      expect(p3.storedBodies()).toHaveLength(4);
      // p2's next live message (its seq 3) is shown to the joiner, as to everyone.
      m.send('p2', 'b3');
      m.deliver();
      expect(p3.shownBodies()).toContain('b3');
      expect(p3.shownBodies()).toEqual(m.node('p1').shownBodies());
    });

  it('an honest sponsor hands the head its newest page does not carry, and is not dropped', () => {
    const m = group('fifo');
    // p2's last message (b2) is far below the newest page: 250 of p1's come after it.
    for (let i = 0; i < 250; i += 1) m.send('p1', `x${i}`);
    m.deliver();
    // Stable everywhere (the members' hwm went round): b2 is no longer among p1's unstable messages.
    m.advance(3000);
    m.deliver();
    const p3 = m.add('p3');
    m.view(3, ['p1', 'p2', 'p3'], [['p3', 'joined']]);
    m.deliver();
    m.advance(5 * TICK_MS);
    const newest = m.sent.find((s) => s.from === 'p1' && s.to === 'p3' && s.frame.t === 'history-res')?.frame;
    expect(newest?.t === 'history-res' && newest.heads?.map((h) => `${h.frame.sender}:${h.frame.seq}`)).toEqual([
      'p2:2',
    ]);
    expect(p3.problems.filter((p) => p.problem.code === 'bad-state')).toEqual([]);
    expect(p3.phase).toBe('member');
    expect(p3.storedBodies()).toHaveLength(254);
    m.send('p2', 'b3');
    m.deliver();
    expect(p3.shownBodies().at(-1)).toBe('b3');
  });

  it('the only old member inflating a count: the joiner takes its state, as it says (no one else can hand one)', () => {
    const m = new CoreMesh('fifo');
    m.add('p1');
    m.view(1, ['p1'], [['p1', 'joined']]);
    m.send('p1', 'a1');
    m.deliver();
    inflating(m, 5, 'p1');
    const p3 = m.add('p3');
    m.view(2, ['p1', 'p3'], [['p3', 'joined']]);
    m.deliver();
    m.advance(5 * TICK_MS);
    expect(p3.phase).toBe('member');
    expect(dropped(m)).toEqual([]);
    const said = p3.problems.filter((p) =>
      /No other member can hand the state over: it is taken/.test(p.problem.message),
    );
    expect(said.map((p) => p.problem.message)).toEqual([expect.stringContaining('p1:6')]);
  });
});
