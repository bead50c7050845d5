// Wires `peer.files` (FileHub) to a Peer: its blob store, its groups (the
// session sends a file's message; a bad chunk counts in the group's rejected
// frames, its sender named as the UIs name people), its events (`transfer`
// and `error` out, delivered messages in for auto-download). Kept out of
// peer.ts so the facade stays a list of calls.

import { ChorusError } from '../chorus-error.ts';
import type { Emitter } from '../emitter.ts';
import type { GroupEntry } from '../group-entry.ts';
import type { PeerEvents } from '../group-join.ts';
import type { CreatePeerOptions } from '../peer-options.ts';
import type { MessageStore } from '../storage.ts';
import { withFingerprint, type GroupId, type PeerId } from '@chorus/protocol';
import { blobStoreOf } from './blob-store.ts';
import { FileHub } from './file-hub.ts';

export function peerFiles(
  opts: CreatePeerOptions,
  store: MessageStore,
  self: PeerId,
  now: () => number,
  events: Emitter<PeerEvents>,
  group: (groupId: GroupId) => GroupEntry | undefined,
): FileHub {
  const hub = new FileHub(
    {
      store: opts.blobStore ?? blobStoreOf(store),
      self,
      now,
      sendBody: (groupId, body) => {
        const s = group(groupId)?.session;
        if (!s) return Promise.reject(new ChorusError('not-member', 'Join the group before sending to it.'));
        return s.send(body);
      },
      countRejected: (groupId) => group(groupId)?.metrics.recordRejected(),
      problem: (groupId, code, message, topic) =>
        events.emit('error', { groupId, code, message, ...(topic === undefined ? {} : { topic }) }),
      memberLabel: (groupId, peer) => {
        const m = group(groupId)?.known.get(peer);
        return m === undefined ? `a member (session ${peer.slice(0, 8)})` : withFingerprint(m.name, m.publicKey);
      },
      emit: (e) => events.emit('transfer', e),
    },
    opts.files,
  );
  events.on('message', (m) => hub.noteMessage(m));
  return hub;
}
