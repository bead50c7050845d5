// The options of createPeer (peer.ts): the identity, and what to inject in
// place of the defaults (tracker link, transport, stores, clock, timeouts).
// What belongs here: the shape of those options; what they do is peer.ts.

import type { BlobStore } from './files/blob-store.ts';
import type { FileOptions } from './files/file-hub.ts';
import type { KeyStore } from './key-store.ts';
import type { MessageStore } from './storage.ts';
import type { TrackerClientOptions } from './tracker-client.ts';
import type { TrackerLink } from './tracker-link.ts';
import type { Transport } from './transport.ts';

export interface PeerIdentity {
  readonly keyPair: CryptoKeyPair;
  /** Raw public key, base64; derived from the key pair when left out. */
  readonly publicKey?: string;
}

export interface CreatePeerOptions {
  readonly name: string;
  /** Tracker to connect to when no `tracker` is given (socket.io-client). */
  readonly trackerUrl?: string;
  readonly tracker?: TrackerLink;
  /** Data channels; a WebRTC mesh over the tracker when left out. */
  readonly transport?: Transport;
  /** `@roamhq/wrtc` in Node, for the default mesh. */
  readonly wrtc?: object;
  /** socket.io-client options for the default tracker client (Node passes `{ transports: ['websocket'] }`). */
  readonly socketOptions?: TrackerClientOptions['socketOptions'];
  readonly store?: MessageStore;
  /** Where files' bytes go; the message store's blobs (IdbStore, MemoryStore) by default. */
  readonly blobStore?: BlobStore;
  /** Files: size cap, auto-download limit, the unavailable and chunk timeouts (FileOptions in files/file-hub.ts). */
  readonly files?: FileOptions;
  readonly keyStore?: KeyStore;
  /** Use this key pair instead of the key store's one for `name`. Must match an injected tracker's. */
  readonly identity?: PeerIdentity;
  readonly now?: () => number;
  readonly linksReadyTimeoutMs?: number;
  /** How often each group reports its metrics to the tracker (METRICS_REPORT_MS by default). */
  readonly metricsReportMs?: number;
}
