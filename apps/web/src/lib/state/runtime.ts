// The seam between the app and the peer runtime. The runtime (simple-peer,
// socket.io-client, Buffer polyfills) is the heavy part of the bundle, so it
// is loaded with a dynamic import after the first paint: the name picker and
// the UI shell cost nothing of it.

import type { ChatMessage, ChorusPeer, IdbKeyStore, IdbStore, StoreProblem, StoredMessage } from '@chorus/peer';

export interface StoreHooks {
  readonly onProblem: (problem: StoreProblem) => void;
  readonly onRecovered: () => void;
}

export interface Runtime {
  openStore(hooks: StoreHooks): IdbStore;
  createPeer(opts: { trackerUrl: string; name: string; store: IdbStore; keyStore: IdbKeyStore }): ChorusPeer;
}

export async function loadRuntime(): Promise<Runtime> {
  const peer = await import('@chorus/peer');
  return {
    openStore: (hooks) => new peer.IdbStore(hooks),
    createPeer: (opts) => peer.createPeer(opts),
  };
}

/** A stored (delivered) message as the chat view shows it, before the runtime is up. */
export function chatMessageFromStored(item: StoredMessage): ChatMessage {
  return {
    id: item.id,
    groupId: item.groupId,
    sender: item.frame.sender,
    senderName: item.senderName,
    body: item.frame.body,
    sentAt: item.frame.sentAt,
    order: item.order,
    state: 'delivered',
    viewId: item.frame.viewId,
  };
}
