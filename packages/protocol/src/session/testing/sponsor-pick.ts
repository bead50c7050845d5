// Test ids chosen through the shipped order of sponsors (policy.ts `sponsorOrder`): a test that needs
// a given old member to be a joiner's first sponsor names the joiner so, never copying the rule.

import { asPeerId, type PeerId } from '../../ids.ts';
import { sponsorOrder } from '../policy.ts';

/**
 * The first of `base`1, `base`2, … (other than an old member) whose order of sponsors among
 * `oldMembers` starts with `sponsors` (the first one, or the first few in that order). Throws past
 * 10 000 tries (never with a few members).
 */
export const joinerAsking = (
  sponsors: string | readonly string[],
  oldMembers: Iterable<string>,
  base = 'j',
): PeerId => {
  const want = typeof sponsors === 'string' ? [sponsors] : sponsors;
  const old = [...oldMembers].map(asPeerId);
  for (let n = 1; n <= 10_000; n++) {
    const joiner = asPeerId(`${base}${n}`);
    if (old.includes(joiner)) continue;
    const order = sponsorOrder(joiner, old);
    if (want.every((p, i) => order[i] === p)) return joiner;
  }
  throw new Error(`No joiner ${base}<n> asks ${want.join(', ')} first among ${old.join(', ')}`);
};
