// Branded identifiers. A GroupId can never be passed where a PeerId belongs.
// Ids arrive as plain strings from the wire; only parsers (and constructors
// used by trusted code) turn them into brands.

export type PeerId = string & { readonly brand: 'PeerId' };
export type GroupId = string & { readonly brand: 'GroupId' };
/**
 * `${group}/${sender}:${seq}`. A sender's seq restarts in every group, so the
 * group is part of a message's identity: without it, the same sender's seq 3
 * in two groups would be one message to every store, index and timeline.
 */
export type MessageId = string & { readonly brand: 'MessageId' };
/** Grows by one on every membership change of a group, never goes back. */
export type ViewId = number & { readonly brand: 'ViewId' };

export type Ordering = 'fifo' | 'total';
export type LeaveReason = 'left' | 'failed' | 'evicted';
export type MemberChange = 'joined' | LeaveReason;
export type LinkState = 'up' | 'down';
/**
 * A member's word to the tracker on its link to another: `relayed` is up through a third member (PROTOCOL.md §1.6);
 * `stalled` is a channel that is open but carries no agreement input (a total-order member whose PROPOSE, ECHO or
 * FINAL is overdue, §2 Links): it counts towards a majority only.
 */
export type LinkReportState = LinkState | 'relayed' | 'stalled';

export const asPeerId = (s: string): PeerId => s as PeerId;
export const asGroupId = (s: string): GroupId => s as GroupId;
export const asViewId = (n: number): ViewId => n as ViewId;
export const messageId = (group: GroupId, sender: PeerId, seq: number): MessageId =>
  `${group}/${sender}:${seq}` as MessageId;
/** The id of the message a frame (DATA, or any frame naming a sender and seq of a group) is about. */
export const frameMessageId = (f: {
  readonly groupId: GroupId;
  readonly sender: PeerId;
  readonly seq: number;
}): MessageId => messageId(f.groupId, f.sender, f.seq);

/** Peer ids are compared as strings everywhere (initiator choice, tie-breaks, sponsor). */
export const comparePeerIds = (a: PeerId, b: PeerId): number => (a < b ? -1 : a > b ? 1 : 0);
