// Where a re-created engine of a peer id starts (EngineResume), read from what
// its store kept of the group. One rule for packages/peer (Peer, before it
// creates a group's engine) and the simulator (a restarted node).

import type { Ordering, PeerId } from '../ids.ts';
import type { EngineResume } from './create-engine.ts';
import { resumeLamport } from './lamport.ts';
import { ORDER_KEY_DIGITS, parseTotalOrderKey } from './order-key.ts';

/** What the store holds of a group, as far as a resume point needs it. */
export interface StoredGroupFacts {
  /**
   * The saved engine state's next seqs (GroupRecord.state.nextSeq), or null without one. Data from disk: checked here.
   */
  readonly nextSeq: Readonly<Record<string, unknown>> | null;
  /** The highest order key ever stored for the group (MessageStore.lastOrder), or null. */
  readonly lastOrder: string | null;
  /** How many messages of the group are stored: the clock when the last key is not believable. */
  readonly count: number;
}

/**
 * Where `self` stood in a group its store has history of (a re-join in the
 * same tab, a group restored after a tracker restart, a restarted process):
 * its own seq, the last order key's number as Lamport time and, for total
 * order, as the agreed priority, and every sender's delivered count (used if
 * it founds the view alone). Without it a re-joined peer would reuse message
 * ids, and a group that starts afresh would reuse priorities. Null for a
 * group new to this store.
 */
export function resumePoint(facts: StoredGroupFacts, self: PeerId, ordering: Ordering): EngineResume | null {
  // A stored record is data from disk: keep only counts that are sane (createEngine refuses others).
  const delivered: Record<string, number> = {};
  for (const [sender, next] of Object.entries(facts.nextSeq ?? {})) {
    if (typeof next === 'number' && Number.isSafeInteger(next) && next > 1) delivered[sender] = next - 1;
  }
  const ownSeq = delivered[self] ?? 0;
  const key = facts.lastOrder;
  // A total-order key starts with the group's incarnation; its priority number comes second.
  const total = ordering === 'total' && key !== null ? parseTotalOrderKey(key) : null;
  const lead = key === null ? 0 : total !== null ? total.p : Number(key.slice(0, ORDER_KEY_DIGITS));
  // A key stored before lamport jumps were bounded may carry 2^53 - 1 (PROTOCOL.md §7.2): resuming
  // from it would put every draft out of range. Then the stored count stands in (resumeLamport).
  const last = resumeLamport(lead, facts.count);
  if (ownSeq === 0 && last === 0 && Object.keys(delivered).length === 0) return null;
  return { ownSeq, lamport: last, agreed: ordering === 'total' ? last : 0, delivered };
}
