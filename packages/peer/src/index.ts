// @chorus/peer: the peer runtime, the same code in the browser and in Node.
// This barrel exports what the apps use: createPeer (the ChorusPeer facade),
// the store and key-store seams with the IndexedDB implementation, the
// tracker client and WebRTC mesh a Node runtime wires itself, and the
// helpers a UI shares (errors, group lookup, backoff). What a page needs
// before the runtime loads is also `@chorus/peer/light`; the in-memory
// network, tracker and stores are `@chorus/peer/testing`.

export type * from './api.ts';
export type * from './storage.ts';
export { checkGroupRecords, reissues } from './storage.ts';
export type * from './transport.ts';
export type * from './tracker-link.ts';
export { createPeer, type CreatePeerOptions, type PeerIdentity } from './peer.ts';
export { HISTORY_RETRY_MS } from './group-session.ts';
export { errorCode, errorMessage } from './chorus-error.ts';
export { resolveGroup } from './commands.ts';
export { olderHistoryIn } from './older-history.ts';
export { loadOrCreateKeyPair, randomPeerId, randomRestoreOffset, type KeyStore } from './key-store.ts';
export { IdbStore, IdbKeyStore, type IdbStoreOptions, type StoreProblem, type StoreProblemKind } from './idb-store.ts';
export { TrackerClient, type TrackerClientOptions } from './tracker-client.ts';
export { WebRtcMesh, type WebRtcMeshOptions } from './mesh/webrtc-mesh.ts';
export { Backoff, type BackoffOptions } from './backoff.ts';
export {
  DEFAULT_AUTO_DOWNLOAD_BYTES,
  DEFAULT_MAX_FILE_BYTES,
  FILE_UNAVAILABLE_MS,
  withFile,
  type FileOptions,
} from './files/file-hub.ts';
export { CHUNK_TIMEOUT_MS, MAX_STRIKES, WANT_WINDOW } from './files/download.ts';
export { MemoryBlobs, type BlobRecord, type BlobStore, type StoredChunk } from './files/blob-store.ts';
export { FILE_CHUNK_BYTES, MAX_FILE_BYTES, sanitizeFileName } from '@chorus/protocol';
