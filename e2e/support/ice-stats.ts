// Which ICE candidates a page's data channels really use: an init script
// records every RTCPeerConnection the app makes (on the way to the real
// constructor), and `selectedPairs` reads the selected candidate pair of each
// connected one from getStats(). `relay` at both ends = through TURN.

import type { Page } from '@playwright/test';

export const RTC_RECORDER_SCRIPT = `
(() => {
  const Real = window.RTCPeerConnection;
  const made = [];
  window.__chorusPeerConnections = made;
  window.RTCPeerConnection = class extends Real {
    constructor(config, ...rest) {
      super(config, ...rest);
      made.push({ pc: this, policy: (config && config.iceTransportPolicy) || 'all' });
    }
  };
})();
`;

export interface PagePair {
  /** The iceTransportPolicy the app asked for. */
  readonly policy: string;
  readonly local: string;
  readonly remote: string;
}

/** The selected candidate pair of every connected RTCPeerConnection of the page. */
export async function selectedPairs(page: Page): Promise<PagePair[]> {
  return page.evaluate(async () => {
    const made =
      (window as unknown as { __chorusPeerConnections?: { pc: RTCPeerConnection; policy: string }[] })
        .__chorusPeerConnections ?? [];
    const out: { policy: string; local: string; remote: string }[] = [];
    for (const { pc, policy } of made) {
      if (pc.connectionState !== 'connected') continue;
      const stats = await pc.getStats();
      const byId = new Map<string, Record<string, unknown>>();
      stats.forEach((s: Record<string, unknown>) => byId.set(String(s['id']), s));
      let pairId: unknown;
      stats.forEach((s: Record<string, unknown>) => {
        if (s['type'] === 'transport' && s['selectedCandidatePairId']) pairId = s['selectedCandidatePairId'];
      });
      const pair = byId.get(String(pairId));
      const local = byId.get(String(pair?.['localCandidateId']))?.['candidateType'];
      const remote = byId.get(String(pair?.['remoteCandidateId']))?.['candidateType'];
      out.push({ policy, local: String(local), remote: String(remote) });
    }
    return out;
  });
}
