// The mesh reports its links to the tracker itself (webrtc-mesh.ts). With a
// relay layer above it, a direct link that is down may still be relayed
// (PROTOCOL.md §1.6): the mesh's reports go through the layer, which says
// `relayed via X` instead of `down` while it has a route. This wraps a tracker
// link so that only `reportLink` is redirected; the mesh files stay as they are.

import type { GroupId, LinkReportState, PeerId } from '@chorus/protocol';
import type { TrackerLink } from '../tracker-link.ts';

export type LinkReporter = (groupId: GroupId, peer: PeerId, state: LinkReportState, via?: PeerId) => void;

export interface ReportFilter {
  /** The tracker link to give the mesh: every member is the real one's but `reportLink`. */
  readonly link: TrackerLink;
  /** Where the mesh's reports go from now on (the relay layer); unset, they go to the tracker. */
  route(to: LinkReporter | null): void;
}

export function reportFilter(tracker: TrackerLink): ReportFilter {
  let target: LinkReporter | null = null;
  const reportLink: LinkReporter = (groupId, peer, state, via) => {
    if (target) target(groupId, peer, state, via);
    else tracker.reportLink(groupId, peer, state, via);
  };
  const link = new Proxy(tracker, {
    get(t, key) {
      if (key === 'reportLink') return reportLink;
      const v: unknown = Reflect.get(t, key, t);
      // Bound to the real link: its methods use private fields a proxy does not have.
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(t) : v;
    },
  });
  return {
    link,
    route(to) {
      target = to;
    },
  };
}
