// Who is who in one group, as far as names and public keys go: learned from
// tracker views and joining notices (authoritative) or from a sponsor's
// history items (only for senders no view named). Holds text only; importing
// keys and verifying signatures is the runtime's business.

import type { PeerId } from '../ids.ts';
import type { MemberInfo } from '../tracker/events.ts';

interface Entry {
  readonly name: string;
  readonly publicKey: string;
}

/** What to call a sender nobody named: the start of its peer id, as a UI shows unknown users. */
export const shortName = (peerId: PeerId): string => `peer-${peerId.slice(0, 6)}`;

export class NameBook {
  readonly #entries = new Map<PeerId, Entry>();
  readonly #fromTracker = new Set<PeerId>();

  /** Members named by the tracker (a view or a joining notice): they replace what a sponsor said. */
  learn(members: readonly MemberInfo[]): void {
    for (const m of members) {
      this.#entries.set(m.peerId, { name: m.name, publicKey: m.publicKey });
      this.#fromTracker.add(m.peerId);
    }
  }

  /** A sender named only by a sponsor's history item: kept if no view ever named it. */
  vouch(peerId: PeerId, name: string | undefined, publicKey: string | undefined): void {
    if (this.#fromTracker.has(peerId) || this.#entries.has(peerId) || publicKey === undefined) return;
    this.#entries.set(peerId, { name: name ?? shortName(peerId), publicKey });
  }

  /** The name we know, else `fallback` (a sponsor's word without a key), else the short id. */
  name(peerId: PeerId, fallback?: string): string {
    return this.#entries.get(peerId)?.name ?? fallback ?? shortName(peerId);
  }

  publicKey(peerId: PeerId): string | null {
    return this.#entries.get(peerId)?.publicKey ?? null;
  }
}
