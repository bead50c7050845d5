// @chorus/protocol: the pure core the peer runtime and the apps build on.
// This barrel exports what packages/peer and the apps use (ids, results,
// tracker events and parsers, wire frames and caps, signing, the engine
// factory, the session core, history reading, message ops); everything else
// is internal to the package and its tests import it by path. Test doubles
// (the engine and session meshes) are `@chorus/protocol/testing`; the
// simulator is `@chorus/protocol/sim`.

export {
  asGroupId,
  asPeerId,
  asViewId,
  comparePeerIds,
  frameMessageId,
  type GroupId,
  type LeaveReason,
  type LinkState,
  type LinkReportState,
  messageId,
  type MessageId,
  type Ordering,
  type PeerId,
  type ViewId,
} from './ids.ts';
export { err, type ErrorCode, ok, type ProtocolError, type Result } from './result.ts';
export {
  type ChallengeReply,
  type ClientToServerEvents,
  type DirectoryDelta,
  type DirectoryPage,
  type DirectoryQuery,
  type GroupSummary,
  type HelloPayload,
  type HelloReply,
  ICE_TRANSPORT_POLICIES,
  type IceServer,
  type IceTransportPolicy,
  type InterServerEvents,
  type JoinerGoneNotice,
  type JoiningNotice,
  type JoinReply,
  type MemberInfo,
  type AccusePayload,
  type MetricsReport,
  type OpenDmPayload,
  type PeerRole,
  type RemovedNotice,
  type RestoreGroupPayload,
  type ServerToClientEvents,
  type SignalDelivery,
  type TrackerErrorNotice,
  type View,
} from './tracker/events.ts';
export type {
  DataFrame,
  EchoEntry,
  EchoFrame,
  FinalFields,
  FinalFrame,
  FileChunkFrame,
  FileFrame,
  FileNoneFrame,
  FileWantFrame,
  FlushFrame,
  FlushOkFrame,
  FlushStatement,
  FlushStatementFields,
  FlushOkStatementFields,
  HeldReport,
  GroupFrame,
  HistoryItem,
  HistoryRequestFrame,
  HistoryResponseFrame,
  JoinerState,
  RelayFrame,
  RelayKind,
  SignalFrame,
  SignedFields,
} from './wire/frames.ts';
export {
  canonicalRelayText,
  MAX_RELAY_BODY_CHARS,
  type ProbeBody,
  probeBodyText,
  readProbeBody,
  SIGNED_RELAY_TAG,
} from './wire/relay-frame.ts';
export {
  BAD_RELAY_GAPS,
  BAD_RELAY_WINDOW_MS,
  PROBE_INTERVAL_MS,
  RELAY_AFTER_MS,
  RelayRoute,
  type RouteChange,
  type RouteEnvelope,
  type RouteTimes,
  ROUTE_TIMES,
  ROUTE_TTL_MS,
  type Taken,
} from './relay/relay-route.ts';
export type { OrderingEngine } from './ordering/engine.ts';
export {
  DIRECTORY_PAGE_BYTES,
  DIRECTORY_PAGE_GROUPS,
  helloSigningText,
  jsonByteLength,
  MAX_VIEW_ID,
  parseCreateGroup,
  type ParsedCreateGroup,
  type ParsedDirectoryQuery,
  parseDirectoryQuery,
  type ParsedJoinGroup,
  type ParsedAccusation,
  type ParsedLinkReport,
  type ParsedMetricsReport,
  type ParsedRestoreGroup,
  type ParsedSignal,
  parseGroupRef,
  parseHello,
  parseJoinGroup,
  parseAccusation,
  parseLinkReport,
  parseMetricsReport,
  type ParsedOpenDm,
  parseOpenDm,
  parseRestoreGroup,
  parseSignal,
} from './tracker/parse.ts';
export {
  charterGroupId,
  type GroupCharter,
  lockCostAcceptable,
  MAX_SCRYPT_MEMORY_BYTES,
  parseCharter,
  parseParties,
} from './tracker/charter.ts';
export {
  dmGroupId,
  type DmParties,
  type DmParty,
  isDmGroupId,
  isParty,
  otherParty,
  sortParties,
} from './tracker/dm.ts';
export { fingerprint, nameSkeleton, withFingerprint } from './fingerprint.ts';
export {
  MAX_BODY_CHARS,
  MAX_FLUSH_ITEMS,
  MAX_FRAME_BYTES,
  MAX_HISTORY_ITEMS,
  MAX_PRIORITY,
  MAX_SENT_AT_MS,
} from './wire/caps.ts';
export {
  canonicalFinalBytes,
  canonicalFinalText,
  canonicalFlushBytes,
  canonicalFlushText,
  canonicalFlushOkBytes,
  canonicalFlushOkText,
  flushOkStatementOf,
  canonicalSignedBytes,
  encodeFrame,
} from './wire/canonical.ts';
export { contradicts, finalOfEcho, type FinalProof } from './ordering/final-proof.ts';
export {
  finalItemOf,
  finalsFrameOf,
  finalsOf,
  listHolds,
  proposesOf,
  type FinalItem,
  type FinalsFrame,
  type ProposeItem,
  type ProposesFrame,
} from './wire/cumulative.ts';
export {
  flushContradicts,
  isFlushProof,
  proofContradicts,
  type AccusationProof,
  type FlushProof,
} from './ordering/flush-proof.ts';
export { reportHash } from './ordering/flush-agreement.ts';
export { chainAnchors, GENESIS_PREV, linkHash } from './wire/chain.ts';
export { encodeForWire } from './wire/chunking.ts';
export { FrameReader } from './wire/frame-reader.ts';
export { noteReceivedBytes, pageWireBytes } from './wire/parse-history-frames.ts';
export { BatchWriter, encodeBatch, parseChannelMessage } from './wire/batch.ts';
export { SIGNAL_MIN_INTERVAL_MS, SIGNAL_RECEIVE_INTERVAL_MS, SignalGate } from './wire/signal-gate.ts';
export {
  exportPublicKey,
  readPublicKey,
  signFields,
  signFinal,
  signFlush,
  signFlushOk,
  signText,
  verifyFinal,
  verifyFlush,
  verifyFlushOk,
  verifyFrame,
  verifyProof,
  verifyText,
} from './crypto/signing.ts';
export { generateIdentity } from './crypto/identity.ts';
export { createEngine, type EngineResume } from './ordering/create-engine.ts';
export { MAX_BUFFERED_BYTES_PER_PEER, MAX_BUFFERED_FRAMES } from './ordering/frame-gate.ts';
export { UNSHOWN_STATE_GRACES } from './ordering/agreement-watch.ts';
export {
  type HeldVector,
  type OwnFrames,
  HISTORY_PAGE_BYTES,
  type OlderPage,
  type OlderPageInput,
  readHeld,
  readHistoryPage,
  readOlderPage,
  recordFloors,
  settledHeld,
  settledAbove,
} from './history/history-reader.ts';
export { resumePoint } from './ordering/resume-point.ts';
export type { StoredOwn } from './session/own-reissue.ts';
export {
  HISTORY_REASK_MIN_MS,
  HISTORY_RETRY_MS,
  MAX_OUTBOX,
  METRICS_REPORT_MS,
  resumeAfterSent,
  sponsorOrder,
  TICK_MS,
} from './session/policy.ts';
export type { SessionCommand, SessionCommands, SessionPhase, SessionProblem } from './session/session-types.ts';
export { SessionCore } from './session/session-core.ts';
export {
  encodeFileBody,
  encodeOp,
  groupOfMessageId,
  isOpBody,
  MAX_REACTION_CHARS,
  type MessageOp,
  opFits,
  opTextLimit,
  parseBody,
  type ParsedBody,
} from './ops/message-op.ts';
export {
  chunkCount,
  chunkLength,
  FILE_CHUNK_BYTES,
  FILE_CHUNK_SIZES,
  LEGACY_FILE_CHUNK_BYTES,
  MAX_FILE_BYTES,
  MAX_FILE_NAME_CHARS,
  sanitizeFileName,
  type FileMeta,
} from './files/file-meta.ts';
export {
  equalBytes,
  fromHex,
  leafHash,
  merkleLevels,
  merkleProof,
  proofLength,
  sha256Bytes,
  toHex,
  verifyChunk,
  type ProvenNodes,
} from './files/merkle.ts';
export { MAX_WANT_CHUNKS } from './wire/parse-file-frames.ts';
export { CHUNK_HEADER_BYTES, encodeChunkMessage, MAX_PROOF_HASHES, parseChunkMessage } from './wire/chunk-message.ts';
export { decodeChunkBase64, encodeChunkBase64 } from './files/chunk-base64.ts';
export { base64ToBytes, bytesToBase64 } from './crypto/base64.ts';
export { foldLog, type MessageView, OpFold, type Reaction, refusedOpText } from './ops/op-fold.ts';
export * as membership from './membership/index.ts';
export type { Membership, Effects as MembershipEffects, Step as MembershipStep } from './membership/index.ts';
