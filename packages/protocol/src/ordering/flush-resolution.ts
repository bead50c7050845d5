// The view-change decision, as a pure function of the FLUSH frames of every
// flush participant. Every survivor calls it with the same frames and gets
// the same answer; nothing here reads engine state or a clock. The proof that
// the answer is safe is in PROTOCOL.md §3 ("Resolving a flush").

import { comparePeerIds, frameMessageId, messageId } from '../ids.ts';
import type { MessageId, Ordering, PeerId } from '../ids.ts';
import type { DataFrame, FlushFrame, Priority } from '../wire/frames.ts';
import { maxPriority } from './priority.ts';

export interface FlushReport {
  readonly from: PeerId;
  readonly frame: FlushFrame;
}

export interface ResolvedMessage {
  readonly id: MessageId;
  readonly frame: DataFrame;
  /** The agreed priority (total order); null for FIFO groups. */
  readonly agreed: Priority | null;
  /** How the priority was chosen, for logs and tests. */
  readonly rule: 'fifo' | 'final' | 'max-proposal' | 'above';
}

export interface FlushOutcome {
  /** Every message of the old view that survivors deliver, in delivery order. */
  readonly messages: readonly ResolvedMessage[];
  /** Last deliverable seq per sender: the contiguous prefix of the union. */
  readonly ends: ReadonlyMap<PeerId, number>;
  /** Messages beyond a gap in their sender's sequence: dropped everywhere. */
  readonly dropped: readonly DataFrame[];
  /** Largest priority number reported or assigned: every member's `A` after the view change. */
  readonly agreed: number;
  /** False when no participant had state (every one was still joining). */
  readonly anyState: boolean;
}

/**
 * A report that carries no knowledge: a joiner that has not adopted state
 * (`joining`), or a member that delivered, proposed and agreed nothing (the
 * same information; also covers a parser that does not pass `joining` on).
 */
export const isStateless = (f: FlushFrame): boolean =>
  f.joining === true || (Object.keys(f.delivered).length === 0 && f.pending.length === 0 && f.agreed === 0);

/** Deterministic pick among equivocating copies (same sender and seq, different bytes). */
const preferFrame = (a: DataFrame, b: DataFrame): DataFrame => (a.sig <= b.sig ? a : b);

export const resolveFlush = (
  mode: Ordering,
  reports: readonly FlushReport[],
  compare: (a: Priority, b: Priority) => number,
): FlushOutcome => {
  const stateful = reports.filter((r) => !isStateless(r.frame));
  // Every report is a FLUSH of one group (the engine checked), so ids are built in that group.
  const group = reports[0]?.frame.groupId;
  const anyState = stateful.length > 0;

  // Union of DATA, one copy per message id.
  const union = new Map<MessageId, DataFrame>();
  // The sender's own proposal, from any copy that carries it (a dead sender cannot report it).
  const senderProposals = new Map<MessageId, Priority[]>();
  for (const r of reports)
    for (const f of r.frame.unstable) {
      const id = frameMessageId(f);
      const had = union.get(id);
      union.set(id, had === undefined ? f : preferFrame(had, f));
      if (f.proposal !== undefined && f.proposal.by === f.sender) senderProposals.set(id, [...(senderProposals.get(id) ?? []), f.proposal]);
    }

  // Per sender: every stateful participant delivered up to `base`; the
  // union must continue from there without a gap.
  const senders = new Set<PeerId>();
  for (const f of union.values()) senders.add(f.sender);
  for (const r of stateful) for (const s of Object.keys(r.frame.delivered)) senders.add(s as PeerId);
  // Nobody has state (the group starts afresh): a resumed peer's joining report names where its own
  // seq goes on. Only its own entry counts; a lie about itself only stalls its own messages.
  const ownFloor = (s: PeerId): number => reports.find((r) => r.from === s)?.frame.delivered[s] ?? 0;
  if (!anyState) for (const r of reports) if ((r.frame.delivered[r.from] ?? 0) > 0) senders.add(r.from);
  const ends = new Map<PeerId, number>();
  const messages: { frame: DataFrame; id: MessageId }[] = [];
  const dropped: DataFrame[] = [];
  for (const s of [...senders].sort(comparePeerIds)) {
    const base = anyState ? Math.min(...stateful.map((r) => r.frame.delivered[s] ?? 0)) : ownFloor(s);
    let end = base;
    while (group !== undefined && union.has(messageId(group, s, end + 1))) end += 1;
    // A count above the union's prefix is a sender's floor (hwm.floor, §3.1): seqs an earlier engine
    // of its peer id used, none of this incarnation. Any other count is covered by the union (a
    // member keeps what it delivered until every member has it), so this changes nothing else.
    const counted = anyState ? Math.max(...stateful.map((r) => r.frame.delivered[s] ?? 0)) : base;
    if (counted > end) {
      end = counted;
      while (group !== undefined && union.has(messageId(group, s, end + 1))) end += 1;
    }
    ends.set(s, end);
    // Copies at or below `base` are listed too: a member that delivered nothing yet needs them.
    const mine = [...union.values()].filter((f) => f.sender === s).sort((x, y) => x.seq - y.seq);
    for (const f of mine) {
      if (f.seq <= end) messages.push({ id: frameMessageId(f), frame: f });
      else dropped.push(f);
    }
  }
  dropped.sort((a, b) => comparePeerIds(a.sender, b.sender) || a.seq - b.seq);

  let agreed = 0;
  // Afresh, resumed peers' A (from their stores) keeps new order keys above the ones they hold.
  for (const r of anyState ? stateful : reports) agreed = Math.max(agreed, r.frame.agreed);

  if (mode === 'fifo') {
    const out = messages.map((m) => ({ ...m, agreed: null, rule: 'fifo' as const }));
    out.sort((a, b) => a.frame.lamport - b.frame.lamport || comparePeerIds(a.frame.sender, b.frame.sender) || a.frame.seq - b.frame.seq);
    return { messages: out, ends, dropped, agreed, anyState };
  }

  // Total order. Collect what survivors know about each message.
  const finals = new Map<MessageId, Priority[]>();
  const proposals = new Map<MessageId, Map<PeerId, Priority>>();
  for (const r of reports)
    for (const rep of r.frame.pending) {
      const id = messageId(r.frame.groupId, rep.sender, rep.seq);
      if (rep.final !== undefined) {
        finals.set(id, [...(finals.get(id) ?? []), rep.final]);
        agreed = Math.max(agreed, rep.final.p);
      }
      if (rep.proposed !== undefined && !isStateless(r.frame)) {
        const byReporter = proposals.get(id) ?? new Map<PeerId, Priority>();
        byReporter.set(r.from, rep.proposed);
        proposals.set(id, byReporter);
        agreed = Math.max(agreed, rep.proposed.p);
      }
    }
  for (const ps of senderProposals.values()) for (const x of ps) agreed = Math.max(agreed, x.p);
  // `agreed` is now B: above every priority any survivor delivered, saw or proposed, or a sender proposed.
  const lowest = [...(anyState ? stateful : reports)].map((r) => r.from).sort(comparePeerIds)[0];
  const viewMembers = new Map<number, readonly PeerId[]>();
  for (const r of stateful) if (r.frame.installed !== undefined) viewMembers.set(r.frame.installed.viewId, r.frame.installed.members);
  const knownProposals = (m: { id: MessageId }): Priority[] => [...(proposals.get(m.id)?.values() ?? []), ...(senderProposals.get(m.id) ?? [])];
  const everySurvivorProposed = (m: { id: MessageId }): boolean => {
    const props = proposals.get(m.id);
    return anyState && props !== undefined && stateful.every((r) => props.has(r.from));
  };
  /** We hold the proposal of every member of the message's view: the max is exactly what its sender agreed. */
  const exact = (m: { id: MessageId; frame: DataFrame }): boolean => {
    const members = viewMembers.get(m.frame.viewId);
    const props = proposals.get(m.id);
    if (members === undefined || props === undefined || !everySurvivorProposed(m)) return false;
    return members.every((p) => props.has(p) || (p === m.frame.sender && senderProposals.has(m.id)));
  };
  const rules = new Map<MessageId, ResolvedMessage>();
  // Per sender, from its last message back: once a later message has a fixed priority, every earlier one
  // must sort before it, which the max of the known proposals does (FIFO gate: each proposer's proposal grows with seq).
  let sender: PeerId | null = null;
  let laterFixed = false;
  for (const m of [...messages].reverse()) {
    if (m.frame.sender !== sender) {
      sender = m.frame.sender;
      laterFixed = false;
    }
    const known = maxPriority(finals.get(m.id) ?? [], compare);
    if (known !== null) rules.set(m.id, { ...m, agreed: known, rule: 'final' });
    else if (exact(m) || (laterFixed && everySurvivorProposed(m)))
      rules.set(m.id, { ...m, agreed: maxPriority(knownProposals(m), compare) as Priority, rule: 'max-proposal' });
    else continue;
    laterFixed = true;
  }
  // The rest go after everything anyone may have delivered. Among themselves they keep the order their
  // known proposals suggest (what a crashed member that agreed one of them most likely delivered),
  // made non-decreasing per sender so FIFO holds, then (sender, seq).
  const resolved: ResolvedMessage[] = [];
  // key null = "no proposal known" = top: such a message was never multicast (it travelled only in a
  // FLUSH), so nobody can have delivered anything after it; once a sender's key is top it stays top.
  const above: { m: (typeof messages)[number]; key: Priority | null }[] = [];
  let runningSender: PeerId | null = null;
  let running: Priority | null | undefined;
  for (const m of messages) {
    const fixed = rules.get(m.id);
    if (fixed !== undefined) {
      resolved.push(fixed);
      continue;
    }
    if (m.frame.sender !== runningSender) {
      runningSender = m.frame.sender;
      running = undefined;
    }
    const own = maxPriority(knownProposals(m), compare);
    if (running !== null) running = own === null ? null : running === undefined || compare(own, running) > 0 ? own : running;
    above.push({ m, key: running ?? null });
  }
  above.sort((x, y) => {
    if (x.key !== null && y.key !== null && compare(x.key, y.key) !== 0) return compare(x.key, y.key);
    if (x.key === null && y.key !== null) return 1;
    if (x.key !== null && y.key === null) return -1;
    return comparePeerIds(x.m.frame.sender, y.m.frame.sender) || x.m.frame.seq - y.m.frame.seq;
  });
  let next = agreed;
  for (const { m } of above) {
    next += 1;
    resolved.push({ ...m, agreed: { p: next, by: lowest as PeerId }, rule: 'above' });
  }
  resolved.sort((a, b) => compare(a.agreed as Priority, b.agreed as Priority));
  return { messages: resolved, ends, dropped, agreed: next, anyState };
};
