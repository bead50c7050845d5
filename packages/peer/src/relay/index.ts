// Relayed links (PROTOCOL.md §1.6): the layer above the mesh and how a peer
// puts it there. `relayed(tracker, key, make)` builds the inner transport
// (the mesh) with a tracker link whose reports go through the relay layer.

import { signText } from '@chorus/protocol';
import type { TrackerLink } from '../tracker-link.ts';
import type { Transport } from '../transport.ts';
import { reportFilter } from './report-filter.ts';
import { RelayTransport } from './relay-transport.ts';
import type { RelayTransportOptions } from './relay-transport.ts';

export { RelayTransport } from './relay-transport.ts';
export { reportFilter } from './report-filter.ts';

/** A relay layer over the transport `make` builds (the mesh), signing envelopes with `privateKey`. */
export function relayed(
  tracker: TrackerLink,
  privateKey: CryptoKey,
  make: (tracker: TrackerLink) => Transport,
  opts: Partial<Omit<RelayTransportOptions, 'inner' | 'report' | 'sign'>> = {},
): RelayTransport {
  const filter = reportFilter(tracker);
  const relay = new RelayTransport({
    unreachedMs: () => tracker.hello?.linkGraceMs ?? 10_000,
    ...opts,
    inner: make(filter.link),
    report: (groupId, peer, state, via) => tracker.reportLink(groupId, peer, state, via),
    sign: (text) => signText(privateKey, text),
  });
  filter.route(relay.fromMesh);
  return relay;
}
