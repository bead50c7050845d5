// What the terminal client and the archivist share: the history database,
// the identity for a name, a peer over real WebRTC (@roamhq/wrtc), and a
// first connect that is retried with backoff instead of giving up — a wrong
// or down tracker is reported and tried again, never a crash.

import wrtc from '@roamhq/wrtc';
import {
  Backoff,
  createPeer,
  loadOrCreateKeyPair,
  randomPeerId,
  TrackerClient,
  WebRtcMesh,
  type ChorusPeer,
  type MessageStore,
  type TrackerLink,
} from '@chorus/peer';
import {
  exportPublicKey,
  type DirectoryPage,
  type DirectoryQuery,
  type GroupId,
  type GroupSummary,
  type JoinReply,
  type RestoreGroupPayload,
} from '@chorus/protocol';
import { FileKeyStore, generateStorableIdentity } from './file-key-store.ts';
import type { Options } from './options.ts';
import { SqliteStore, type QuarantinedRow } from './sqlite-store.ts';

/** First retry after a failed connect comes quickly (a tracker that is starting), later ones spread out. */
export const CONNECT_RETRY_BASE_MS = 1_000;
/** Even a tracker down for hours is tried every half minute. */
export const CONNECT_RETRY_CAP_MS = 30_000;
/**
 * One connect attempt gives up after this. socket.io keeps trying in the
 * background meanwhile; the limit only decides how often we say so.
 */
export const CONNECT_ATTEMPT_MS = 5_000;

export interface Runtime {
  readonly peer: ChorusPeer;
  readonly store: SqliteStore;
  /** This identity's Ed25519 public key (base64). */
  readonly publicKey: string;
  /**
   * Asks the tracker for one page of the directory (groups whose name
   * contains `query`); its groups join what `peer.directory()` knows. The
   * hello carries only the first page and pushes are coalesced, so a name
   * is looked up before it is resolved.
   */
  readonly listDirectory: (query?: DirectoryQuery) => Promise<DirectoryPage>;
  /**
   * Re-registers a group a restarted tracker forgot, with the charter kept from a join (the tracker checks the proof).
   */
  readonly restoreGroup: (payload: RestoreGroupPayload) => Promise<GroupSummary>;
}

/** `wrap` lets the archivist see each durable batch (ReportingStore); the peer writes through what it returns. */
export async function openRuntime(
  opts: Options,
  onQuarantine: (row: QuarantinedRow) => void,
  wrap: (store: SqliteStore) => MessageStore = (s) => s,
): Promise<Runtime> {
  const store = new SqliteStore(opts.dbFile, { onQuarantine });
  try {
    const keyPair = await loadOrCreateKeyPair(new FileKeyStore(opts.keyFile), opts.name, generateStorableIdentity);
    const publicKey = await exportPublicKey(keyPair.publicKey);
    // The tracker client and mesh are built here (not by createPeer) only to shorten the first connect's timeout.
    const tracker = new TrackerClient({
      url: opts.trackerUrl,
      name: opts.name,
      peerId: randomPeerId(),
      keyPair,
      publicKey,
      socketOptions: { transports: ['websocket'] },
      firstConnectTimeoutMs: CONNECT_ATTEMPT_MS,
      // Members see an "archivist" badge; the label grants nothing.
      ...(opts.mode === 'archive' ? { role: 'archivist' as const } : {}),
    });
    const transport = new WebRtcMesh({ tracker, wrtc });
    const peer = createPeer({
      name: opts.name,
      tracker: keepingCharters(tracker, store),
      transport,
      store: wrap(store),
      identity: { keyPair, publicKey },
    });
    return {
      peer,
      store,
      publicKey,
      listDirectory: (query) => tracker.listDirectory(query),
      restoreGroup: (payload) => tracker.restoreGroup(payload),
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}

/**
 * The tracker link as the peer sees it, writing down each joined group's
 * charter: the peer keeps charters in memory only, and a process that
 * restarts after the tracker forgot a group needs one to restore it.
 */
function keepingCharters(tracker: TrackerClient, store: SqliteStore): TrackerLink {
  const join = async (groupId: GroupId, password?: string): Promise<JoinReply> => {
    const reply = await tracker.join(groupId, password);
    if (reply.charter !== undefined) {
      try {
        store.putCharter(reply.group.groupId, reply.charter);
      } catch {
        // Only a later restore needs it; the join itself is fine.
      }
    }
    return reply;
  };
  return new Proxy(tracker, {
    get(target, key) {
      if (key === 'join') return join;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export interface ConnectRetry {
  readonly attempt: number;
  readonly delayMs: number;
  readonly message: string;
}

/**
 * Connects, and on failure says why and tries again after a growing pause
 * (full jitter, CONNECT_RETRY_*). Resolves once connected; rejects only when
 * `stopped()` turns true (the user quit meanwhile).
 */
export async function connectWithRetry(
  peer: ChorusPeer,
  onRetry: (r: ConnectRetry) => void,
  stopped: () => boolean,
): Promise<void> {
  const backoff = new Backoff({
    baseMs: CONNECT_RETRY_BASE_MS,
    capMs: CONNECT_RETRY_CAP_MS,
    minMs: CONNECT_RETRY_BASE_MS / 2,
  });
  for (;;) {
    if (stopped()) throw new Error('Stopped before the tracker answered.');
    try {
      await peer.connect();
      return;
    } catch (e) {
      if (stopped()) throw e;
      const delayMs = backoff.next();
      onRetry({ attempt: backoff.attempt, delayMs, message: e instanceof Error ? e.message : String(e) });
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
