import { describe, expect, it } from 'vitest';
import { mergeHistory, historyAfter } from '../src/history/history-sync.ts';
import { EngineMesh, makeView } from '../src/ordering/testing/engine-mesh.ts';
import { asPeerId } from '../src/ids.ts';
import { firstSponsor, oldMembersOf } from '../src/session/policy.ts';
import type { HistoryItem } from '../src/wire/frames.ts';

const items = (m: EngineMesh, id: string): HistoryItem[] =>
  (m.logs.get(id) ?? []).map((d) => ({ frame: d.frame, order: d.order }));

describe('joining a running group', () => {
  for (const mode of ['total', 'fifo'] as const) {
    it(`${mode}: the joiner adopts the sponsor state, gets the history, then takes part`, () => {
      const m = EngineMesh.started(mode, ['b', 'c']);
      m.send('b', 'b1');
      m.send('c', 'c1');
      m.run();
      const j = m.add('a');
      const v2 = makeView(2, ['a', 'b', 'c'], [['a', 'joined']]);
      // The joiner's first sponsor is one of the old members, as its order of sponsors names it.
      const sponsorId = firstSponsor(asPeerId('a'), oldMembersOf(v2, asPeerId('a'))) ?? 'none';
      expect(['b', 'c']).toContain(sponsorId);
      m.installView(v2);
      m.send('c', 'c2 while a waits for state'); // a keeps it until it has state
      m.run();
      expect(j.view?.viewId).toBe(2);
      expect(j.debugState().adopted).toBe(false);
      // FIFO delivers c2 at once; total order needs a's proposal first
      expect(new Set(m.bodies('b'))).toEqual(
        new Set(mode === 'fifo' ? ['b1', 'c1', 'c2 while a waits for state'] : ['b1', 'c1']),
      );

      // the sponsor hands over history and state in one step
      const sponsor = m.engine(sponsorId);
      const page = historyAfter(items(m, sponsorId), null);
      const state = sponsor.joinerState();
      const merged = mergeHistory([], page.items);
      expect(merged.rejected).toEqual([]);
      m.apply('a', j.adoptJoinerState(state));
      m.run();
      m.send('a', 'hello from a');
      m.run();

      const joinerLog = [...merged.log.map((i) => i.frame.body), ...m.bodies('a')];
      if (mode === 'total') {
        expect(joinerLog).toEqual(m.bodies('b'));
        expect(m.bodies('c')).toEqual(m.bodies('b'));
      } else {
        // FIFO promises per-sender order only: same set, each sender in order, nothing twice
        const perSender = (log: string[]): string[][] =>
          ['a', 'b', 'c'].map((s) => log.filter((x) => x.startsWith(s) || x.startsWith(`hello from ${s}`)));
        for (const log of [joinerLog, m.bodies('c')]) {
          expect([...log].sort()).toEqual([...m.bodies('b')].sort());
          expect(perSender(log)).toEqual(perSender(m.bodies('b')));
        }
      }
      expect(m.bodies('b')).toContain('hello from a');
      expect(m.bodies('b')).toContain('c2 while a waits for state');
      for (const id of ['a', 'b', 'c']) expect(m.engine(id).debugState().holdBackSize, id).toBe(0);
      expect(m.rejections).toEqual([]);
    });
  }

  it('a member that sends before it has state has its message delivered once it has', () => {
    const m = EngineMesh.started('total', ['b', 'c']);
    m.add('a');
    m.installView(makeView(2, ['a', 'b', 'c'], [['a', 'joined']]));
    m.run();
    m.send('a', 'early');
    m.run();
    expect(m.bodies('b')).toEqual([]);
    m.apply('a', m.engine('a').adoptJoinerState(m.engine('b').joinerState()));
    m.run();
    expect(m.bodies('b')).toEqual(['early']);
    expect(m.bodies('a')).toEqual(['early']);
  });

  it('the first member of a brand-new group starts from empty state and can send at once', () => {
    const m = new EngineMesh('total', ['solo']);
    m.installView(makeView(1, ['solo'], [['solo', 'joined']]));
    m.send('solo', 'first');
    expect(m.bodies('solo')).toEqual(['first']);
  });

  it('a joiner that gets a newer view before its state flushes as joining and adopts from the newer sponsor', () => {
    const m = EngineMesh.started('total', ['b', 'c']);
    m.send('b', 'before');
    m.run();
    const j = m.add('a');
    m.installView(makeView(2, ['a', 'b', 'c'], [['a', 'joined']]));
    m.run();
    m.send('c', 'in view 2'); // needs a's proposal, which a cannot make yet
    m.run();
    m.installView(makeView(3, ['a', 'b', 'c'])); // e.g. a tracker change; a is now a participant
    m.run();
    for (const id of ['a', 'b', 'c']) expect(m.engine(id).view?.viewId, id).toBe(3);
    expect(j.debugState().adopted).toBe(false);
    expect(m.bodies('b')).toEqual(['before', 'in view 2']); // resolved by the flush without a
    const history = m.logs.get('b')?.map((d) => ({ frame: d.frame, order: d.order })) ?? [];
    m.apply('a', j.adoptJoinerState(m.engine('b').joinerState()));
    m.send('a', 'hi');
    m.run();
    expect([...history.map((i) => i.frame.body), ...m.bodies('a')]).toEqual(m.bodies('b'));
    expect(m.bodies('c')).toEqual(m.bodies('b'));
  });

  it("a joiner carries its sponsor's view-change decision when the sponsor dies before the others saw it", () => {
    const m = EngineMesh.started('total', ['b', 'c', 'd']);
    m.send('d', 'orphan');
    m.step('d', 'b');
    m.step('d', 'c');
    m.crash('d'); // b and c proposed; nobody agreed
    const j = m.add('j');
    m.installView(
      makeView(
        2,
        ['b', 'c', 'j'],
        [
          ['d', 'failed'],
          ['j', 'joined'],
        ],
      ),
    );
    m.runHolding('b', 'c', (f) => f.t === 'flush-ok'); // c will never get b's FLUSH-OK
    m.setCut('b', 'c', true);
    m.run();
    expect(m.engine('b').view?.viewId).toBe(2);
    expect(m.engine('c').view?.viewId).toBe(1);
    expect(m.bodies('b')).toEqual(['orphan']);
    expect(m.bodies('c')).toEqual([]); // bound by its FLUSH-OK, but not installed yet
    const history = m.logs.get('b')?.map((d) => ({ frame: d.frame, order: d.order })) ?? [];
    m.apply('j', j.adoptJoinerState(m.engine('b').joinerState()));
    m.crash('b');
    m.installView(makeView(3, ['c', 'j'], [['b', 'failed']]));
    m.run();
    expect(m.bodies('c')).toEqual(['orphan']);
    expect(m.orders('c')).toEqual(history.map((i) => i.order)); // the order b decided, which j already stored
  });

  it('refuses joiner state for another view, and a second adoption', () => {
    const m = EngineMesh.started('total', ['b', 'c']);
    const j = m.add('a');
    m.installView(makeView(2, ['a', 'b', 'c'], [['a', 'joined']]));
    m.run();
    const state = m.engine('b').joinerState();
    const before = JSON.stringify(j.debugState());
    expect(j.adoptJoinerState({ ...state, viewId: 1 as typeof state.viewId })).toMatchObject({
      rejected: true,
      error: { code: 'old-view' },
    });
    expect(j.adoptJoinerState({ ...state, agreed: -1 })).toMatchObject({ rejected: true, error: { code: 'bad-type' } });
    expect(JSON.stringify(j.debugState())).toBe(before);
    j.adoptJoinerState(state);
    expect(j.adoptJoinerState(state)).toMatchObject({ rejected: true, fault: 'local', error: { code: 'bad-state' } });
  });
});
