import { describe, expect, it } from 'vitest';
import { HWM_INTERVAL_MS } from '../src/ordering/group-engine.ts';
import { EngineMesh } from '../src/ordering/testing/engine-mesh.ts';

describe('link repair and stability', () => {
  it('fifo: after a link loses frames, the high-water marks exchanged on reconnect resend the gap', () => {
    const m = EngineMesh.started('fifo', ['a', 'b']);
    m.send('a', 'a1');
    m.run();
    m.send('a', 'a2');
    m.send('a', 'a3');
    expect(m.lose('a', 'b')).toBe(2);
    m.send('a', 'a4'); // arrives, but must wait for a2 and a3
    m.run();
    expect(m.bodies('b')).toEqual(['a1']);
    m.linkUp('a', 'b');
    m.run();
    expect(m.bodies('b')).toEqual(['a1', 'a2', 'a3', 'a4']);
    m.linkUp('a', 'b'); // a second exchange resends nothing b lacks and changes no log
    m.run();
    expect(m.bodies('b')).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(m.rejections).toEqual([]);
  });

  it('total: lost proposals and a lost FINAL are resent after reconnect and the logs converge', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    m.send('a', 'a1');
    m.step('a', 'b');
    m.step('a', 'c');
    m.lose('b', 'a'); // b's PROPOSE is lost
    m.run();
    expect(m.bodies('a')).toEqual([]);
    m.linkUp('a', 'b');
    m.run();
    expect(m.bodies('a')).toEqual(['a1']);
    m.send('c', 'c1');
    m.run();
    m.send('c', 'c2');
    m.step('c', 'a');
    m.step('c', 'b');
    m.step('a', 'c');
    m.step('b', 'c'); // c has every proposal and sends FINAL
    m.lose('c', 'b'); // the FINAL to b is lost
    m.run();
    expect(m.bodies('a')).toEqual(['a1', 'c1']); // a has c2's FINAL, and waits for b's echo of it
    expect(m.bodies('b')).toEqual(['a1', 'c1']);
    m.linkUp('b', 'c');
    m.run();
    expect(m.bodies('b')).toEqual(['a1', 'c1', 'c2']);
    expect(m.bodies('a')).toEqual(['a1', 'c1', 'c2']);
    expect(m.orders('b')).toEqual(m.orders('a'));
    expect(m.orders('c')).toEqual(m.orders('a'));
    expect(m.rejections).toEqual([]);
  });

  it('a sender forgets a message only when every member has delivered it', () => {
    const m = EngineMesh.started('total', ['a', 'b', 'c']);
    m.send('a', 'x');
    m.run();
    expect(m.engine('a').debugState().kept).toEqual(['g1/a:1']);
    m.tick('b', 10);
    m.run();
    expect(m.engine('a').debugState().kept).toEqual(['g1/a:1']); // c has not reported yet
    m.tick('c', 10);
    m.run();
    expect(m.engine('a').debugState().kept).toEqual([]);
    // a tick soon after the last one does not announce again
    m.send('b', 'y');
    m.run();
    m.tick('b', 10 + HWM_INTERVAL_MS - 1);
    expect(m.pending('b', 'a')).toEqual([]);
    m.tick('b', 10 + HWM_INTERVAL_MS);
    expect(m.pending('b', 'a').map((f) => f.t)).toEqual(['hwm']);
    // once every member has announced its final counts, the group falls quiet
    for (const t of [5_000, 6_000]) for (const id of ['a', 'b', 'c']) m.tick(id, t);
    m.run();
    for (const id of ['a', 'b', 'c']) expect(m.engine(id).debugState().kept, id).toEqual([]);
    for (const id of ['a', 'b', 'c']) m.tick(id, 20_000);
    for (const from of ['a', 'b', 'c']) for (const to of ['a', 'b', 'c']) expect(m.pending(from, to)).toEqual([]);
  });

  it('a periodic announcement does not make the sender resend what is still in flight', () => {
    const m = EngineMesh.started('fifo', ['a', 'b']);
    m.send('a', 'a1');
    m.tick('b', 1); // b announces it has nothing from a, while a1 is still on its way
    m.step('b', 'a');
    expect(m.pending('a', 'b').map((f) => f.t)).toEqual(['data']); // only the original
  });
});
