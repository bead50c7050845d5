// What the mesh puts in a tracker `signal` payload's `data`. Every WebRTC
// connection attempt of a link gets a fresh connection id `c`, so signals of
// an abandoned attempt (still in flight through the tracker) can never be fed
// into the next one. A responder that lost its channel asks the initiator to
// re-offer with `restart` (only the initiator ever offers: no glare).

/** Connection ids are random tokens made by the initiator; anything longer is not ours. */
export const MAX_CONNECTION_ID_CHARS = 64;

export type SignalEnvelope =
  | { readonly c: string; readonly kind: 'rtc'; readonly rtc: RtcSignal }
  | { readonly c: string; readonly kind: 'restart' };

/** simple-peer's signal data: an offer/answer ({type, sdp}) or {candidate} etc. Checked for shape only. */
export type RtcSignal = Record<string, unknown> & { readonly type?: string };

export const rtcEnvelope = (c: string, rtc: unknown): unknown => ({ c, rtc });
export const restartEnvelope = (c: string): unknown => ({ c, restart: true });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Untrusted (another peer made it; the tracker only relays): a typed envelope or null. */
export function parseSignalEnvelope(data: unknown): SignalEnvelope | null {
  if (!isRecord(data)) return null;
  const c = data.c;
  if (typeof c !== 'string' || c.length === 0 || c.length > MAX_CONNECTION_ID_CHARS) return null;
  if (data.restart === true) return { c, kind: 'restart' };
  const rtc = data.rtc;
  if (!isRecord(rtc)) return null;
  if (rtc.type !== undefined && typeof rtc.type !== 'string') return null;
  if (rtc.sdp !== undefined && typeof rtc.sdp !== 'string') return null;
  if (
    rtc.sdp === undefined &&
    rtc.candidate === undefined &&
    rtc.renegotiate === undefined &&
    rtc.transceiverRequest === undefined
  )
    return null;
  return { c, kind: 'rtc', rtc: rtc as RtcSignal };
}

export const isOffer = (rtc: RtcSignal): boolean => rtc.type === 'offer';
