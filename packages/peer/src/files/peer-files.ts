// Wires `peer.files` (FileHub) to a Peer: its blob store, its groups' sessions
// (to send a file's message, to count a bad chunk in the group's rejected
// frames) and its events (`transfer` out, delivered messages in for
// auto-download). Kept out of peer.ts so the facade stays a list of calls.

import { ChorusError } from '../chorus-error.ts';
import type { Emitter } from '../emitter.ts';
import type { GroupSession } from '../group-session.ts';
import type { PeerEvents } from '../group-join.ts';
import type { CreatePeerOptions } from '../peer-options.ts';
import type { MessageStore } from '../storage.ts';
import type { GroupId, PeerId } from '@chorus/protocol';
import { blobStoreOf } from './blob-store.ts';
import { FileHub } from './file-hub.ts';

export function peerFiles(
  opts: CreatePeerOptions,
  store: MessageStore,
  self: PeerId,
  now: () => number,
  events: Emitter<PeerEvents>,
  session: (groupId: GroupId) => GroupSession | undefined,
): FileHub {
  const hub = new FileHub(
    {
      store: opts.blobStore ?? blobStoreOf(store),
      self,
      now,
      sendBody: (groupId, body) => {
        const s = session(groupId);
        if (!s) return Promise.reject(new ChorusError('not-member', 'Join the group before sending to it.'));
        return s.send(body);
      },
      rejected: (groupId, from, error) => session(groupId)?.rejectFrame(from, error),
      emit: (e) => events.emit('transfer', e),
    },
    opts.files,
  );
  events.on('message', (m) => hub.noteMessage(m));
  return hub;
}
