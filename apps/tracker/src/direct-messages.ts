// Direct messages (PROTOCOL.md §2 Direct messages): a group of
// exactly two public keys, id derived from the keys (@chorus/protocol dm.ts).
// The tracker service asks here what a DM charter is and who may enter one.

import { err, isParty, sortParties } from '@chorus/protocol';
import type { GroupCharter, MemberInfo, ParsedOpenDm, Result } from '@chorus/protocol';
import type { GroupRecord } from './store/tracker-store.ts';

/**
 * Direct messages listed in a hello (the newest): enough to find every
 * conversation opened while this person was away, and the hello stays small.
 * A tab also rejoins the DMs it remembers, listed or not.
 */
export const DM_HELLO_MAX = 20;

/** What a DM's charter says in `name` (the record's name is its id, never shown). */
export const DM_CHARTER_NAME = 'Direct message';

export const isDm = (g: GroupRecord): boolean => g.charter?.dm !== undefined;

/** The charter of the DM `by` opens with `p.publicKey`: FIFO, open, both people named. */
export async function dmCharter(by: MemberInfo, p: ParsedOpenDm, now: number, nonce: string): Promise<GroupCharter> {
  return {
    v: 1,
    name: DM_CHARTER_NAME,
    ordering: 'fifo',
    createdBy: by.name,
    creatorKey: by.publicKey,
    createdAt: now,
    nonce,
    dm: sortParties({ publicKey: by.publicKey, name: by.name }, { publicKey: p.publicKey, name: p.name }),
  };
}

/** Null when `key` may join or restore the group of this charter; a clear refusal for a third key in a DM. */
export function dmRefusal(charter: GroupCharter, key: string): Result<never> | null {
  if (charter.dm === undefined || isParty(charter.dm, key)) return null;
  return err('not-allowed', 'This is a direct message between two other people: only they can join it.');
}
