// The tracker as the simulator models it: the one authority for membership.
// It keeps the member list in admission order (oldest first, so "the younger
// of two" is well defined), the joiners still in phase one, and a viewId that
// only grows, also across a restart. It decides; the simulator carries its
// views to each node with a per-node delay.

import type { GroupId, LeaveReason, PeerId } from '../src/ids.ts';
import { asViewId } from '../src/ids.ts';
import type { MemberInfo, View, ViewChange } from '../src/tracker/events.ts';

export class ModelTracker {
  private viewId = 0;
  /** Admission order, oldest first. */
  readonly members: PeerId[] = [];
  /** Phase-one joiners in the order they asked. */
  readonly joining: PeerId[] = [];
  private readonly names = new Map<PeerId, string>();

  constructor(readonly groupId: GroupId) {}

  get currentViewId(): number {
    return this.viewId;
  }

  nameOf(peer: PeerId): string {
    return this.names.get(peer) ?? peer;
  }

  private info(peer: PeerId): MemberInfo {
    return { peerId: peer, name: this.nameOf(peer), publicKey: `sim-key:${peer}` };
  }

  view(changes: readonly ViewChange[]): View {
    return {
      groupId: this.groupId,
      viewId: asViewId(this.viewId),
      members: this.members.map((m) => this.info(m)),
      changes,
    };
  }

  /** The first view: the group's founders, all linked already. */
  found(peers: readonly { readonly peer: PeerId; readonly name: string }[]): View {
    for (const p of peers) {
      this.names.set(p.peer, p.name);
      this.members.push(p.peer);
    }
    this.viewId++;
    return this.view(peers.map((p) => ({ peerId: p.peer, change: 'joined' as const })));
  }

  /** Phase one of a join. */
  askToJoin(peer: PeerId, name: string): void {
    this.names.set(peer, name);
    this.joining.push(peer);
  }

  isMember(peer: PeerId): boolean {
    return this.members.includes(peer);
  }

  /** Phase two: the joiner's links to every member are up. */
  admit(peer: PeerId): View {
    this.joining.splice(this.joining.indexOf(peer), 1);
    this.members.push(peer);
    this.viewId++;
    return this.view([{ peerId: peer, change: 'joined' }]);
  }

  /** Removes a member (new view) or a phase-one joiner (no view); null when it is neither. */
  remove(peer: PeerId, reason: LeaveReason): View | null | 'joiner' {
    const j = this.joining.indexOf(peer);
    if (j >= 0) {
      this.joining.splice(j, 1);
      return 'joiner';
    }
    const i = this.members.indexOf(peer);
    if (i < 0) return null;
    this.members.splice(i, 1);
    this.viewId++;
    return this.view([{ peerId: peer, change: reason }]);
  }

  /** The younger (admitted later) of two members. */
  younger(a: PeerId, b: PeerId): PeerId {
    return this.members.indexOf(a) > this.members.indexOf(b) ? a : b;
  }

  /** After a restart the tracker re-sends the current view with no changes; viewId is kept (persisted). */
  restart(): View {
    return this.view([]);
  }
}
