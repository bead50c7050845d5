// Lamport poisoning (issue 12, finding 3): one validly signed DATA with a clock
// at the top of the safe-integer range would push every honest member's next
// draft past 2^53 and every receiver would refuse its frames. A clock beyond
// what an honest member can reach is refused as the sender's fault, the
// engine's state stays as it was, and the group goes on with small clocks.

import { describe, expect, it } from 'vitest';
import { asPeerId, asViewId } from '../src/ids.ts';
import { createEngine } from '../src/ordering/create-engine.ts';
import { MAX_LAMPORT_STEP, MAX_RESUME_LAMPORT, resumeLamport } from '../src/ordering/lamport.ts';
import { fifoOrderKey } from '../src/ordering/order-key.ts';
import { resumePoint } from '../src/ordering/resume-point.ts';
import { reportHash } from '../src/ordering/flush-agreement.ts';
import { EngineMesh, GROUP, makeView } from '../src/ordering/testing/engine-mesh.ts';
import type { DataFrame, EngineFrame, FlushFrame } from '../src/wire/frames.ts';

const c = asPeerId('c');
const v1 = asViewId(1);
const TOP = Number.MAX_SAFE_INTEGER;

const poisoned = (lamport: number, seq = 1): DataFrame => ({
  t: 'data',
  groupId: GROUP,
  viewId: v1,
  sender: c,
  seq,
  lamport,
  sentAt: 1,
  body: 'clock bomb',
  sig: `sig:c:${seq}:bomb`,
});

const expectRefused = (m: EngineMesh, from: string, to: string, frame: EngineFrame): void => {
  const before = JSON.stringify(m.engine(to).debugState());
  const r = m.deliverFrame(from, to, frame);
  expect(r).toMatchObject({ rejected: true, fault: 'remote', error: { code: 'too-large' } });
  expect(JSON.stringify(m.engine(to).debugState())).toBe(before);
};

const lamports = (m: EngineMesh, id: string): number[] => m.orders(id).map((o) => Number(o.split(':')[0]));

describe('lamport ceiling', () => {
  for (const mode of ['fifo', 'total'] as const) {
    it(`${mode}: a DATA at lamport 2^53 - 1 is refused at every member; later clocks stay small and honest frames flow`, () => {
      const m = EngineMesh.started(mode, ['a', 'b', 'c']);
      m.send('a', 'a1');
      m.run();
      expectRefused(m, 'c', 'a', poisoned(TOP));
      expectRefused(m, 'c', 'b', poisoned(TOP));
      m.send('a', 'a2');
      m.send('b', 'b1');
      m.send('c', 'c1');
      m.run();
      expect(m.rejections).toEqual([]);
      for (const id of ['a', 'b', 'c']) {
        expect(m.bodies(id), id).toHaveLength(4);
        expect(m.engine(id).debugState().lamport, id).toBeLessThan(10);
        if (mode === 'fifo') for (const l of lamports(m, id)) expect(l).toBeLessThan(10);
      }
    });
  }

  it('a clock exactly MAX_LAMPORT_STEP ahead is an honest member far ahead: delivered, and the group goes on above it', () => {
    const m = EngineMesh.started('fifo', ['a', 'b', 'c']);
    const ahead = m.engine('a').debugState().lamport + MAX_LAMPORT_STEP;
    for (const to of ['a', 'b']) expect(m.deliverFrame('c', to, poisoned(ahead))).not.toHaveProperty('rejected');
    expect(m.bodies('a')).toEqual(['clock bomb']);
    m.send('a', 'after');
    m.run();
    expect(lamports(m, 'b')).toEqual([ahead, ahead + 1]);
    // c's own engine never drafted the hand-made frame, so its clock is still low: only a and b count here.
    expect(m.rejections.filter((r) => r.at !== 'c')).toEqual([]);
  });

  it("a FLUSH report past this member's lamport ceiling is taken, not refused: members' ceilings differ (a joiner has none)", () => {
    // Refused at some participants and held by others, a report splits the flush and the view waits while its
    // reporter stays (hostile seed 1861832018). Taking it moves no clock; delivering what it carries moves one a step.
    const m = EngineMesh.started('fifo', ['a', 'b', 'c']);
    m.send('a', 'a1');
    m.run();
    m.installView(makeView(2, ['a', 'b', 'c']));
    const honest = m.take('c', 'b').find((f): f is FlushFrame => f.t === 'flush');
    if (honest === undefined) throw new Error('c sent no FLUSH to b');
    const tampered = { ...honest, unstable: [...honest.unstable, poisoned(TOP, 1)] };
    // Signed as what c reports (the engine checks the restated hash; signatures are the runtime's).
    expect(m.deliverFrame('c', 'b', { ...tampered, report: reportHash(tampered) })).not.toHaveProperty('rejected');
    expect(m.engine('b').debugState().lamport).toBeLessThan(10);
  });

  it('a joiner takes the group clock from the unstable messages it is handed', () => {
    const m = EngineMesh.started('fifo', ['a', 'b']);
    m.send('a', 'a1');
    m.send('a', 'a2');
    m.run();
    m.add('j');
    m.installView(makeView(2, ['a', 'b', 'j'], [['j', 'joined']]));
    m.run();
    const state = m.engine('a').joinerState();
    expect(state.unstable?.length).toBeGreaterThan(0);
    m.apply('j', m.engine('j').adoptJoinerState(state));
    expect(m.engine('j').debugState().lamport).toBe(2);
  });
});

describe('resume point on reload', () => {
  it('a stored order key above MAX_RESUME_LAMPORT is not believed: the stored count stands in', () => {
    expect(resumeLamport(41, 50)).toBe(41);
    expect(resumeLamport(MAX_RESUME_LAMPORT, 50)).toBe(MAX_RESUME_LAMPORT);
    expect(resumeLamport(TOP, 50)).toBe(50);
    expect(resumeLamport(Number.NaN, 7)).toBe(7);
  });

  it('a FIFO store whose newest order key is at 2^53 - 1 resumes at its stored count; the engine made from it is created', () => {
    const facts = { nextSeq: { c: 4 }, lastOrder: fifoOrderKey(TOP, asPeerId('m'), 1), count: 12 };
    const point = resumePoint(facts, c, 'fifo');
    expect(point).toMatchObject({ ownSeq: 3, lamport: 12 });
    expect(() => createEngine({ mode: 'fifo', self: c, groupId: GROUP, resume: point! })).not.toThrow();
  });

  it('createEngine refuses a resume clock above MAX_RESUME_LAMPORT (a caller that skipped resumeLamport)', () => {
    const resume = { ownSeq: 1, lamport: TOP, agreed: 0 };
    expect(() => createEngine({ mode: 'fifo', self: c, groupId: GROUP, resume })).toThrow(RangeError);
  });
});
