// A FLUSH sent while the sender's end of a channel was not yet open is lost
// (each end of a data channel opens on its own). If the flush completes at
// the sender before that end opens, its link-up is the only chance left to
// give the peer the FLUSH it still waits for.
import { describe, expect, it } from 'vitest';
import { EngineMesh, makeView } from '../src/ordering/testing/engine-mesh.ts';

describe('a FLUSH lost on a link that was not open yet', () => {
  it.each(['fifo', 'total'] as const)('%s: is sent again when the link comes up after the view was installed, and the peer installs it', (mode) => {
    const m = EngineMesh.started(mode, ['a', 'b', 'c']);
    m.installView(makeView(2, ['a', 'b', 'c']));
    expect(m.lose('a', 'c')).toBeGreaterThan(0); // a's FLUSH for view 2 never reaches c
    m.run();
    expect(m.engine('a').view?.viewId).toBe(2);
    expect(m.engine('c').view?.viewId).toBe(1); // still waiting for a's FLUSH
    m.linkUp('a', 'c');
    m.run();
    expect(m.engine('c').view?.viewId).toBe(2);
    m.send('c', 'after');
    m.run();
    for (const id of ['a', 'b', 'c']) expect(m.bodies(id)).toEqual(['after']);
  });
});
