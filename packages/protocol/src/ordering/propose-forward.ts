// Forwarded proposals (PROTOCOL.md §3.3 "Forwarded proposals"; issue 12): a member that waits on another
// sender's FINAL and holds every other member's copy of its PROPOSE forwards those proposals to the
// sender, and the sender takes a proposal it lacks from them only when every member but the proposer
// and itself forwarded it. Owns nothing: pure reads and writes of the ISIS queue's entries (a queue
// entry's `heard` copies, an own message's `forwarded` words), called by isis-queue.ts and GroupEngine.
// Never here: when a copy is due (agreement-watch.ts), what a FINAL does (isis-queue.ts).
//
// Why every forwarder, and why a view of four: a forwarded proposal is not signed, so a forwarder can
// make one up. What the sender must never do is finalize below an honest member's real proposal (that
// member may deliver, meanwhile, what the sender then delivers after the message: S4). An honest
// member's copy is its proposal exactly; with one hostile member and at least two forwarders of a
// proposal, one of them is honest and the largest forwarded word is at least the real proposal (a
// made-up larger one only raises the FINAL, as a larger proposal would; if it names an honest member
// at another number, that member objects, §3.3 Echo). With a single forwarder (a view of three) the
// sender cannot tell a liar's made-up word from an honest one: nothing is forwarded there.

import type { PeerId } from '../ids.ts';
import type { Priority, ProposeFrame } from '../wire/frames.ts';
import type { OwnMessage, QueueEntry } from './isis-queue.ts';
import type { Rejection } from './engine.ts';
import { maxPriority, samePriority } from './priority.ts';
import { reject } from './rejection.ts';

/** Forwarders needed per missing proposal (all members but the proposer and the sender, at least this many). */
export const MIN_FORWARDERS = 2;

/** The proposals the sender may lack that this member holds for `entry`, or none until it holds every copy. */
export function forwardsDue(
  entry: QueueEntry,
  members: ReadonlySet<PeerId>,
  self: PeerId,
  gotFinal: boolean,
): Priority[] {
  const sender = entry.frame.sender;
  if (entry.final || entry.told !== undefined || gotFinal || sender === self) return [];
  if (members.size < MIN_FORWARDERS + 2 || !members.has(sender)) return [];
  const copies: Priority[] = [];
  for (const m of members) {
    if (m === self || m === sender) continue;
    const copy = entry.heard?.get(m);
    if (copy === undefined) return [];
    copies.push(copy);
  }
  return copies;
}

/** The PROPOSE frames that forward `copies` for `entry` to its sender. */
export const forwardFrames = (
  entry: QueueEntry,
  copies: readonly Priority[],
  viewId: ProposeFrame['viewId'],
): { readonly to: PeerId; readonly frame: ProposeFrame }[] =>
  copies.map((priority) => ({
    to: entry.frame.sender,
    frame: {
      t: 'propose',
      groupId: entry.frame.groupId,
      viewId,
      sender: entry.frame.sender,
      seq: entry.frame.seq,
      priority,
      forwarded: true,
    },
  }));

/** A copy of `from`'s PROPOSE for a message held here: kept (the first word stays); true when it is new. */
export function hearCopy(entry: QueueEntry, from: PeerId, priority: Priority): boolean {
  const heard = (entry.heard ??= new Map());
  if (heard.has(from)) return false;
  heard.set(from, priority);
  return true;
}

/**
 * `forwarder` forwards `proposal` for our own message: kept unless the proposer's own came already.
 * 'changed' when the same forwarder forwarded another number for that proposer before (a remote error).
 */
export function hearForward(mine: OwnMessage, forwarder: PeerId, proposal: Priority): 'kept' | 'known' | 'changed' {
  if (mine.proposals.has(proposal.by)) return 'known';
  const words = (mine.forwarded ??= new Map());
  const byForwarder = words.get(proposal.by) ?? new Map<PeerId, Priority>();
  const had = byForwarder.get(forwarder);
  if (had !== undefined) return samePriority(had, proposal) ? 'known' : 'changed';
  byForwarder.set(forwarder, proposal);
  words.set(proposal.by, byForwarder);
  return 'kept';
}

/**
 * The proposals `mine` lacks, each the largest word forwarded for it, when every member but the proposer
 * and `self` forwarded one (and there are at least MIN_FORWARDERS of them); null while any is short.
 */
export function forwardedProposals(
  mine: OwnMessage,
  members: ReadonlySet<PeerId>,
  self: PeerId,
  compare: (a: Priority, b: Priority) => number,
): Map<PeerId, Priority> | null {
  const taken = new Map<PeerId, Priority>();
  for (const q of members) {
    if (mine.proposals.has(q)) continue;
    const words = mine.forwarded?.get(q);
    const forwarders = [...members].filter((m) => m !== q && m !== self);
    if (words === undefined || forwarders.length < MIN_FORWARDERS || !forwarders.every((m) => words.has(m)))
      return null;
    const largest = maxPriority(words.values(), compare);
    if (largest === null) return null;
    taken.set(q, largest);
  }
  return taken;
}

/**
 * A forwarded PROPOSE at this member: 'kept' (in `mine`, our own message still waiting), 'ignored' (the
 * message was finalized already, or we hold the proposer's own word), or the rejection (remote; nothing kept):
 * forwarded to another than the message's sender, naming its forwarder, us or a non-member, for a message we
 * never sent, or another number than the forwarder forwarded before for that proposer.
 */
export function takeForward(
  f: ProposeFrame,
  from: PeerId,
  self: PeerId,
  members: ReadonlySet<PeerId>,
  mine: OwnMessage | undefined,
  lastCommitted: number,
): 'kept' | 'ignored' | Rejection {
  if (f.sender !== self)
    return reject(
      'remote',
      'bad-state',
      `${from} forwarded a proposal for ${f.sender}'s message here: only to its sender.`,
    );
  if (f.priority.by === from || f.priority.by === self)
    return reject(
      'remote',
      'bad-state',
      `${from} forwarded a proposal by ${f.priority.by}: only another's is forwarded.`,
    );
  if (!members.has(f.priority.by))
    return reject('remote', 'not-member', `${from} forwarded a proposal by ${f.priority.by}, not a member.`);
  if (mine === undefined) {
    if (f.seq <= lastCommitted) return 'ignored'; // finalized already
    return reject('remote', 'not-found', `${from} forwarded a proposal for message ${f.seq}, never sent here.`);
  }
  const heard = hearForward(mine, from, f.priority);
  if (heard === 'changed')
    return reject('remote', 'bad-state', `${from} forwarded another proposal of ${f.priority.by} for ${f.seq}.`);
  return heard === 'kept' ? 'kept' : 'ignored';
}
