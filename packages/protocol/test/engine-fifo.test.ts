import { describe, expect, it } from 'vitest';
import { EngineMesh } from '../src/ordering/testing/engine-mesh.ts';
import type { DataFrame } from '../src/wire/frames.ts';

const snapshot = (m: EngineMesh, id: string): string => JSON.stringify(m.engine(id).debugState());
/** The same without `clock`: an accepted input records its time even when it changes nothing else. */
const untimed = (m: EngineMesh, id: string): string => JSON.stringify({ ...m.engine(id).debugState(), clock: null });

describe('FIFO engine', () => {
  it('holds back messages that arrive ahead of their turn and delivers them in send order', () => {
    const m = EngineMesh.started('fifo', ['a', 'b']);
    m.send('a', 'one');
    m.send('a', 'two');
    m.send('a', 'three');
    expect(m.bodies('a')).toEqual(['one', 'two', 'three']); // a sender sees its own message at once
    const [one, two, three] = m.take('a', 'b') as [DataFrame, DataFrame, DataFrame];
    m.deliverFrame('a', 'b', three);
    m.deliverFrame('a', 'b', two);
    expect(m.bodies('b')).toEqual([]);
    expect(m.engine('b').debugState().senders['a']?.held).toEqual([2, 3]);
    m.deliverFrame('a', 'b', one);
    expect(m.bodies('b')).toEqual(['one', 'two', 'three']);
    expect(m.engine('b').debugState().holdBackSize).toBe(0);
    expect(m.orders('b')).toEqual(m.orders('a'));
  });

  it('takes a duplicate of a recent message as a no-op and refuses a replay, staying as it was', () => {
    const m = EngineMesh.started('fifo', ['a', 'b']);
    const first = m.send('a', 'hello');
    m.run();
    const untimedBefore = untimed(m, 'b');
    expect(m.deliverFrame('a', 'b', first)).toMatchObject({ deliveries: [], frames: [] }); // a resend racing the original
    expect(untimed(m, 'b')).toBe(untimedBefore);
    let before = snapshot(m, 'b');
    expect(m.deliverFrame('a', 'b', { ...first, sig: 'other' })).toMatchObject({
      rejected: true,
      fault: 'remote',
      error: { code: 'replay' },
    });
    expect(snapshot(m, 'b')).toBe(before);
    m.tick('a', 5); // both announce delivered counts: the message becomes stable and is forgotten
    m.tick('b', 5);
    m.run();
    expect(m.engine('b').debugState().kept).toEqual([]);
    before = snapshot(m, 'b');
    expect(m.deliverFrame('a', 'b', first)).toMatchObject({
      rejected: true,
      fault: 'remote',
      error: { code: 'replay' },
    });
    expect(snapshot(m, 'b')).toBe(before);
    expect(m.bodies('b')).toEqual(['hello']);
  });

  it('keeps each sender in order with three members sending at once, and a reply sorts after what it answers', () => {
    const m = EngineMesh.started('fifo', ['a', 'b', 'c']);
    for (let i = 1; i <= 4; i++) for (const id of ['a', 'b', 'c']) m.send(id, `${id}${i}`);
    m.run();
    m.send('c', 'reply');
    m.run();
    for (const id of ['a', 'b', 'c']) {
      const log = m.bodies(id);
      expect(log).toHaveLength(13);
      for (const s of ['a', 'b', 'c'])
        expect(log.filter((b) => b.startsWith(s))).toEqual([1, 2, 3, 4].map((i) => `${s}${i}`));
      const keyed = (m.logs.get(id) ?? []).map((d) => [d.order, d.frame.body] as const);
      const sorted = [...keyed].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map((x) => x[1]);
      expect(sorted.at(-1)).toBe('reply');
    }
    // the same message has the same order key everywhere (the history merge relies on it)
    const keyOf = (id: string): Map<string, string> => new Map((m.logs.get(id) ?? []).map((d) => [d.id, d.order]));
    expect(keyOf('b')).toEqual(keyOf('a'));
    expect(keyOf('c')).toEqual(keyOf('a'));
    expect(m.rejections).toEqual([]);
  });

  it('refuses DATA whose sender is not the peer it came from, or that comes from outside the view', () => {
    const m = EngineMesh.started('fifo', ['a', 'b', 'c']);
    const f = m.send('a', 'x');
    const before = snapshot(m, 'b');
    expect(m.deliverFrame('c', 'b', f)).toMatchObject({ rejected: true, error: { code: 'forged-sender' } });
    expect(m.deliverFrame('z', 'b', { ...f, sender: 'z' as DataFrame['sender'] })).toMatchObject({
      rejected: true,
      error: { code: 'not-member' },
    });
    expect(m.deliverFrame('a', 'b', { ...f, seq: 0 })).toMatchObject({ rejected: true, error: { code: 'bad-type' } });
    expect(m.deliverFrame('a', 'b', { ...f, seq: 50_000 })).toMatchObject({
      rejected: true,
      error: { code: 'too-many' },
    });
    expect(snapshot(m, 'b')).toBe(before);
  });
});
