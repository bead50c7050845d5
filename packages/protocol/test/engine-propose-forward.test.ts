// Forwarded proposals (PROTOCOL.md §3.3 "Forwarded proposals", §7.2; issue 12): a member that withholds its
// PROPOSE from one sender only, while it copies it to everyone else, no longer gets that sender reported
// `stalled` by everyone else. The others, holding every copy but no FINAL, forward the copies to the sender,
// which finalizes on them when every member but the proposer forwarded one.

import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId } from '../src/ids.ts';
import { EngineMesh } from '../src/ordering/testing/engine-mesh.ts';
import { parseFrame } from '../src/wire/parse-frame.ts';
import type { EngineFrame, ProposeFrame } from '../src/wire/frames.ts';

const WAIT = 1000;
const overdue = (m: EngineMesh, id: string, now: number) => m.engine(id).agreementOverdue(now, WAIT);

/** Drain every link, but `liar` never gets a PROPOSE (its own or a copy) through to `victim`. */
const runWithholding = (m: EngineMesh, liar: string, victim: string): void => {
  m.setCut(liar, victim, true);
  for (let round = 0; round < 100; round++) {
    m.run();
    const held = m.take(liar, victim).filter((f) => f.t !== 'propose');
    if (held.length === 0) return;
    for (const f of held) m.deliverFrame(liar, victim, f);
  }
  throw new Error('mesh did not settle');
};

/** Every member but the sender chases at `now` (half the bound): copies, and forwards when due. */
const chase = (m: EngineMesh, ids: readonly string[], now: number): void => {
  for (const id of ids) m.apply(id, m.engine(id).chaseAgreement(now, WAIT));
};

/** The members that report `who` stalled at `now` (the tracker evicts on more than half of the others). */
const blaming = (m: EngineMesh, who: string, now: number): string[] =>
  [...m.engines.keys()].filter((id) => overdue(m, id, now).includes(asPeerId(who)));

const forwarded = (m: EngineMesh, from: string, to: string): ProposeFrame[] =>
  m.pending(from, to).filter((f): f is ProposeFrame => f.t === 'propose' && f.forwarded === true);

/** A forwarded proposal of `by` for a's first message at p = 1, made up (by a hostile forwarder). */
const madeUpLow = (m: EngineMesh, by: string): EngineFrame => ({
  t: 'propose',
  groupId: m.engine('a').groupId,
  viewId: m.engine('a').view!.viewId,
  sender: asPeerId('a'),
  seq: 1,
  priority: { p: 1, by: asPeerId(by) },
  forwarded: true,
});

describe('forwarded proposals', () => {
  it('a member that withholds its PROPOSE from one sender only does not get it reported: all deliver', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c', 'l']);
    m.send('a', 'hello');
    runWithholding(m, 'l', 'a');
    expect(m.bodies('a')).toEqual([]);
    const t0 = m.now;
    chase(m, ['b', 'c', 'l'], t0 + WAIT / 2);
    runWithholding(m, 'l', 'a');
    for (const id of ['a', 'b', 'c', 'l']) expect(m.bodies(id), id).toEqual(['hello']);
    for (const id of ['b', 'c', 'l']) expect(m.orders(id), id).toEqual(m.orders('a'));
    // Before forwarding, b and c (who heard every copy) and l reported a: three of its three others.
    expect(blaming(m, 'a', t0 + WAIT + 10)).toEqual([]);
    expect(m.rejections).toEqual([]);
  });

  it("the sender finalizes at the liar's own copy: the FINAL is what an honest ISIS would agree", () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c', 'l']);
    m.send('a', 'x');
    runWithholding(m, 'l', 'a');
    const lProposal = m.engine('l').debugState().queue[0];
    chase(m, ['b', 'c', 'l'], m.now + WAIT / 2);
    runWithholding(m, 'l', 'a');
    const agreed = m.orders('a')[0];
    // The largest proposal wins; l's (admitted last or not) took part exactly as l made it.
    expect(lProposal).toBeDefined();
    expect(m.engine('a').debugState().agreedMax).toBeGreaterThanOrEqual(lProposal?.p ?? Infinity);
    expect(agreed).toBeDefined();
  });

  it('in a view of three nothing is forwarded (one forwarder cannot be checked): the sender is still blamed', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'l']);
    m.send('a', 'hello');
    runWithholding(m, 'l', 'a');
    const t0 = m.now;
    chase(m, ['b', 'l'], t0 + WAIT / 2);
    expect(forwarded(m, 'b', 'a')).toEqual([]);
    runWithholding(m, 'l', 'a');
    expect(m.bodies('b')).toEqual([]);
    // §7.2 "Can, still": the others of a (b and l) both report it.
    expect(blaming(m, 'a', t0 + WAIT + 10)).toEqual(['b', 'l']);
  });

  it("one forwarder's made-up low proposal for a member whose PROPOSE is late is not enough: the FINAL waits for it", () => {
    const m = EngineMesh.started('total', ['a', 'b', 'z', 'h']);
    // z has the largest id: on equal numbers its proposal is the largest, the one the FINAL must not go below.
    m.send('z', 'warm-up');
    m.run();
    m.send('a', 'hello');
    m.setCut('z', 'a', true); // z's PROPOSE to a is late
    m.run();
    const r = m.deliverFrame('h', 'a', madeUpLow(m, 'z'));
    expect('rejected' in r).toBe(false);
    m.run();
    // Only h forwarded: a still lacks z's proposal and finalizes nothing.
    expect(m.bodies('a')).toEqual(['warm-up']);
    m.setCut('z', 'a', false);
    m.run();
    for (const id of ['a', 'b', 'z', 'h']) expect(m.bodies(id), id).toEqual(['warm-up', 'hello']);
    for (const id of ['b', 'z', 'h']) expect(m.orders(id), id).toEqual(m.orders('a'));
    expect(m.events.get('z')?.filter((e) => e.type === 'final-disputed')).toEqual([]);
  });

  it('with every forwarder in, the largest word is taken: a made-up low one cannot pull the FINAL below the real proposal', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'z', 'h']);
    m.send('z', 'warm-up');
    m.run();
    m.send('a', 'hello');
    m.setCut('z', 'a', true);
    m.run();
    const zProposed =
      m
        .engine('z')
        .debugState()
        .queue.find((q) => q.id.endsWith('/a:1'))?.p ?? Infinity;
    expect(zProposed).toBeGreaterThan(1);
    // h (hostile) forwards a made-up low proposal of z at once; then everyone copies at half the bound,
    // and b (holding every copy) forwards z's real one.
    expect('rejected' in m.deliverFrame('h', 'a', madeUpLow(m, 'z'))).toBe(false);
    chase(m, ['b', 'z', 'h'], m.now + WAIT / 2);
    m.run();
    // (h's own core forwards z's real copy too, once a has finalized: a late word, ignored.)
    expect(m.rejections).toEqual([]);
    expect(m.bodies('a')).toEqual(['warm-up', 'hello']);
    const agreed = Number((m.orders('a')[1] ?? '').split(':')[1]);
    expect(agreed).toBeGreaterThanOrEqual(zProposed);
    // z applied the FINAL (no objection): it is at least z's own proposal.
    expect(m.events.get('z')?.filter((e) => e.type === 'final-disputed')).toEqual([]);
    m.setCut('z', 'a', false);
    m.run();
    for (const id of ['b', 'z', 'h']) expect(m.bodies(id), id).toEqual(['warm-up', 'hello']);
    for (const id of ['b', 'z', 'h']) expect(m.orders(id), id).toEqual(m.orders('a'));
  });

  it('refuses a forwarded proposal sent to another than its sender, or naming its forwarder: state unchanged', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c', 'd']);
    m.send('a', 'hello');
    m.setCut('b', 'a', true);
    m.setCut('c', 'a', true);
    m.setCut('d', 'a', true);
    m.run();
    const before = m.engine('a').debugState();
    const base = {
      t: 'propose' as const,
      groupId: m.engine('a').groupId,
      viewId: m.engine('a').view!.viewId,
      sender: asPeerId('a'),
      seq: 1,
      forwarded: true as const,
    };
    const notSender = m.deliverFrame('c', 'b', { ...base, priority: { p: 3, by: asPeerId('d') } });
    expect('rejected' in notSender && notSender.error.code).toBe('bad-state');
    const own = m.deliverFrame('c', 'a', { ...base, priority: { p: 3, by: asPeerId('c') } });
    expect('rejected' in own && own.error.code).toBe('bad-state');
    const stranger = m.deliverFrame('c', 'a', { ...base, priority: { p: 3, by: asPeerId('z') } });
    expect('rejected' in stranger && stranger.error.code).toBe('not-member');
    const unsent = m.deliverFrame('c', 'a', { ...base, seq: 7, priority: { p: 3, by: asPeerId('d') } });
    expect('rejected' in unsent && unsent.error.code).toBe('not-found');
    expect(m.engine('a').debugState()).toEqual(before);
    const first = m.deliverFrame('c', 'a', { ...base, priority: { p: 3, by: asPeerId('d') } });
    expect('rejected' in first).toBe(false);
    const kept = m.engine('a').debugState();
    expect(Object.values(kept.ownForwarded)).toEqual([['c>3:d']]);
    const changed = m.deliverFrame('c', 'a', { ...base, priority: { p: 4, by: asPeerId('d') } });
    expect('rejected' in changed && changed.error.code).toBe('bad-state');
    expect(m.engine('a').debugState()).toEqual(kept);
    // The group still works once the links come back.
    for (const p of ['b', 'c', 'd']) m.setCut(p, 'a', false);
    m.run();
    for (const id of ['a', 'b', 'c', 'd']) expect(m.bodies(id), id).toEqual(['hello']);
  });

  it('on the wire: `forwarded` lets a PROPOSE name another proposer, and only then', () => {
    const ctx = { groupId: asGroupId('g1'), from: asPeerId('c') };
    const frame = { t: 'propose', groupId: 'g1', viewId: 1, sender: 'a', seq: 1, priority: { p: 3, by: 'd' } };
    expect(parseFrame(JSON.stringify(frame), ctx).ok).toBe(false);
    const fwd = parseFrame(JSON.stringify({ ...frame, forwarded: true }), ctx);
    expect(fwd.ok && fwd.value).toEqual({ ...frame, forwarded: true });
    const self = parseFrame(JSON.stringify({ ...frame, priority: { p: 3, by: 'c' }, forwarded: true }), ctx);
    expect(!self.ok && self.error.code).toBe('bad-state');
    const bad = parseFrame(JSON.stringify({ ...frame, forwarded: false }), ctx);
    expect(!bad.ok && bad.error.code).toBe('bad-type');
  });
});
