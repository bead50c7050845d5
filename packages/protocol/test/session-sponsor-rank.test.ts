// Which old member a joiner asks first (PROTOCOL.md §7.2 "make itself sponsor"): its own order of
// sponsors, SHA-256(joiner id ‖ member id), not the lowest peer id. Peer ids are the client's (§2),
// so a member that takes id `-` or 000…0 was every joiner's first sponsor while the lowest id was.
import { describe, expect, it } from 'vitest';
import { asPeerId, type PeerId } from '../src/ids.ts';
import { firstSponsor, HISTORY_RETRY_MS, nextSponsor, sponsorOrder, TICK_MS } from '../src/session/policy.ts';
import { CoreMesh } from '../src/session/testing/core-mesh.ts';

const ZEROS = '0'.repeat(32);
const ids = (...xs: string[]): PeerId[] => xs.map(asPeerId);

/** p1 founds with m1..m3; the low-id member `low` and p2 join; then each joiner comes in its own view. */
const groupWithLowId = (low: string, joiners: readonly string[]): { m: CoreMesh; firstAsked: Map<string, string> } => {
  const m = new CoreMesh('fifo');
  m.add('p1');
  m.view(1, ['p1'], [['p1', 'joined']]);
  for (let i = 1; i <= 3; i += 1) m.send('p1', `m${i}`);
  m.deliver();
  const members = ['p1'];
  let viewId = 1;
  const join = (id: string): void => {
    m.add(id);
    members.push(id);
    viewId += 1;
    m.view(viewId, [...members], [[id, 'joined']]);
    m.deliver();
    m.advance(3 * TICK_MS);
  };
  join(low);
  join('p2');
  const firstAsked = new Map<string, string>();
  for (const j of joiners) {
    join(j);
    const req = m.sent.find((s) => s.frame.t === 'history-req' && s.from === j);
    if (req !== undefined) firstAsked.set(j, req.to);
  }
  return { m, firstAsked };
};

describe('a joiner ranks its sponsors by SHA-256(joiner ‖ member), not by the lowest id', () => {
  for (const low of ['-', ZEROS]) {
    it(`a member with peer id ${low === '-' ? '-' : '000…0'} is not every joiner's first sponsor; each asks the one its order names`, () => {
      const joiners = ['q1', 'q2', 'q3', 'q4', 'q5', 'q6'];
      const { m, firstAsked } = groupWithLowId(low, joiners);
      // Each joiner's first HISTORY-REQ went to the first of its order among the members before it.
      const before = ['p1', low, 'p2'];
      for (const [i, j] of joiners.entries()) {
        const old = ids(...before, ...joiners.slice(0, i));
        expect(firstAsked.get(j), j).toBe(firstSponsor(asPeerId(j), old));
      }
      // With the lowest id sponsoring, all six asked `low` first.
      expect(new Set(firstAsked.values()).size).toBeGreaterThan(1);
      expect([...firstAsked.values()].filter((p) => p === low).length).toBeLessThan(joiners.length);
      // Each joiner became a member with the group's history, whoever handed it.
      for (const j of joiners) {
        expect(m.node(j).phase, j).toBe('member');
        expect(m.node(j).storedBodies(), j).toEqual(['m1', 'm2', 'm3']);
      }
    });
  }

  it('a low id takes no rank of its own: over 400 joiners each of four members is first for about a quarter', () => {
    const old = ids('-', ZEROS, 'p1', 'p2');
    const firsts = new Map<PeerId, number>();
    for (let n = 1; n <= 400; n += 1) {
      const first = firstSponsor(asPeerId(`j${n}`), old);
      if (first !== null) firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    // Binomial(400, 1/4): 100 ± 8.7 each; 60..140 is beyond four and a half sigma.
    for (const p of old) {
      expect(firsts.get(p) ?? 0, p).toBeGreaterThan(60);
      expect(firsts.get(p) ?? 0, p).toBeLessThan(140);
    }
  });

  it('every member computes the same order for a joiner, whatever order it holds the candidates in', () => {
    const old = ids('-', ZEROS, 'p1', 'p2', 'p3');
    const j = asPeerId('q1');
    expect(sponsorOrder(j, [...old].reverse())).toEqual(sponsorOrder(j, old));
    expect(sponsorOrder(j, old)).toHaveLength(5);
    // Another joiner, another order (these two differ).
    expect(sponsorOrder(asPeerId('q2'), old)).not.toEqual(sponsorOrder(j, old));
  });

  it('after silence the joiner goes round its own circle, from any sponsor, present or gone', () => {
    const old = ids('-', ZEROS, 'p1', 'p2');
    const j = asPeerId('q1');
    const order = sponsorOrder(j, old);
    for (const [i, p] of order.entries()) expect(nextSponsor(j, p, old)).toBe(order[(i + 1) % order.length]);
    // A sponsor that left: the next present one after its place in the order.
    const gone = order[1] as PeerId;
    const present = old.filter((p) => p !== gone);
    expect(nextSponsor(j, gone, present)).toBe(order[2]);
    expect(nextSponsor(j, order[0] as PeerId, [order[0] as PeerId])).toBe(order[0]);
    expect(nextSponsor(j, order[0] as PeerId, [])).toBeNull();
  });

  it('a silent first sponsor is passed over for the next in the joiner order, not the next id', () => {
    const joiners = ['q1'];
    const m = new CoreMesh('fifo');
    m.add('p1');
    m.view(1, ['p1'], [['p1', 'joined']]);
    m.send('p1', 'm1');
    m.deliver();
    const members = ['p1', '-', 'p2', 'p3'];
    for (const [i, id] of members.slice(1).entries()) {
      m.add(id);
      m.view(i + 2, members.slice(0, i + 2), [[id, 'joined']]);
      m.deliver();
    }
    const j = joiners[0] as string;
    const order = sponsorOrder(asPeerId(j), ids(...members));
    const silent = order[0] as string;
    m.drop = (f) => f.frame.t === 'history-res' && f.from === silent;
    m.add(j);
    m.view(5, [...members, j], [[j, 'joined']]);
    m.deliver();
    m.advance(HISTORY_RETRY_MS + 5 * TICK_MS);
    expect(m.asks(j, silent, 'sponsor')).toBeGreaterThan(0);
    expect(m.asks(j, order[1] as string, 'sponsor')).toBeGreaterThan(0);
    for (const other of order.slice(2)) expect(m.asks(j, other, 'sponsor'), other).toBe(0);
    // Witnesses (PROTOCOL.md §7.3 "Corroborated"): the next in the order after each sponsor.
    expect(m.asks(j, order[1] as string, 'witness')).toBe(1);
    expect(m.asks(j, order[2] as string, 'witness')).toBe(1);
    expect(m.node(j).storedBodies()).toEqual(['m1']);
  });
});
