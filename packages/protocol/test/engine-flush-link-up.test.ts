// A FLUSH sent while the sender's end of a channel was not yet open is lost
// (each end of a data channel opens on its own). If the flush completes at
// the sender before that end opens, its link-up is the only chance left to
// give the peer the FLUSH it still waits for.
import { describe, expect, it } from 'vitest';
import { EngineMesh, makeView } from '../src/ordering/testing/engine-mesh.ts';

describe('a FLUSH lost on a link that was not open yet', () => {
  it.each(['fifo', 'total'] as const)(
    '%s: nobody installs the view without it (FLUSH-OK round); the link-up sends it again and all install',
    (mode) => {
      const m = EngineMesh.started(mode, ['a', 'b', 'c']);
      m.installView(makeView(2, ['a', 'b', 'c']));
      expect(m.lose('a', 'c')).toBeGreaterThan(0); // a's FLUSH for view 2 never reaches c
      m.run();
      // c cannot send FLUSH-OK without a's FLUSH, so a and b wait too: no one is ahead of c.
      for (const id of ['a', 'b', 'c']) expect(m.engine(id).view?.viewId, id).toBe(1);
      m.linkUp('a', 'c');
      m.run();
      for (const id of ['a', 'b', 'c']) expect(m.engine(id).view?.viewId, id).toBe(2);
      m.send('c', 'after');
      m.run();
      for (const id of ['a', 'b', 'c']) expect(m.bodies(id)).toEqual(['after']);
    },
  );

  it.each(['fifo', 'total'] as const)(
    '%s: a FLUSH-OK lost after the others installed is sent again on link-up',
    (mode) => {
      const m = EngineMesh.started(mode, ['a', 'b', 'c']);
      m.installView(makeView(2, ['a', 'b', 'c']));
      m.run();
      for (const id of ['a', 'b', 'c']) expect(m.engine(id).view?.viewId, id).toBe(2);
      m.installView(makeView(3, ['a', 'b', 'c']));
      // Every FLUSH arrives; then a's FLUSH-OK to c is lost.
      m.runHolding('a', 'c', (f) => f.t === 'flush-ok');
      expect(m.pending('a', 'c').map((f) => f.t)).toEqual(['flush-ok']);
      m.setCut('a', 'c', true);
      m.run();
      expect(m.engine('a').view?.viewId).toBe(3);
      expect(m.engine('c').view?.viewId).toBe(2); // waits for a's FLUSH-OK
      m.setCut('a', 'c', false);
      m.lose('a', 'c');
      m.linkUp('a', 'c');
      m.run();
      expect(m.engine('c').view?.viewId).toBe(3);
    },
  );
});

describe('a joiner flushing for a newer view while it waits for state', () => {
  it.each(['fifo', 'total'] as const)(
    '%s: adopts state taken in that view and installs it without the FLUSH-OK it missed',
    (mode) => {
      const m = EngineMesh.started(mode, ['a', 'b']);
      m.send('a', 'before');
      m.run();
      m.add('j');
      m.add('k');
      m.installView(makeView(2, ['a', 'b', 'j'], [['j', 'joined']]), ['a', 'b', 'j']);
      m.run();
      m.installView(makeView(3, ['a', 'b', 'j', 'k'], [['k', 'joined']]));
      // Every FLUSH for view 3 arrives, then b's FLUSH-OK never reaches j.
      m.runHolding('b', 'j', (f) => f.t === 'flush-ok');
      expect(m.lose('b', 'j')).toBeGreaterThan(0);
      m.run();
      expect(m.engine('a').view?.viewId).toBe(3);
      expect(m.engine('j').view?.viewId).toBe(2);
      // State for view 2 is stale now, and state for a view j is not flushing for is refused.
      expect('rejected' in m.engine('j').adoptJoinerState({ ...m.engine('a').joinerState(), viewId: 4 as never })).toBe(
        true,
      );
      m.apply('j', m.engine('j').adoptJoinerState(m.engine('a').joinerState()));
      expect(m.engine('j').view?.viewId).toBe(3);
      m.apply('k', m.engine('k').adoptJoinerState(m.engine('a').joinerState()));
      m.send('j', 'from j');
      m.run();
      for (const id of ['a', 'b', 'j', 'k']) expect(m.bodies(id)).toContain('from j');
    },
  );
});
