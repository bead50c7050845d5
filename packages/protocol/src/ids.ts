// Branded identifiers. A GroupId can never be passed where a PeerId belongs.
// Ids arrive as plain strings from the wire; only parsers (and constructors
// used by trusted code) turn them into brands.

export type PeerId = string & { readonly brand: 'PeerId' };
export type GroupId = string & { readonly brand: 'GroupId' };
/** `${sender}:${seq}` — unique because a sender session never reuses a seq. */
export type MessageId = string & { readonly brand: 'MessageId' };
/** Grows by one on every membership change of a group, never goes back. */
export type ViewId = number & { readonly brand: 'ViewId' };

export type Ordering = 'fifo' | 'total';
export type LeaveReason = 'left' | 'failed' | 'evicted';
export type MemberChange = 'joined' | LeaveReason;
export type LinkState = 'up' | 'down';

export const asPeerId = (s: string): PeerId => s as PeerId;
export const asGroupId = (s: string): GroupId => s as GroupId;
export const asViewId = (n: number): ViewId => n as ViewId;
export const messageId = (sender: PeerId, seq: number): MessageId => `${sender}:${seq}` as MessageId;

/** Peer ids are compared as strings everywhere (initiator choice, tie-breaks, sponsor). */
export const comparePeerIds = (a: PeerId, b: PeerId): number => (a < b ? -1 : a > b ? 1 : 0);
