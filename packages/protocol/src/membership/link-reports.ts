// Members report their data channels up or down; a pair down for longer than
// the link grace time loses its younger member, so a view stays a fully
// connected mesh. State: one `LinkDown` per pair, from the first report.
//
// Today one report is enough. Corroboration (issue 12: the other end or a
// majority must agree, never-opened links count as down, a liar is
// rate-limited then evicted) would record reporters per pair here and decide
// in `expireLink`; the drivers only schedule the check `linkCheck` asks for.

import type { GroupId, PeerId } from '../ids.ts';
import { err, ok } from '../result.ts';
import { isJoining, isMember, youngerOf } from './membership.ts';
import type { Membership } from './membership.ts';
import { unchanged } from './step.ts';
import type { Step } from './step.ts';
import { remove } from './view-changes.ts';

const pair = (x: PeerId, y: PeerId): { a: PeerId; b: PeerId } => (x < y ? { a: x, b: y } : { a: y, b: x });

/** A member says its channel to `peer` is up or down. Down starts the grace clock once per pair. */
export function reportLink(m: Membership, reporter: PeerId, peer: PeerId, state: 'up' | 'down', now: number): Step<null> {
  // A joiner's links are settled by links-ready or the join timeout, but its
  // mesh reports them like any other: accept and ignore rather than count bad input.
  if (isJoining(m, reporter)) return unchanged(ok(null));
  if (!isMember(m, reporter)) return unchanged(err('not-member', 'Only members of the group report links.'));
  if (reporter === peer) return unchanged(err('bad-state', 'A link needs two different peers.'));
  // A link to a session that is gone (or not yet in) is settled by the view change, not by eviction.
  if (!isMember(m, peer)) return unchanged(ok(null));
  const { a, b } = pair(reporter, peer);
  const existing = m.linksDown.find((l) => l.a === a && l.b === b);
  if (state === 'up') {
    if (existing === undefined) return unchanged(ok(null));
    return { next: { ...m, linksDown: m.linksDown.filter((l) => l !== existing) }, result: ok(null), effects: {} };
  }
  // Already down: keep the first `since`, but ask for a check again — the node
  // that scheduled the first one may have died with its timer.
  if (existing !== undefined) return unchanged(ok(null), { linkCheck: { a, b, since: existing.since } });
  return {
    next: { ...m, linksDown: [...m.linksDown, { a, b, since: now }] },
    result: ok(null),
    effects: { linkCheck: { a, b, since: now } },
  };
}

/** The grace time of a down link ran out: evict the younger of the two if it is still down. */
export function expireLink(groupId: GroupId, m: Membership, a: PeerId, b: PeerId, now: number, graceMs: number): Step<null> {
  const l = m.linksDown.find((x) => x.a === a && x.b === b);
  if (l === undefined || now - l.since < graceMs) return unchanged(ok(null));
  const younger = youngerOf(m, a, b);
  if (younger === null) return unchanged(ok(null));
  return remove(groupId, m, younger, 'evicted');
}
