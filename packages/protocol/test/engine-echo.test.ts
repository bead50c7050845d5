// The echo of FINALs in total order (PROTOCOL.md §3.3 Echo, issue 12): a
// sender that tells two members two different FINALs for its message used to
// have them deliver it at two places (S4). Now each member echoes the FINAL it
// applied and delivers another sender's message only once every other member
// echoed the same; a FINAL below a member's proposal is not applied. The liar
// stalls the order until it leaves; the view change orders the message once.

import { describe, expect, it } from 'vitest';
import { asPeerId, asViewId } from '../src/ids.ts';
import { EngineMesh, GROUP, makeView } from '../src/ordering/testing/engine-mesh.ts';
import type { EngineFrame, FinalFrame } from '../src/wire/frames.ts';
import { contradicts } from '../src/ordering/final-proof.ts';

const v1 = asViewId(1);

/** c sends c1 and everyone proposes; c's FINAL is taken off its links, so the test tells each member its own. */
const proposed = (): { m: EngineMesh; final: FinalFrame } => {
  const m = EngineMesh.started('total', ['a', 'b', 'c']);
  m.send('c', 'c1');
  m.step('c', 'a'); // DATA
  m.step('c', 'b');
  m.step('a', 'c'); // PROPOSE
  m.step('b', 'c'); // c has every proposal and queues its FINAL on both links
  const finals = [...m.take('c', 'a'), ...m.take('c', 'b')].filter((f): f is FinalFrame => f.t === 'final');
  expect(finals).toHaveLength(2);
  return { m, final: finals[0] as FinalFrame };
};

const disputes = (m: EngineMesh, id: string): number =>
  (m.events.get(id) ?? []).filter((e) => e.type === 'final-disputed').length;

describe('FINAL echo', () => {
  it('an honest FINAL: every member delivers once the others echoed it', () => {
    const { m, final } = proposed();
    for (const to of ['a', 'b']) expect(m.deliverFrame('c', to, final)).not.toHaveProperty('rejected');
    m.run();
    expect(m.bodies('a')).toEqual(['c1']);
    expect(m.bodies('b')).toEqual(['c1']);
    expect(m.orders('a')).toEqual(m.orders('b'));
  });

  it('two FINALs for one message: neither member delivers it, both see the dispute, and the view change without the liar orders it once', () => {
    const { m, final } = proposed();
    const higher: FinalFrame = { ...final, priority: { p: final.priority.p + 1, by: final.priority.by } };
    m.deliverFrame('c', 'a', final);
    m.deliverFrame('c', 'b', higher);
    m.send('a', 'a1'); // behind c1 everywhere: it waits too
    m.run();
    expect(m.bodies('a')).toEqual([]);
    expect(m.bodies('b')).toEqual([]);
    expect(disputes(m, 'a')).toBeGreaterThan(0);
    expect(disputes(m, 'b')).toBeGreaterThan(0);
    // Each holds the sender's two FINALs (its own and the other's, restated in the echo): a proof, once.
    for (const at of ['a', 'b']) {
      const proofs = (m.events.get(at) ?? []).flatMap((e) => (e.type === 'final-equivocation' ? [e] : []));
      expect(proofs).toHaveLength(1);
      expect(proofs[0]?.by).toBe('c');
      expect(contradicts(proofs[0]!.proof)).toBe(true);
    }
    m.crash('c');
    m.installView(makeView(2, ['a', 'b'], [['c', 'failed']]));
    m.run();
    expect(m.bodies('a')).toEqual(['c1', 'a1']);
    expect(m.orders('a')).toEqual(m.orders('b'));
  });

  it("a FINAL below a member's own proposal is not applied: that member objects, and the other does not deliver on it", () => {
    const { m, final } = proposed();
    // Everyone proposed p = 1, so the true FINAL is (1, c); (1, a) is below b's (1, b).
    expect(final.priority).toEqual({ p: 1, by: 'c' });
    const low: FinalFrame = { ...final, priority: { p: 1, by: asPeerId('a') } };
    m.deliverFrame('c', 'a', low);
    m.deliverFrame('c', 'b', low);
    m.run();
    expect(m.bodies('a')).toEqual([]);
    expect(m.bodies('b')).toEqual([]);
    expect(disputes(m, 'b')).toBeGreaterThan(0); // b objects to the FINAL
    expect(disputes(m, 'a')).toBeGreaterThan(0); // and a sees b's objection instead of an echo
  });

  it("refuses an echo that changes, and echoes of the echoer's own message", () => {
    const { m, final } = proposed();
    m.deliverFrame('c', 'a', final);
    const aEcho = m.pending('a', 'b').find((f) => f.t === 'echo');
    if (aEcho?.t !== 'echo') throw new Error('a sent b no echo');
    const sig = aEcho.finals[0]?.sig ?? '';
    const echo = (p: number, sender = 'c'): EngineFrame => ({
      t: 'echo',
      groupId: GROUP,
      viewId: v1,
      finals: [{ sender: asPeerId(sender), seq: 1, priority: { p, by: final.priority.by }, sig, final: 'f' }],
    });
    expect(m.deliverFrame('a', 'b', echo(final.priority.p))).not.toHaveProperty('rejected');
    expect(m.deliverFrame('a', 'b', echo(final.priority.p + 1))).toMatchObject({
      rejected: true,
      error: { code: 'bad-state' },
    });
    expect(m.deliverFrame('a', 'b', echo(final.priority.p, 'a'))).toMatchObject({
      rejected: true,
      error: { code: 'bad-state' },
    });
  });
});
