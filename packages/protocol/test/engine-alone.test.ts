// A member alone in its view: what it delivers is stable at once, so a long
// monologue does not pile up in the resend buffer that the next FLUSH and the
// hand-over state to a joiner carry (found by bench/tools/flush-size.ts: 5 000
// lone messages made the state exceed the frame cap and no joiner could join).

import { describe, expect, it } from 'vitest';
import { EngineMesh, makeView } from '../src/ordering/testing/engine-mesh.ts';

describe('a member alone in its view', () => {
  for (const mode of ['total', 'fifo'] as const) {
    it(`${mode}: keeps nothing for resending, and a joiner then gets a small state and takes part`, () => {
      const m = EngineMesh.started(mode, ['a']);
      for (let i = 0; i < 500; i++) m.send('a', `monologue ${i}`);
      m.run();
      expect(m.bodies('a')).toHaveLength(500);
      expect(m.engine('a').joinerState().unstable ?? []).toEqual([]);

      m.add('b');
      m.installView(makeView(2, ['a', 'b'], [['b', 'joined']]));
      m.run();
      m.apply('b', m.engine('b').adoptJoinerState(m.engine('a').joinerState()));
      m.send('b', 'hello');
      m.send('a', 'welcome');
      m.run();
      expect(m.bodies('b').sort()).toEqual(['hello', 'welcome']);
      expect(m.bodies('a').slice(500).sort()).toEqual(['hello', 'welcome']);
      expect(m.rejections).toEqual([]);
    });
  }
});
