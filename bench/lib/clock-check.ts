// Checks that peers really share the wall clock the latency figures rely on:
// for each peer, the driver reads its own clock before and after asking the
// peer for its clock; the peer's reading must fall inside that interval if
// the clocks agree, so the offset is known to within half the round trip.
import type { PeerDriver } from './browser.ts';
import { wallNowMs } from './wall-clock.ts';

/** Round trips per peer; the tightest one bounds the offset best. */
const PROBES = 5;

export interface ClockAgreement {
  /** Largest |peer clock − driver clock| estimate over the peers, ms. */
  readonly maxOffsetMs: number;
  /** Half the tightest round trip of the worst peer: the uncertainty of that estimate, ms. */
  readonly boundMs: number;
}

export const checkClocks = async (peers: readonly PeerDriver[]): Promise<ClockAgreement> => {
  let maxOffset = 0;
  let bound = 0;
  for (const p of peers) {
    let best = { rtt: Infinity, offset: 0 };
    for (let i = 0; i < PROBES; i++) {
      const t0 = wallNowMs();
      const peerNow = await p.call<number>('now');
      const t1 = wallNowMs();
      if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: peerNow - (t0 + t1) / 2 };
    }
    if (Math.abs(best.offset) >= Math.abs(maxOffset)) {
      maxOffset = best.offset;
      bound = best.rtt / 2;
    }
  }
  return { maxOffsetMs: Math.abs(maxOffset), boundMs: bound };
};
