// A participant that sends two members two different FLUSH reports for one
// view (PROTOCOL.md §3.4 "Same reports everywhere"): each FLUSH-OK names the
// digest of the reports its sender holds, and nobody installs the view until
// every participant named its own, so the two honest members never resolve
// the flush differently. They see the dispute, wait, and the flush of the
// view without the liar resolves once for all.

import { describe, expect, it } from 'vitest';
import { asPeerId, asViewId } from '../src/ids.ts';
import { flushDigest, reportHash } from '../src/ordering/flush-agreement.ts';
import { flushContradicts } from '../src/ordering/flush-proof.ts';
import { EngineMesh, GROUP, makeView } from '../src/ordering/testing/engine-mesh.ts';
import { GENESIS_PREV } from '../src/wire/chain.ts';
import { encodeFrame } from '../src/wire/canonical.ts';
import type { DataFrame, EngineFrame, FlushFrame, FlushOkFrame } from '../src/wire/frames.ts';
import { parseFrame } from '../src/wire/parse-frame.ts';

const ghost: DataFrame = {
  t: 'data',
  groupId: GROUP,
  viewId: asViewId(1),
  sender: asPeerId('c'),
  seq: 1,
  lamport: 1,
  sentAt: 1,
  body: 'ghost',
  prev: GENESIS_PREV,
  sig: `${'A'.repeat(86)}==`,
};

/**
 * c's FLUSH on the link to `to`, swapped for a made-up report that says c sent `ghost` (only `to` gets
 * it). With `sign`, c signs each report it sends (the session's job; a stand-in signature per report).
 */
const forgeFlushTo = (m: EngineMesh, to: string, sign?: string): void => {
  const signed = (f: EngineFrame): EngineFrame =>
    sign === undefined || f.t !== 'flush' ? f : { ...f, sig: `${f.report?.slice(0, 43)}${sign}`.padEnd(88, '=') };
  if (sign !== undefined) for (const f of m.take('c', 'b')) m.deliverFrame('c', 'b', signed(f));
  const frames = m.take('c', to);
  const real = frames.find((f): f is FlushFrame => f.t === 'flush');
  if (real === undefined) throw new Error('c sent no FLUSH');
  const lie: FlushFrame = { ...real, unstable: [ghost], delivered: { ...real.delivered, c: 0 } };
  // The liar hashes its made-up report as its own (a report whose content is not what it names is refused).
  const made: EngineFrame = { ...lie, report: reportHash(lie) };
  for (const f of frames) m.deliverFrame('c', to, signed(f === real ? made : f));
};

const proofsAt = (m: EngineMesh, id: string) =>
  (m.events.get(id) ?? []).flatMap((e) => (e.type === 'flush-equivocation' ? [e] : []));

describe.each(['fifo', 'total'] as const)(
  '%s: a participant that sends two members different FLUSH reports',
  (mode) => {
    it('has neither install the view, and both resolve the next one alike', () => {
      const m = EngineMesh.started(mode, ['a', 'b', 'c']);
      m.send('a', 'a1');
      m.run();
      m.installView(makeView(2, ['a', 'b', 'c']));
      forgeFlushTo(m, 'a');
      m.run();
      // Without the digests a would deliver the ghost in the flush of view 2 and b would not (S4).
      for (const id of ['a', 'b']) {
        expect(m.engine(id).view?.viewId, id).toBe(1);
        expect(m.bodies(id), id).toEqual(['a1']);
        expect(
          m.events.get(id)?.some((e) => e.type === 'flush-disputed'),
          id,
        ).toBe(true);
      }
      // A FLUSH-OK stands for the hashes it restates and its sender's own report as the receiver holds
      // it: the liar's own FLUSH-OK agrees with a (it cannot claim another report of itself), b's does not.
      expect(
        m.events
          .get('a')
          ?.filter((e) => e.type === 'flush-disputed')
          .map((e) => 'by' in e && e.by)
          .sort(),
      ).toEqual(['b']);

      // The liar leaves: both abandon view 2 without delivering its resolution, and view 3 resolves once.
      m.crash('c');
      m.installView(makeView(3, ['a', 'b'], [['c', 'failed']]));
      m.run();
      for (const id of ['a', 'b']) expect(m.engine(id).view?.viewId, id).toBe(3);
      expect(m.bodies('a')).toEqual(['a1']);
      expect(m.bodies('b')).toEqual(m.bodies('a'));
      expect(m.orders('b')).toEqual(m.orders('a'));
      m.send('b', 'after');
      m.run();
      expect(m.bodies('a')).toEqual(['a1', 'after']);
      expect(m.bodies('b')).toEqual(['a1', 'after']);
    });

    it('with signed reports, each member whose digest differs holds the proof against the liar, and only it', () => {
      const m = EngineMesh.started(mode, ['a', 'b', 'c']);
      m.send('a', 'a1');
      m.run();
      m.installView(makeView(2, ['a', 'b', 'c']));
      forgeFlushTo(m, 'a', 'S');
      m.run();
      for (const id of ['a', 'b']) {
        const proofs = proofsAt(m, id);
        expect(
          proofs.map((e) => e.by),
          id,
        ).toEqual(['c']);
        const { flush, other } = proofs[0]!.proof;
        expect(flushContradicts(proofs[0]!.proof), id).toBe(true);
        expect([flush.viewId, flush.reporter, other.reporter]).toEqual([2, 'c', 'c']);
        expect(m.engine(id).view?.viewId, id).toBe(1); // the flush stays disputed until the view changes
      }
      // Unsigned reports (the test above) prove nothing: nobody is named.
      const unsigned = EngineMesh.started(mode, ['a', 'b', 'c']);
      unsigned.installView(makeView(2, ['a', 'b', 'c']));
      forgeFlushTo(unsigned, 'a');
      unsigned.run();
      for (const id of ['a', 'b']) expect(proofsAt(unsigned, id), id).toEqual([]);
    });

    it('installs as before when every participant sent everyone the same report', () => {
      const m = EngineMesh.started(mode, ['a', 'b', 'c']);
      m.send('c', 'c1');
      m.installView(makeView(2, ['a', 'b', 'c']));
      m.run();
      for (const id of ['a', 'b', 'c']) {
        expect(m.engine(id).view?.viewId, id).toBe(2);
        expect(m.bodies(id), id).toEqual(['c1']);
        expect(
          m.events.get(id)?.some((e) => e.type === 'flush-disputed'),
          id,
        ).toBe(false);
      }
    });
  },
);

/** Hold what c sends until everything else settled, then hand it on with its FLUSH-OKs rewritten by `rewrite`. */
const rewriteFlushOksOf = (m: EngineMesh, rewrite: (f: FlushOkFrame, to: string) => FlushOkFrame) => {
  m.installView(makeView(2, ['a', 'b', 'c']));
  for (const to of ['a', 'b']) m.setCut('c', to, true);
  m.run();
  for (const to of ['a', 'b']) m.setCut('c', to, false);
  const results = ['a', 'b'].map((to) =>
    m.take('c', to).map((f) => m.deliverFrame('c', to, f.t === 'flush-ok' ? rewrite(f, to) : f)),
  );
  m.run();
  return results.flat();
};

describe.each(['fifo', 'total'] as const)('%s: a FLUSH-OK stands for the signed reports it restates', (mode) => {
  it('a made-up digest named in it is never read: the view is installed', () => {
    const m = EngineMesh.started(mode, ['a', 'b', 'c']);
    m.send('c', 'c1');
    rewriteFlushOksOf(m, (f) => ({ ...f, reports: `${'L'.repeat(42)}A=` }));
    for (const id of ['a', 'b', 'c']) {
      expect(m.engine(id).view?.viewId, id).toBe(2);
      expect(m.bodies(id), id).toEqual(['c1']);
      expect(
        m.events.get(id)?.some((e) => e.type === 'flush-disputed'),
        id,
      ).toBe(false);
    }
  });

  it('one that leaves a participant out, or names a peer that is none, is refused and the flush waits', () => {
    const m = EngineMesh.started(mode, ['a', 'b', 'c']);
    // To a it restates b's report only; to b, a's and b's and one of z, who takes no part.
    const results = rewriteFlushOksOf(m, (f, to) => {
      const held = f.held ?? [];
      return to === 'a'
        ? { ...f, held: held.filter((h) => h.reporter !== 'a') }
        : { ...f, held: [...held, { ...held[0]!, reporter: asPeerId('z') }] };
    });
    const refused = results.flatMap((r) => ('rejected' in r ? [r.error] : []));
    expect(refused.map((e) => e.code)).toEqual(['bad-state', 'bad-state']);
    expect(refused[0]!.message).toMatch(/restates no report of a/);
    expect(refused[1]!.message).toMatch(/restates a report of z/);
    for (const id of ['a', 'b']) expect(m.engine(id).view?.viewId, id).toBe(1);
    expect(m.engine('a').debugState().flushOks).toEqual(['a', 'b']);
  });
});

describe('reportHash and flushDigest', () => {
  const report: FlushFrame = {
    t: 'flush',
    groupId: GROUP,
    viewId: asViewId(4),
    unstable: [ghost],
    pending: [{ sender: asPeerId('c'), seq: 1, proposed: { p: 3, by: asPeerId('a') } }],
    agreed: 2,
    delivered: { c: 0, a: 4 },
    installed: { viewId: asViewId(3), members: [asPeerId('a'), asPeerId('c')] },
    incarnation: asViewId(1),
    report: GENESIS_PREV,
    sig: `${'A'.repeat(86)}==`,
  };
  const ids = [asPeerId('a'), asPeerId('c')];
  const digest = (c: FlushFrame): string => flushDigest(ids, (p) => (p === 'c' ? reportHash(c) : undefined));

  it('is the same for a report read back from the wire with its keys in another order', () => {
    const reversed = JSON.stringify(Object.fromEntries(Object.entries(report).reverse()));
    const parsed = parseFrame(reversed, { groupId: GROUP, from: asPeerId('c') });
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(digest(parsed.value as FlushFrame)).toBe(digest(report));
    expect(encodeFrame(report)).not.toBe(reversed);
  });

  it('differs for a report that differs in anything the resolution reads', () => {
    const variants: FlushFrame[] = [
      { ...report, agreed: 3 },
      { ...report, delivered: { c: 1, a: 4 } },
      { ...report, unstable: [{ ...ghost, body: 'ghost~' }] },
      { ...report, unstable: [{ ...ghost, proposal: { p: 5, by: asPeerId('c') } }] },
      { ...report, pending: [] },
      { ...report, joining: true },
      { ...report, incarnation: asViewId(2) },
    ];
    for (const v of variants) expect(digest(v)).not.toBe(digest(report));
  });

  it('is made of the signed hashes alone, in participant order: a missing report is part of it', () => {
    const h = reportHash(report);
    expect(flushDigest(ids, () => h)).toBe(flushDigest(ids, () => h));
    expect(flushDigest(ids, (p) => (p === 'a' ? h : undefined))).not.toBe(flushDigest(ids, () => h));
    expect(flushDigest([...ids].reverse(), (p) => (p === 'a' ? h : GENESIS_PREV))).not.toBe(
      flushDigest(ids, (p) => (p === 'a' ? h : GENESIS_PREV)),
    );
  });
});

// The view a FLUSH proof brings can reach two honest members before their FLUSH-OKs cross. Here the
// liar d sends a a made-up report and b, c its real one; a's FLUSH-OK reaches c, which proves d, and
// the tracker's view without d reaches a and b while a's and b's FLUSH-OKs to each other (and c's to a)
// are still in flight; the liar sends them no FLUSH-OK that would show a dispute. Each saw no other
// digest. The eviction view names the flush the proof is about (nobody installed it), so neither
// delivers its resolution (PROTOCOL.md §3.4 "Signed reports"); a view that does not name it (the
// liar's leaving at that moment) still has each deliver its own: a the ghost, b not (S4, open).
describe('the eviction view overtakes the FLUSH-OKs of two honest members', () => {
  const race = (): EngineMesh => {
    const m = EngineMesh.started('total', ['a', 'b', 'c', 'd']);
    m.send('a', 'a1');
    m.run();
    m.installView(makeView(2, ['a', 'b', 'c', 'd']));
    const sign = (f: EngineFrame): EngineFrame =>
      f.t === 'flush' ? { ...f, sig: `${f.report?.slice(0, 43)}S`.padEnd(88, '=') } : f;
    for (const to of ['b', 'c']) for (const f of m.take('d', to)) if (f.t === 'flush') m.deliverFrame('d', to, sign(f));
    for (const f of m.take('d', 'a'))
      if (f.t === 'flush') {
        const lie: FlushFrame = { ...f, unstable: [ghost], delivered: { ...f.delivered, c: 0 } };
        m.deliverFrame('d', 'a', sign({ ...lie, report: reportHash(lie) }));
      }
    // Every honest FLUSH arrives; the FLUSH-OKs that follow are what the cuts hold back.
    for (const from of ['a', 'b', 'c', 'd'])
      for (const to of ['a', 'b', 'c', 'd'])
        while (from !== to && m.pending(from, to)[0]?.t === 'flush') m.step(from, to);
    for (const [from, to] of [
      ['a', 'b'],
      ['b', 'a'],
      ['c', 'a'],
      ['d', 'a'],
      ['d', 'b'],
      ['d', 'c'],
    ] as const)
      m.setCut(from, to, true);
    m.run();
    expect(proofsAt(m, 'c').map((e) => e.by)).toEqual(['d']);
    for (const id of ['a', 'b'])
      expect(
        m.events.get(id)?.some((e) => e.type === 'flush-disputed'),
        id,
      ).toBe(false);
    m.crash('d');
    return m;
  };

  it('neither delivers a resolution of the flush the eviction view names, and the next one resolves alike', () => {
    const m = race();
    const v3 = makeView(3, ['a', 'b', 'c']);
    m.installView({ ...v3, changes: [{ peerId: asPeerId('d'), change: 'evicted', flush: asViewId(2) }] });
    for (const id of ['a', 'b']) expect(m.bodies(id), id).toEqual(['a1']);
    for (const [from, to] of [
      ['a', 'b'],
      ['b', 'a'],
      ['c', 'a'],
    ] as const)
      m.setCut(from, to, false);
    m.run();
    for (const id of ['a', 'b', 'c']) expect(m.engine(id).view?.viewId, id).toBe(3);
    expect(m.bodies('b')).toEqual(m.bodies('a'));
    expect(m.orders('b')).toEqual(m.orders('a'));
    expect(m.bodies('c')).toEqual(m.bodies('a'));
  });

  it('open: a view that does not name the flush has each deliver its own resolution (S4)', () => {
    const m = race();
    m.installView(makeView(3, ['a', 'b', 'c'], [['d', 'failed']]), ['a', 'b']);
    expect(m.bodies('a')).toContain('ghost');
    expect(m.bodies('b')).not.toContain('ghost');
  });
});
