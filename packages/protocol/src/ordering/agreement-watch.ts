// Which members owe this member an agreement input that is overdue (PROTOCOL.md §3.3 "Overdue"), and which
// of our waiting messages are due for a copy of our PROPOSE. Pure reads of the ISIS queue's state: nothing
// here changes it; GroupEngine calls these with its own fields. Total order only (FIFO has no agreement).
//
// A message waits on three kinds of input: its sender waits for every member's PROPOSE; every other member
// waits for the sender's FINAL and then for each other member's ECHO. Only the sender sees the PROPOSEs, so
// a member still waiting halfway to the bound sends a copy of its PROPOSE to every member: its own word,
// to each, that it proposed and waits too. A member that neither copied nor echoed is silent on the message;
// if every other member said it waits, the sender is.

import type { MessageId, PeerId } from '../ids.ts';
import type { EngineFrame } from '../wire/frames.ts';

/**
 * A member that has sent nothing of the installed view that only a member with state sends (PROPOSE, FINAL,
 * ECHO, DATA, HWM) may still be fetching its history (a joiner installed before its sync ends, PROPOSE waits
 * for it; a lost page is asked again after HISTORY_RETRY_MS, from the next sponsor round the circle): it is
 * not overdue until this many bounds after we installed the view. A mute member gets as long before it is
 * reported (a minute with the default ten-second link grace).
 */
export const UNSHOWN_STATE_GRACES = 6;

/** Frames only a member with state sends: one of them in the installed view shows the sender has state. */
export const showsState = (f: EngineFrame): boolean =>
  f.t === 'propose' || f.t === 'final' || f.t === 'echo' || f.t === 'data' || f.t === 'hwm';
import type { OwnMessage, QueueEntry } from './isis-queue.ts';

export interface AgreementState {
  readonly self: PeerId;
  readonly members: ReadonlySet<PeerId>;
  readonly own: ReadonlyMap<MessageId, OwnMessage>;
  readonly queue: ReadonlyMap<MessageId, QueueEntry>;
  /** Messages whose FINAL a member echoed otherwise than we hold it: a liar is at work, proofs and flushes deal. */
  readonly disputed: ReadonlySet<MessageId>;
  /** True when `by` echoed the FINAL of `id` to us. */
  readonly echoed: (id: MessageId, by: PeerId) => boolean;
}

/** Members (sorted) whose agreement input for a message we hold has been missing for `waitMs` or more. */
export function overdueMembers(s: AgreementState, now: number, waitMs: number): PeerId[] {
  const late = new Set<PeerId>();
  for (const mine of s.own.values()) {
    if (now - mine.sentAt < waitMs) continue;
    for (const m of s.members) if (!mine.proposals.has(m)) late.add(m);
  }
  for (const [id, e] of s.queue) {
    const sender = e.frame.sender;
    if (e.final || sender === s.self || now - e.since < waitMs || s.disputed.has(id)) continue;
    const others = [...s.members].filter((m) => m !== s.self && m !== sender);
    // Holding the FINAL, we wait for echoes; a member without it got it from ours, so it owes one too.
    const silent =
      e.told !== undefined
        ? others.filter((m) => !s.echoed(id, m))
        : others.filter((m) => e.heard?.has(m) !== true && !s.echoed(id, m));
    if (silent.length > 0) for (const m of silent) late.add(m);
    else if (e.told === undefined && s.members.has(sender)) late.add(sender);
  }
  return [...late].sort();
}

/** Others' messages we have waited on for half the bound, not copied about for half the bound: copy now. */
export function dueForCopy(s: AgreementState, now: number, waitMs: number): [MessageId, QueueEntry][] {
  const half = waitMs / 2;
  return [...s.queue].filter(
    ([, e]) =>
      !e.final &&
      e.frame.sender !== s.self &&
      now - e.since >= half &&
      (e.chased === undefined || now - e.chased >= half),
  );
}
