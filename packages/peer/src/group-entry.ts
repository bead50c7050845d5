// One joined group as the Peer facade (peer.ts) keeps it: its session, the
// views and members seen, the joiners it keeps links to, and the tracker
// notices held while a re-join is under way. What belongs here: the record
// and the steps that change only it (a view, a joiner, a joiner gone) plus
// its plain-data form for UIs. Anything that talks to the tracker or spans
// groups stays in peer.ts.

import type { GroupCharter, GroupSummary, MemberInfo, PeerId, View } from '@chorus/protocol';
import type { GroupStatus, JoinedGroup, MemberState } from './api.ts';
import type { GroupSession } from './group-session.ts';
import type { GroupMetricsRecorder } from './metrics.ts';
import type { Transport } from './transport.ts';

export interface GroupEntry {
  summary: GroupSummary;
  status: GroupStatus;
  readonly session: GroupSession;
  view: View | null;
  /** Everyone seen in a view of this group, for the members panel (online = in the current view). */
  readonly known: Map<PeerId, MemberInfo>;
  /** Phase-one joiners the tracker told us about: we keep links to them too. */
  readonly joiners: Map<PeerId, MemberInfo>;
  /** Resolves when the session is a full member (history synced). */
  member: Promise<void>;
  /** The password this tab joined with, in memory only: re-joins and restores of a locked group need it. */
  readonly password: string | undefined;
  /**
   * The group's charter from the join reply, in memory only: the proof a restore needs after the tracker forgot the
   * group.
   */
  readonly charter: GroupCharter | undefined;
  readonly unsubscribe: (() => void)[];
  /**
   * While a re-join attempt is under way: the tracker's notices for the group
   * (views, joiners), kept in order for the session that attempt makes. The
   * old session must not act on views of the group it is being replaced in,
   * and the new one must see every view from its join on (PROTOCOL.md §2,
   * "Restore"). Null otherwise.
   */
  held: TrackerNotice[] | null;
  /** The highest own seq the sessions this entry replaced sent (its new engine goes on above it). */
  readonly sentSeq: number;
  /** The group's counts (metrics), kept across the re-joins of this page, as the session's. */
  readonly metrics: GroupMetricsRecorder;
}

export type TrackerNotice =
  | { readonly kind: 'view'; readonly view: View }
  | { readonly kind: 'joining'; readonly peer: MemberInfo }
  | { readonly kind: 'joiner-gone'; readonly peerId: PeerId };

/** Links to everyone in `members` and to the joiners we were told of, never to ourselves. */
export function setLinks(
  entry: GroupEntry,
  members: readonly MemberInfo[],
  self: PeerId,
  transport: Transport | null,
): void {
  const peers = new Map<PeerId, MemberInfo>();
  for (const m of members) peers.set(m.peerId, m);
  for (const [p, m] of entry.joiners) peers.set(p, m);
  peers.delete(self);
  transport?.setPeers(entry.summary.groupId, [...peers.values()]);
}

export function isInstalled(entry: GroupEntry, self: PeerId): boolean {
  return entry.view?.members.some((m) => m.peerId === self) === true;
}

/** A view from the tracker. True when it changed the entry (the caller tells the UI). */
export function applyView(entry: GroupEntry, view: View, self: PeerId, transport: Transport | null): boolean {
  if (entry.status === 'left' || entry.status === 'removed') return false;
  if (entry.held !== null) {
    entry.held.push({ kind: 'view', view });
    return false;
  }
  // An older view (a links-ready answer overtaken by the push of the next view) changes nothing:
  // its member list would close the link to whoever the newer view added.
  if (entry.view !== null && view.viewId < entry.view.viewId) return false;
  entry.view = view;
  for (const m of view.members) {
    entry.known.set(m.peerId, m);
    entry.joiners.delete(m.peerId);
  }
  entry.summary = { ...entry.summary, online: view.members.length };
  setLinks(entry, view.members, self, transport);
  entry.session.onTrackerView(view);
  return true;
}

/** A joiner we were told of left or failed before it was installed: stop keeping a link to it. */
export function applyJoinerGone(entry: GroupEntry, peerId: PeerId, self: PeerId, transport: Transport | null): void {
  if (entry.held) entry.held.push({ kind: 'joiner-gone', peerId });
  if (entry.held !== null || !entry.joiners.delete(peerId)) return;
  setLinks(entry, entry.view?.members ?? [], self, transport);
}

/** A phase-one joiner of the group: link to it and tell the session (or hold it during a re-join). */
export function applyJoining(entry: GroupEntry, peer: MemberInfo, self: PeerId, transport: Transport | null): void {
  if (entry.held !== null) {
    entry.held.push({ kind: 'joining', peer });
    return;
  }
  entry.joiners.set(peer.peerId, peer);
  entry.session.noteJoining(peer);
  setLinks(entry, entry.view?.members ?? [], self, transport);
}

/** The plain-data form a UI gets; `relayOf` names the member a relayed link goes through. */
export function joinedGroup(e: GroupEntry, relayOf?: Transport['relayOf']): JoinedGroup {
  const online = new Set(e.view?.members.map((m) => m.peerId) ?? []);
  const members: MemberState[] = [...e.known.values()].map((m) => {
    const via = online.has(m.peerId) ? (relayOf?.(e.summary.groupId, m.peerId) ?? null) : null;
    return via === null ? { ...m, online: online.has(m.peerId) } : { ...m, online: true, via };
  });
  return {
    groupId: e.summary.groupId,
    name: e.summary.name,
    ordering: e.summary.ordering,
    status: e.status,
    view: e.session.view ?? e.view,
    members,
    ...(e.session.olderHistory === 'arriving' ? { olderHistory: true } : {}),
    ...(e.session.olderHistory === 'missing' ? { olderHistoryMissing: true } : {}),
  };
}
