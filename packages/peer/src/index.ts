// @chorus/peer: the peer runtime, the same code in the browser and in Node.
// UIs use createPeer (the ChorusPeer facade); tests and tools reach the
// pieces underneath (sessions, in-memory network and tracker, stores).

export type * from './api.ts';
export type * from './storage.ts';
export { checkGroupRecords, wrongGroup } from './storage.ts';
export type * from './transport.ts';
export type * from './tracker-link.ts';
export { createPeer, LINKS_READY_TIMEOUT_MS, type CreatePeerOptions, type PeerIdentity } from './peer.ts';
export {
  GroupSession, TICK_MS, METRICS_REPORT_MS, HISTORY_RETRY_MS,
  type GroupSessionOptions, type GroupSessionEvents, type SessionPhase, type SessionProblem,
} from './group-session.ts';
export { ChorusError, errorCode, errorMessage } from './chorus-error.ts';
export { chatFromStored } from './stored-chat.ts';
export { parseCommand, resolveGroup, isCommandError, isCommandLine, COMMAND_USAGE, type Command, type CommandError } from './commands.ts';
export { GroupMetricsRecorder, percentile } from './metrics.ts';
export { MemoryStore } from './memory-store.ts';
export { MemoryKeyStore, loadOrCreateKeyPair, randomPeerId, randomRestoreOffset, type KeyStore } from './key-store.ts';
export { MemoryNetwork, MemoryTransport, type MemoryNetworkOptions } from './memory-transport.ts';
export { MemoryTracker, MemoryTrackerLink, type TrackerRequestKind } from './memory-tracker.ts';
export { Emitter } from './emitter.ts';
export { IdbStore, IdbKeyStore, IDB_NAME, IDB_VERSION, IDB_WRITE_BATCH_MS, IDB_WRITE_RETRY_MS, type IdbStoreOptions, type IdentityRecord, type StoreProblem, type StoreProblemKind } from './idb-store.ts';
export { TrackerClient, TrackerRequestError, ACK_TIMEOUT_MS, FIRST_CONNECT_TIMEOUT_MS, type TrackerClientOptions } from './tracker-client.ts';
export { WebRtcMesh, type WebRtcMeshOptions } from './mesh/webrtc-mesh.ts';
export { wireCodec, type FrameCodec, type FrameDecoder, type DecodeResult } from './mesh/frame-codec.ts';
export { HIGH_WATER_BYTES, LOW_WATER_BYTES } from './mesh/outbound-queue.ts';
export { CONNECT_TIMEOUT_MS } from './mesh/pair-link.ts';
export { Backoff, type BackoffOptions } from './backoff.ts';
