// Shared by the membership tests: a group built by the one model (src/membership/), step by step.

import { expect } from 'vitest';
import { asGroupId, asPeerId } from '@chorus/protocol';
import type { LinkReportState, PeerId } from '@chorus/protocol';
import * as m from '../src/membership/index.ts';
import type { Membership, Step } from '../src/membership/index.ts';

export const G = asGroupId('g1');
export const PEERS = ['pa', 'pb', 'pc', 'pd', 'pe'].map(asPeerId);
export const who = (p: PeerId) => ({ peerId: p, name: p.toUpperCase(), publicKey: 'k' });

/** Applies a step that must succeed and change the state. */
export function must<T>(step: Step<T>): { s: Membership; step: Step<T> } {
  expect(step.result.ok).toBe(true);
  expect(step.next).not.toBeNull();
  return { s: step.next!, step };
}

/** Every member says its link to the joiner `p` is up. */
export function confirm(s: Membership, p: PeerId): Membership {
  for (const x of s.members) s = m.reportLink(G, s, x.peerId, p, 'up', 0).next ?? s;
  return s;
}

/** A group whose members are `peers`, installed in that order (the first founds it). */
export function groupOf(...peers: PeerId[]): Membership {
  let s = m.emptyMembership();
  for (const p of peers) {
    s = must(m.join(G, s, who(p), 0)).s;
    if (m.isJoining(s, p)) s = must(m.linksReady(G, confirm(s, p), p)).s;
  }
  return s;
}

export const ids = (xs: readonly { readonly peerId: PeerId }[] | undefined): PeerId[] =>
  (xs ?? []).map((x) => x.peerId);

/** The link grace time of these tests. */
export const GRACE = 10;

/** Each `[x, y]`: x reports its link to y as `state`, at `now`. */
export function say(s: Membership, now: number, state: LinkReportState, ...pairs: [PeerId, PeerId][]): Membership {
  for (const [x, y] of pairs) s = must(m.reportLink(G, s, x, y, state, now)).s;
  return s;
}

/** The grace time of the pair x~y runs out at `now`: the link rules decide. */
export const expire = (s: Membership, x: PeerId, y: PeerId, now: number) => {
  const [a, b] = [x, y].sort() as [PeerId, PeerId];
  return m.expireLink(G, s, a, b, now, GRACE);
};
