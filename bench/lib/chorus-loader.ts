// Loads the Chorus peer facade at run time, so a bench run made before
// packages/peer exports createPeer says "not run: <reason>" for the rows that
// need it instead of failing to start at all.
import type { GroupId } from '@chorus/protocol';
import type { ChorusPeer } from '../../packages/peer/src/api.ts';
import type { MessageStore } from '../../packages/peer/src/storage.ts';

export interface CreatePeerOptions {
  readonly trackerUrl: string;
  readonly name: string;
  readonly wrtc?: unknown;
  readonly store?: MessageStore;
}

export interface ChorusHandle {
  readonly peer: ChorusPeer;
  groupId(raw: string): GroupId;
  join(groupId: string): Promise<unknown>;
}

type CreatePeer = (opts: CreatePeerOptions) => ChorusPeer;

/** The module specifier is a variable so type-checking does not depend on the export existing yet. */
const PEER_MODULE: string = '@chorus/peer';

export const loadCreatePeer = async (): Promise<CreatePeer> => {
  const mod = (await import(PEER_MODULE)) as { createPeer?: unknown };
  if (typeof mod.createPeer !== 'function') throw new Error('@chorus/peer does not export createPeer yet');
  return mod.createPeer as CreatePeer;
};

export const loadChorus = async (opts: { trackerUrl: string; name: string; wrtc?: unknown; store: MessageStore | null }): Promise<ChorusHandle> => {
  const createPeer = await loadCreatePeer();
  const peer = createPeer({
    trackerUrl: opts.trackerUrl,
    name: opts.name,
    ...(opts.wrtc === undefined ? {} : { wrtc: opts.wrtc }),
    ...(opts.store === null ? {} : { store: opts.store }),
  });
  return {
    peer,
    groupId: (raw) => raw as GroupId,
    join: (raw) => peer.join(raw as GroupId),
  };
};
