// `stalled` link reports (PROTOCOL.md §2 Links, "Stalled"): a member whose agreement input is overdue on an open
// channel. They evict only by majority (rule 1), a lone one proves false like a down report (rule 3), and two ends
// that call each other stalled are never settled by rule 2.

import { describe, expect, it } from 'vitest';
import * as m from '../src/membership/index.ts';
import { expire, G, GRACE, groupOf, ids, must, PEERS, say, who } from './membership-fixtures.ts';

const [A, B, C, D] = [PEERS[0]!, PEERS[1]!, PEERS[2]!, PEERS[3]!];

describe('stalled reports', () => {
  it('count over the other members: two of three evict, one of one in a view of two never does', () => {
    // A member that withholds only its echoes is seen by every member but the sender: two of the three others.
    const s = say(groupOf(A, B, C, D), 5, 'stalled', [B, D], [C, D]);
    expect(expire(s, B, D, 5 + GRACE).effects.removed).toEqual([{ peerId: D, reason: 'evicted' }]);
    // Two members down-reporting one of four is still no majority (rule 1 for links is unchanged).
    expect(
      expire(say(groupOf(A, B, C, D), 5, 'down', [B, D], [C, D]), B, D, 5 + GRACE).effects.removed,
    ).toBeUndefined();
    let two = say(groupOf(A, B), 1, 'stalled', [A, B]);
    for (let k = 1; k <= 4; k++) {
      const step = expire(two, A, B, 1 + k * GRACE);
      expect(step.effects.removed).toBeUndefined();
      two = step.next!;
    }
  });

  it('evict the member more than half of the view reports stalled (a mute member)', () => {
    const s = say(groupOf(A, B, C, D), 5, 'stalled', [A, D], [B, D], [C, D]);
    const step = expire(s, A, D, 5 + GRACE);
    expect(step.effects.removed).toEqual([{ peerId: D, reason: 'evicted' }]);
    expect(ids(step.effects.view?.members)).toEqual([A, B, C]);
    // Stalled and down reports add up: the link does not work either way.
    const mixed = say(say(groupOf(A, B, C), 5, 'stalled', [A, C]), 6, 'down', [B, C]);
    expect(expire(mixed, A, C, 5 + GRACE).effects.removed).toEqual([{ peerId: C, reason: 'evicted' }]);
  });

  it("never evict on one member's word, and a lone one is never marked false (the accused may owe it alone)", () => {
    let s = say(groupOf(A, B, C), 100, 'stalled', [C, A]);
    for (const k of [1, 2, 3, 4]) {
      const step = expire(s, A, C, 100 + k * GRACE);
      expect(step.effects.removed).toBeUndefined();
      expect(step.effects.falseReport).toBeUndefined();
      expect(step.effects.linkCheck).toEqual({ a: A, b: C, since: 100 + k * GRACE });
      s = step.next!;
    }
    // And one member may hold only one claim nobody shares, stalled or down.
    const limited = m.reportLink(G, say(groupOf(A, B, C, D), 1, 'stalled', [A, C]), A, D, 'stalled', 2);
    expect(limited.result.ok ? null : limited.result.error.code).toBe('rate-limited');
  });

  it('are no rule 2: two ends that call each other stalled are settled by the others only', () => {
    let s = say(groupOf(A, B, C), 1, 'stalled', [A, C], [C, A]);
    let step = expire(s, A, C, 1 + GRACE);
    expect(step.effects.removed).toBeUndefined();
    expect(step.effects.falseReport).toBeUndefined();
    // A stalled end against a down one is no rule 2 either.
    const half = say(say(groupOf(A, B, C), 1, 'stalled', [A, C]), 1, 'down', [C, A]);
    expect(expire(half, A, C, 1 + GRACE).effects.removed).toBeUndefined();
    // The third member agrees with A: C is out.
    s = say(step.next!, 2, 'stalled', [B, C]);
    step = expire(s, A, C, 1 + 2 * GRACE);
    expect(step.effects.removed).toEqual([{ peerId: C, reason: 'evicted' }]);
  });

  it('give way to a down report of the same end (then rule 2 holds), and are withdrawn by up', () => {
    let s = say(groupOf(A, B, C), 1, 'stalled', [A, C]);
    s = say(s, 2, 'down', [A, C], [C, A]);
    expect(s.linksDown.find((l) => l.a === A && l.b === C)?.stalled).toBeUndefined();
    expect(expire(s, A, C, 1 + GRACE).effects.removed).toEqual([{ peerId: C, reason: 'evicted' }]);
    // A stalled report from an end that said down changes nothing; up withdraws a stalled claim.
    const again = m.reportLink(G, s, A, C, 'stalled', 3);
    expect(again.next).toBeNull();
    s = say(groupOf(A, B, C), 1, 'stalled', [A, C]);
    s = say(s, 2, 'up', [A, C]);
    expect(s.linksDown).toEqual([]);
  });

  it('about a joiner neither confirm nor withdraw it (it owes no agreement input yet)', () => {
    let s = must(m.join(G, groupOf(A, B), who(C), 0)).s;
    s = say(s, 1, 'up', [A, C]);
    const stalled = m.reportLink(G, s, A, C, 'stalled', 2);
    expect(stalled.result.ok).toBe(true);
    expect(stalled.next).toBeNull();
    s = say(s, 3, 'up', [B, C]);
    expect(ids(must(m.linksReady(G, s, C)).s.members)).toEqual([A, B, C]);
  });
});
