// Where each event of the peer goes: one line per event, each a call on the
// part of the page's state that owns what it changes. AppState subscribes
// through this on boot and unsubscribes on quit.

import type { ChorusPeer } from '@chorus/peer';
import type { Banners } from './banners.svelte.ts';
import type { Connection } from './connection.svelte.ts';
import type { DirectMessages } from './direct-messages.svelte.ts';
import type { FileTransfers } from './file-transfers.svelte.ts';
import type { JoinedGroups } from './joined-groups.svelte.ts';
import type { Joins } from './joins.svelte.ts';
import type { SeenState } from './seen.svelte.ts';
import type { TypingState } from './typing.svelte.ts';

export interface PeerEventOwners {
  readonly connection: Connection;
  readonly banners: Banners;
  readonly groups: JoinedGroups;
  readonly joins: Joins;
  readonly dms: DirectMessages;
  readonly typing: TypingState;
  readonly seen: SeenState;
  readonly files: FileTransfers;
  readonly clock: () => number;
}

/** Subscribes the owners to the peer's events; returns the unsubscribers. */
export function routePeerEvents(peer: ChorusPeer, o: PeerEventOwners): (() => void)[] {
  return [
    peer.on('connection', (state) => {
      o.connection.set(state);
      if (state === 'online') {
        o.banners.clear('connection');
        void o.joins.followTarget(); // an address opened while the tracker was out of reach
      }
    }),
    peer.on('directory', (groups) => o.joins.setDirectory(groups)),
    peer.on('group', (group) => {
      o.groups.changed(group);
      // A new view (someone joined, this tab became a member): say again what this tab shows.
      o.seen.resend(group.groupId);
      if (group.groupId === o.groups.currentId) o.seen.markRead();
    }),
    peer.on('dm', ({ group, opened }) => void o.dms.heard(group, opened)),
    peer.on('message', (message) => {
      if (message.state === 'delivered' && o.groups.get(message.groupId))
        o.typing.stopped(message.groupId, message.sender);
      o.groups.received(message);
      if (message.state === 'delivered' && message.groupId === o.groups.currentId) o.seen.markRead();
    }),
    peer.on('system', (line) => o.groups.get(line.groupId)?.addSystem(line)),
    peer.on('signal', (s) => {
      if (s.kind === 'typing' && o.groups.get(s.groupId)) o.typing.heard(s.groupId, s.from, s.name);
      o.seen.received(s);
    }),
    peer.on('transfer', (t) => o.files.progress(t)),
    peer.on('error', (e) => {
      const group = e.groupId ? o.groups.get(e.groupId) : null;
      if (group) group.addNote(e.message, 'error', o.clock(), e.topic);
      else o.banners.show('error', e.message);
    }),
  ];
}
