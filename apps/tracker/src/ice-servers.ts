// ICE servers handed to a session at hello. With TURN_SECRET set, TURN
// entries get time-limited REST credentials (the coturn `use-auth-secret`
// scheme): username = `${expiry}:${peerId}`, credential = base64 HMAC-SHA1.

import { createHmac } from 'node:crypto';
import type { IceServer } from '@chorus/protocol';

/** coturn's documented default lifetime; a session re-hellos on reconnect and gets fresh ones. */
export const TURN_CREDENTIAL_TTL_S = 24 * 60 * 60;

const isTurn = (urls: string | readonly string[]): boolean =>
  (typeof urls === 'string' ? [urls] : urls).some((u) => u.startsWith('turn:') || u.startsWith('turns:'));

export function turnCredential(
  secret: string,
  peerId: string,
  nowMs: number,
  ttlS = TURN_CREDENTIAL_TTL_S,
): { username: string; credential: string } {
  const expiry = Math.floor(nowMs / 1000) + ttlS;
  const username = `${expiry}:${peerId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

export function iceServersFor(
  servers: readonly IceServer[],
  turnSecret: string | undefined,
  peerId: string,
  nowMs: number,
  ttlS = TURN_CREDENTIAL_TTL_S,
): readonly IceServer[] {
  if (turnSecret === undefined) return servers;
  return servers.map((s) =>
    isTurn(s.urls) && s.username === undefined ? { ...s, ...turnCredential(turnSecret, peerId, nowMs, ttlS) } : s,
  );
}
