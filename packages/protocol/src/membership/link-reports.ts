// Members report their data channels up or down (PROTOCOL.md §2 Links). No
// single report removes anyone: a down link costs a member its place only when
// it is corroborated, and a report that proves false costs its reporter.
//
// State: one `LinkDown` per pair with the ends whose latest report says down
// (`by`), and the recent false reports. When the link grace time after the
// first report (or the last verdict) has passed, `expireLink` decides:
//   1. a majority of the view says one end of the pair is down (more than half
//      of all members report their own link to it down): that end goes — it is
//      the one that cannot reach the others;
//   2. both ends say down: an honest broken link between two live members; the
//      younger goes, so the view stays a full mesh;
//   3. one end says down, the other does not, and the view has other members
//      and none of them says the accused is down (it keeps its links with the
//      others): the report is false. Its reporter gets a mark; with
//      `MAX_FALSE_REPORTS` marks inside the window it is evicted;
//   4. anything else (a view of two, or a minority of others agree): nobody
//      can tell who is right yet; nothing happens.
// In 3 and 4 the outage stays on record with its clock restarted, so a claim
// kept up is judged again every grace time.
// Rate limit: a member holds at most one down report nobody corroborates;
// another is refused (`rate-limited`) until the first is corroborated or
// withdrawn (`up`). So one liar accuses one member at a time, and each grace
// time its standing false claim earns a mark.
// `stalled` (PROTOCOL.md §2 Links, "Stalled"): the channel is open but the agreement input its far end owes
// (a total-order PROPOSE, ECHO or FINAL) is overdue. It is a down claim for rule 1 (counted over the other
// members, `majorityAgainst`) and the rate limit, never for rule 2 (two ends that call each other stalled are
// one liar and one honest member, and only the others can tell which), and rule 3 never marks it false (it
// may be owed to that reporter alone). A `down` from the same end replaces it; `up` withdraws either.
// Reports about a joiner are its confirmations (view-changes.ts): `up` from a
// member of its view counts towards installing it, `down` withdraws it.
// `relayed via X` (the pair's frames travel through member X, PROTOCOL.md
// §1.6) counts as `up` everywhere: it confirms a joiner and withdraws a down
// claim. X must be a member other than the two ends; the tracker cannot check
// more than that (a member can claim `up` as well), and when X goes the ends
// report again: another relay, or `down`, which rules 1–4 settle.

import type { GroupId, LinkReportState, PeerId } from '../ids.ts';
import { err, ok } from '../result.ts';
import { isJoining, isMember, youngerOf } from './membership.ts';
import type { LinkDown, Membership } from './membership.ts';
import { unchanged } from './step.ts';
import type { Step } from './step.ts';
import { installIfConfirmed, remove } from './view-changes.ts';

/** False down reports that evict their reporter when they fall inside the window. */
export const MAX_FALSE_REPORTS = 3;
/** The window, in link grace times: a mark older than this is forgotten. */
export const FALSE_REPORT_WINDOW_GRACES = 10;

const pair = (x: PeerId, y: PeerId): { a: PeerId; b: PeerId } => (x < y ? { a: x, b: y } : { a: y, b: x });

/** The ends whose latest report says the link is down. */
export const saysDown = (l: LinkDown): readonly PeerId[] => l.by ?? [l.a, l.b];

/** Members whose latest report says their own link to `p` is down. */
export function accusersOf(m: Membership, p: PeerId): PeerId[] {
  return m.linksDown.filter((l) => l.a === p || l.b === p).flatMap((l) => saysDown(l).filter((x) => x !== p));
}

/**
 * Rule 1: more than half of all members report their link to `p` down. A stalled claim is a member's word
 * about `p`'s agreement input, which the sender of a message never sees echoed: once any accuser's claim is
 * stalled, more than half of the *other* members, and at least two, suffice (one word never does).
 */
function majorityAgainst(m: Membership, p: PeerId): boolean {
  const accusers = accusersOf(m, p);
  const n = m.members.length;
  if (2 * accusers.length > n) return true;
  const stalled = m.linksDown.some((l) => (l.a === p || l.b === p) && stalledOf(l).some((x) => x !== p));
  return stalled && accusers.length >= 2 && 2 * accusers.length > n - 1;
}

/** The ends of `l` whose claim is `stalled`. */
const stalledOf = (l: LinkDown): readonly PeerId[] => l.stalled ?? [];

/** `l` claimed by the ends `by`, with `reporter`'s claim stalled (true), down (false) or gone (null). */
function claimedBy(
  l: LinkDown,
  by: readonly PeerId[],
  stalled: readonly PeerId[],
  reporter: PeerId,
  isStalled: boolean | null,
): LinkDown {
  const rest = stalled.filter((p) => p !== reporter && by.includes(p));
  const next = isStalled === true ? [...rest, reporter] : rest;
  const { stalled: _old, ...base } = l;
  return { ...base, by, ...(next.length === 0 ? {} : { stalled: next }) };
}

/** Down reports of `x` that the other end does not share. */
const openClaims = (m: Membership, x: PeerId): LinkDown[] =>
  m.linksDown.filter((l) => {
    const by = saysDown(l);
    return by.length === 1 && by[0] === x;
  });

/** A member confirms (up) or withdraws (down) its link to a joiner; the last confirmation may install it. */
function confirmJoiner(
  groupId: GroupId,
  m: Membership,
  reporter: PeerId,
  joiner: PeerId,
  state: 'up' | 'down',
): Step<null> {
  const j = m.joining.find((x) => x.peerId === joiner);
  if (j === undefined) return unchanged(ok(null));
  const had = (j.confirmedBy ?? []).includes(reporter);
  if ((state === 'up') === had) return unchanged(ok(null));
  const confirmedBy =
    state === 'up' ? [...(j.confirmedBy ?? []), reporter] : (j.confirmedBy ?? []).filter((p) => p !== reporter);
  const next: Membership = { ...m, joining: m.joining.map((x) => (x === j ? { ...x, confirmedBy } : x)) };
  const installed = state === 'up' ? installIfConfirmed(groupId, next, joiner) : null;
  if (installed !== null) return { ...installed, result: ok(null) };
  return { next, result: ok(null), effects: {} };
}

/**
 * A member says its channel to `peer` is up, down, or relayed via member
 * `via` (which counts as up). A down report starts the grace clock of the pair.
 */
export function reportLink(
  groupId: GroupId,
  m: Membership,
  reporter: PeerId,
  peer: PeerId,
  reported: LinkReportState,
  now: number,
  via?: PeerId,
): Step<null> {
  // A joiner's own links are settled by links-ready and the members'
  // confirmations; its mesh reports them like any other: accept and ignore.
  if (isJoining(m, reporter)) return unchanged(ok(null));
  if (!isMember(m, reporter)) return unchanged(err('not-member', 'Only members of the group report links.'));
  if (reporter === peer) return unchanged(err('bad-state', 'A link needs two different peers.'));
  if (reported === 'relayed') {
    if (via === undefined || via === reporter || via === peer)
      return unchanged(err('bad-state', 'A relayed link names a third member it goes through.'));
    if (!isMember(m, via)) return unchanged(err('not-member', 'A link can be relayed only through a member.'));
  }
  const state = reported === 'down' || reported === 'stalled' ? 'down' : 'up';
  // A joiner owes no agreement input yet: a stalled report neither confirms nor withdraws it.
  if (isJoining(m, peer)) {
    if (reported === 'stalled') return unchanged(ok(null));
    return confirmJoiner(groupId, m, reporter, peer, state);
  }
  // A link to a session that is gone is settled by the view change, not by eviction.
  if (!isMember(m, peer)) return unchanged(ok(null));
  const { a, b } = pair(reporter, peer);
  const existing = m.linksDown.find((l) => l.a === a && l.b === b);
  const by = existing === undefined ? [] : saysDown(existing);
  if (state === 'up') {
    if (!by.includes(reporter)) return unchanged(ok(null));
    const rest = by.filter((p) => p !== reporter);
    const linksDown =
      rest.length === 0
        ? m.linksDown.filter((l) => l !== existing)
        : m.linksDown.map((l) => (l === existing ? claimedBy(l, rest, stalledOf(l), reporter, null) : l));
    return { next: { ...m, linksDown }, result: ok(null), effects: {} };
  }
  const stalled = reported === 'stalled';
  if (existing !== undefined && by.includes(reporter)) {
    // A channel that closed is more than a stall: `down` replaces this end's `stalled`, never the reverse.
    if (!stalled && stalledOf(existing).includes(reporter)) {
      const updated = claimedBy(existing, by, stalledOf(existing), reporter, false);
      return {
        next: { ...m, linksDown: m.linksDown.map((l) => (l === existing ? updated : l)) },
        result: ok(null),
        effects: { linkCheck: { a, b, since: existing.since } },
      };
    }
    // Already said: ask for a check again (the node that scheduled the first one may have died with its timer).
    return unchanged(ok(null), { linkCheck: { a, b, since: existing.since } });
  }
  if (existing !== undefined) {
    // The other end said so first: this one corroborates it.
    const updated = claimedBy(existing, [...by, reporter], stalledOf(existing), reporter, stalled);
    return {
      next: { ...m, linksDown: m.linksDown.map((l) => (l === existing ? updated : l)) },
      result: ok(null),
      effects: { linkCheck: { a, b, since: existing.since } },
    };
  }
  if (openClaims(m, reporter).length > 0) {
    return unchanged(
      err('rate-limited', 'You already report a link down that nobody confirms; one such report at a time.'),
    );
  }
  const fresh: LinkDown = { a, b, since: now, by: [reporter], ...(stalled ? { stalled: [reporter] } : {}) };
  return {
    next: { ...m, linksDown: [...m.linksDown, fresh] },
    result: ok(null),
    effects: { linkCheck: { a, b, since: now } },
  };
}

/** The grace time of a down link ran out: decide (rules 1–4 above). */
export function expireLink(
  groupId: GroupId,
  m: Membership,
  a: PeerId,
  b: PeerId,
  now: number,
  graceMs: number,
): Step<null> {
  const l = m.linksDown.find((x) => x.a === a && x.b === b);
  if (l === undefined || now - l.since < graceMs) return unchanged(ok(null));
  const younger = youngerOf(m, a, b);
  if (younger === null) return unchanged(ok(null));
  const older = younger === a ? b : a;
  const n = m.members.length;
  for (const p of [younger, older]) if (majorityAgainst(m, p)) return remove(groupId, m, p, 'evicted');
  const by = saysDown(l);
  // Rule 2 trusts two ends that both saw their channel fail; a stall is a claim about the other end's words.
  if (by.length === 2 && stalledOf(l).length === 0) return remove(groupId, m, younger, 'evicted');
  const reporter = by.length === 1 ? by[0] : undefined;
  const accused = reporter === a ? b : a;
  // Judged again one grace time from now, whatever the verdict, while the claim stands.
  const again: Membership = { ...m, linksDown: m.linksDown.map((x) => (x === l ? { ...x, since: now } : x)) };
  const recheck = { linkCheck: { a, b, since: now } };
  const othersKeepLinks = n > 2 && accusersOf(m, accused).every((x) => x === reporter);
  // A lone stalled claim is never proved false: the accused may owe that reporter alone (its echoes reach every
  // member but the message's sender), which nobody else can see either. Alone it decides nothing.
  const provable = reporter !== undefined && !stalledOf(l).includes(reporter);
  if (reporter === undefined || !othersKeepLinks || !provable)
    return { next: again, result: ok(null), effects: recheck };
  const window = FALSE_REPORT_WINDOW_GRACES * graceMs;
  const falseReports = [...(m.falseReports ?? []).filter((f) => now - f.at < window), { peerId: reporter, at: now }];
  const marked: Membership = { ...again, falseReports };
  if (falseReports.filter((f) => f.peerId === reporter).length >= MAX_FALSE_REPORTS) {
    const out = remove(groupId, marked, reporter, 'evicted');
    return { ...out, effects: { ...out.effects, falseReport: reporter } };
  }
  return { next: marked, result: ok(null), effects: { ...recheck, falseReport: reporter } };
}
