// The join and sending policies of a group session, in one place: the
// product's SessionCore and the simulator import them from here and never
// copy them. Pure functions and named constants only; what a session does
// with them (timers, requests) lives in session-core.ts and join-flow.ts.

import { comparePeerIds } from '../ids.ts';
import type { PeerId } from '../ids.ts';
import type { EngineResume } from '../ordering/create-engine.ts';
import { MAX_PRIORITY_STEP } from '../ordering/priority.ts';
import type { View } from '../tracker/events.ts';
import { MAX_HISTORY_ITEMS } from '../wire/caps.ts';
import { sha256 } from '../wire/sha256.ts';
import { utf8Bytes } from '../wire/utf8.ts';

/** Engines count time in ticks for retransmits and stability; 100 ms is well under any link's patience. */
export const TICK_MS = 100;
/** docs/design.md §3: peers report their numbers every 30 s (and on leave). */
export const METRICS_REPORT_MS = 30_000;
/**
 * A joiner re-asks for a history page after this long without an answer (a sponsor's link may have dropped a frame).
 */
export const HISTORY_RETRY_MS = 5_000;
/**
 * After a refused hand-over (state for a view we are already past, a last
 * page without state, state our engine refused) the joiner asks again after
 * this long, doubling per refusal up to HISTORY_RETRY_MS. A sponsor answers a
 * request at once, so without a pause a refusal that repeats (the sponsor has
 * not installed our view yet) turns into a request loop as fast as the link.
 */
export const HISTORY_REASK_MIN_MS = 200;
/** Items a joiner asks for per history page: the wire's cap (the sponsor also keeps the page under the frame cap). */
export const HISTORY_REQUEST_ITEMS = MAX_HISTORY_ITEMS;
/**
 * What one sponsor may make a joiner store in one join, over all its pages
 * (PROTOCOL.md §7.3). The joiner learns the sponsor's state only with the
 * last page, so paging is bounded by these fixed caps and the state is
 * checked against the items once it comes. A history larger than this goes
 * on with the next old member (the joiner asks only for what it lacks).
 */
export const MAX_HANDOVER_ITEMS = 1_000_000;
export const MAX_HANDOVER_BYTES = 1024 * 1024 * 1024;
/**
 * How far a sponsor's `agreed` may stand above its witness's (PROTOCOL.md §7.3 "Corroborated").
 * Honest states taken a few views apart differ by the priorities handed out between them (about
 * one per message) and a flush margin or two (ABANDONED_FLUSH_MARGIN, 4 096); half a step is
 * half a million messages. A joiner that adopts at most this much above the witness proposes within
 * the ceiling (MAX_PRIORITY_STEP above what it saw) of every member up to half a step behind it.
 */
export const CORROBORATION_AGREED_SLACK = MAX_PRIORITY_STEP / 2;
/**
 * Page items a joiner holds back above a hole in their sender's run until the
 * hole is filled (PROTOCOL.md §4). Past this they are shown above the hole
 * as they come: the screen's order per sender breaks, nothing is lost.
 */
export const MAX_HELD_HISTORY_BYTES = 64 * 1024 * 1024;
/**
 * Own sends not yet drafted (waiting for state while joining, or queued in a
 * burst faster than signing). Bounds memory; a benchmark's burst of a few
 * thousand still fits, a runaway loop does not.
 */
export const MAX_OUTBOX = 10_000;

/**
 * Members that were in the group before `self` joined with `view`: the
 * candidates for sponsor. Everyone `view` added (and self, also when the
 * tracker re-sends a view without changes) is left out.
 */
export const oldMembersOf = (view: View, self: PeerId): ReadonlySet<PeerId> => {
  const joined = new Set(view.changes.filter((c) => c.change === 'joined').map((c) => c.peerId));
  joined.add(self);
  return new Set(view.members.map((m) => m.peerId).filter((p) => !joined.has(p)));
};

/**
 * Where `member` stands in `joiner`'s order of sponsors: SHA-256(joiner id ‖ member id), hex, the
 * lowest asked first (PROTOCOL.md §7.2 "make itself sponsor"). Peer ids are the client's (§2), so a
 * rank by the id alone (the lowest id first, as before) was every joiner's first sponsor for any
 * member that drew a low id; this rank depends on a joiner the member does not know when its id is
 * set. Every member computes the same order for a joiner without talking.
 */
export const sponsorRank = (joiner: PeerId, member: PeerId): string => {
  let hex = '';
  for (const b of sha256(utf8Bytes(joiner + member))) hex += b.toString(16).padStart(2, '0');
  return hex;
};

/** `joiner`'s candidates with their ranks, lowest first (ties, never seen in practice, by id). */
const ranked = (joiner: PeerId, candidates: Iterable<PeerId>): { readonly p: PeerId; readonly rank: string }[] =>
  [...new Set(candidates)]
    .map((p) => ({ p, rank: sponsorRank(joiner, p) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : comparePeerIds(a.p, b.p)));

/** `joiner`'s candidates for sponsor in the order it asks them (`sponsorRank`). */
export const sponsorOrder = (joiner: PeerId, candidates: Iterable<PeerId>): PeerId[] =>
  ranked(joiner, candidates).map((r) => r.p);

/** The sponsor `joiner` asks first: the lowest of its candidates by `sponsorRank`. */
export const firstSponsor = (joiner: PeerId, candidates: Iterable<PeerId>): PeerId | null =>
  sponsorOrder(joiner, candidates)[0] ?? null;

/**
 * The sponsor to ask after `current` gave no answer within HISTORY_RETRY_MS:
 * the next candidate after it in `joiner`'s order, round the circle (with one
 * candidate, the same sponsor again). Null when no candidate is present.
 */
export const nextSponsor = (joiner: PeerId, current: PeerId, candidates: Iterable<PeerId>): PeerId | null => {
  const order = ranked(joiner, candidates);
  const at = sponsorRank(joiner, current);
  return (order.find((r) => r.rank > at) ?? order[0])?.p ?? null;
};

/**
 * The resume point of a session that replaces one of the same peer id in the
 * same process (a re-join after a tracker restart or a false removal): above
 * the store's, our seqs go on after every seq the old session sent, delivered
 * here or not. Others may have delivered a message our store never saw (its
 * view change never ended here), and a new message under its id would be
 * dropped as a duplicate by every store that has the first (the simulator's
 * forgetting tracker restart reaches this case).
 */
export const resumeAfterSent = (resume: EngineResume | null, sentSeq: number): EngineResume | null => {
  if (sentSeq <= (resume?.ownSeq ?? 0)) return resume;
  return {
    ownSeq: sentSeq,
    lamport: resume?.lamport ?? 0,
    agreed: resume?.agreed ?? 0,
    ...(resume?.delivered === undefined ? {} : { delivered: resume.delivered }),
  };
};

/** The pause before re-asking after the `refusals`-th refused hand-over (1-based). */
export const reaskPause = (refusals: number): number =>
  Math.min(HISTORY_RETRY_MS, HISTORY_REASK_MIN_MS * 2 ** Math.min(Math.max(refusals, 1) - 1, 16));
