// A joiner is a member once the newest history page and the state are in, and
// takes its older pages while it sends and receives live messages (PROTOCOL.md
// §4, "the joiner usable before its old pages finish").
import { describe, expect, it } from 'vitest';
import { asPeerId } from '../src/ids.ts';
import { HISTORY_RETRY_MS, TICK_MS } from '../src/session/policy.ts';
import { CoreMesh, type InFlight } from '../src/session/testing/core-mesh.ts';
import { joinerAsking } from '../src/session/testing/sponsor-pick.ts';
import type { HistoryResponseFrame } from '../src/wire/frames.ts';

const founded = (mode: 'fifo' | 'total', founder: string, n: number): CoreMesh => {
  const m = new CoreMesh(mode);
  m.add(founder);
  m.view(1, [founder], [[founder, 'joined']]);
  for (let i = 1; i <= n; i += 1) m.send(founder, `m${i}`);
  m.deliver();
  return m;
};

/** Pages from `from` to `to` without a state (the older ones) are kept back, to be let go by the test. */
const keepOlderPages = (m: CoreMesh, from: string, to: string): InFlight[] => {
  const kept: InFlight[] = [];
  m.drop = (f) => {
    if (f.frame.t !== 'history-res' || f.from !== from || f.to !== to || f.frame.state !== undefined) return false;
    kept.push(f);
    return true;
  };
  return kept;
};

const letGo = (m: CoreMesh, kept: InFlight[]): void => {
  m.drop = null;
  for (const f of kept.splice(0))
    m.run(m.node(f.to), (c) => c.receive(asPeerId(f.from), f.frame as HistoryResponseFrame, m.now));
  m.deliver();
};

describe('SessionCore: a joiner backfills its older pages as a member', () => {
  for (const mode of ['total', 'fifo'] as const) {
    it(`${mode}: sends and receives live messages before its older pages come, then holds the whole history in order`, () => {
      const m = founded(mode, 'p1', 450);
      const p1 = m.node('p1');
      const kept = keepOlderPages(m, 'p1', 'p2');
      const p2 = m.add('p2');
      m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
      m.deliver();
      // The newest 200 messages and the state: a member, its older pages asked for and not here yet.
      expect(p2.phase).toBe('member');
      expect(p2.core.backfilling).toBe(true);
      expect(p2.storeAtMember).toBe(200);
      expect(p2.storedBodies()).toEqual(p1.storedBodies().slice(250));
      expect(kept).toHaveLength(1);

      m.send('p2', 'hello from p2');
      m.send('p1', 'welcome');
      m.deliver();
      m.advance(3 * TICK_MS);
      expect(p1.storedBodies()).toEqual(expect.arrayContaining(['hello from p2', 'welcome']));
      expect(p2.storedBodies()).toEqual(expect.arrayContaining(['hello from p2', 'welcome']));
      expect(p2.core.backfilling).toBe(true);
      // No floor is derived from the holes its older pages will fill.
      expect(p2.core.groupRecord()?.floors).toBeUndefined();

      letGo(m, kept);
      m.advance(3 * TICK_MS);
      expect(p2.core.backfilling).toBe(false);
      expect(p2.storedBodies()).toEqual(p1.storedBodies());
      expect(p2.store.size).toBe(452);
      expect(p2.shownBodies()).toEqual(p1.shownBodies());
      expect(m.count('history-req', 'p2', 'p1')).toBe(3); // newest 200, then 200 and 50 older
      expect(p2.core.groupRecord()?.floors).toBeUndefined();
      expect(p2.problems.filter((p) => p.remote)).toEqual([]);
      expect(p1.problems.filter((p) => p.remote)).toEqual([]);
    });
  }

  it('a member still backfilling answers no joiner; the joiner turns to the next old member', () => {
    // a0 joins first and backfills from p1; then a joiner whose order of sponsors puts a0 first asks a0.
    const j = joinerAsking('a0', ['a0', 'p1']);
    const m = founded('total', 'p1', 450);
    const kept = keepOlderPages(m, 'p1', 'a0');
    const a0 = m.add('a0');
    m.view(2, ['a0', 'p1'], [['a0', 'joined']]);
    m.deliver();
    expect(a0.core.backfilling).toBe(true);
    const p3 = m.add(j);
    m.view(3, ['a0', 'p1', j], [[j, 'joined']]);
    m.deliver();
    expect(m.count('history-req', j, 'a0')).toBe(1);
    m.advance(HISTORY_RETRY_MS + 5 * TICK_MS);
    expect(m.count('history-res', 'a0', j)).toBe(0);
    expect(m.count('history-req', j, 'p1')).toBeGreaterThan(0);
    expect(p3.phase).toBe('member');
    expect(p3.core.backfilling).toBe(false);
    expect(p3.storedBodies()).toEqual(m.node('p1').storedBodies());
    letGo(m, kept);
    m.advance(3 * TICK_MS);
    expect(a0.core.backfilling).toBe(false);
    expect(a0.storedBodies()).toEqual(m.node('p1').storedBodies());
  });

  it('a backfill whose sponsor leaves with no other old member ends incomplete and says so; the newest page stays', () => {
    const m = founded('fifo', 'p1', 450);
    const kept = keepOlderPages(m, 'p1', 'p2');
    const p2 = m.add('p2');
    m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
    m.deliver();
    expect(p2.core.backfilling).toBe(true);
    expect(p2.core.olderHistory()).toBe('arriving');
    const newest = p2.storedBodies();
    m.view(3, ['p2'], [['p1', 'left']]);
    m.deliver();
    m.advance(3 * TICK_MS);
    expect(kept).toHaveLength(1);
    expect(p2.phase).toBe('member');
    expect(p2.core.backfilling).toBe(false);
    expect(p2.core.olderHistory()).toBe('missing');
    expect(p2.storedBodies()).toEqual(newest);
    expect(newest).toHaveLength(200);
  });

  it('a backfill that takes its last page is not missing anything', () => {
    const m = founded('fifo', 'p1', 450);
    const kept = keepOlderPages(m, 'p1', 'p2');
    const p2 = m.add('p2');
    m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
    m.deliver();
    letGo(m, kept);
    m.advance(3 * TICK_MS);
    expect(p2.core.backfilling).toBe(false);
    expect(p2.core.olderHistory()).toBeNull();
    expect(p2.store.size).toBe(450);
  });

  it('fifo: a joiner of a quiet group sends after the history it shows, not above it', () => {
    // Nothing unstable is handed (a quiet group), so the clock comes from the history shown.
    const m = founded('fifo', 'p1', 450);
    const p2 = m.add('p2');
    m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
    m.deliver();
    m.advance(3 * TICK_MS);
    expect(p2.core.backfilling).toBe(false);
    m.send('p2', 'hello from p2');
    m.deliver();
    for (const node of [m.node('p1'), p2]) {
      expect(node.storedBodies().at(-1)).toBe('hello from p2');
      expect(node.storedBodies()).toHaveLength(451);
    }
  });

  for (const mode of ['total', 'fifo'] as const)
    it(`${mode}: each older page is stored and shown as it comes, not held until the oldest`, () => {
      const m = founded(mode, 'p1', 650);
      const kept = keepOlderPages(m, 'p1', 'p2');
      const p2 = m.add('p2');
      m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
      m.deliver();
      const sizes = [p2.store.size];
      while (kept.length > 0) {
        const f = kept.shift()!;
        m.run(m.node(f.to), (c) => c.receive(asPeerId(f.from), f.frame as HistoryResponseFrame, m.now));
        m.deliver();
        sizes.push(p2.store.size);
      }
      expect(sizes).toEqual([200, 400, 600, 650]);
      expect(p2.core.backfilling).toBe(false);
      expect(p2.storedBodies()).toEqual(m.node('p1').storedBodies());
      expect(p2.shownBodies()).toEqual(m.node('p1').shownBodies());
      expect(p2.problems.filter((p) => p.remote)).toEqual([]);
    });
});
