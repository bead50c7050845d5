// This tab's connection to the tracker as the page shows it: the peer's
// connection state, whether it was up once (a later 'connecting' is a
// reconnect), the browser's word on the network, and the first connect,
// retried with backoff until the tracker answers. AppState drives it.

import type { ChorusPeer, ConnectionState } from '@chorus/peer';
import { Backoff, errorMessage } from '@chorus/peer/light';
import type { Banners } from './banners.svelte.ts';

/**
 * The runtime's first connect gives up after a while; the tab keeps asking,
 * starting soon (a tracker restart takes a second or two) and backing off to
 * this cap so a long outage costs nothing. Jittered, so the tabs a tracker
 * restart dropped do not all come back in the same second.
 */
const CONNECT_RETRY_FIRST_MS = 1_000;
const CONNECT_RETRY_MAX_MS = 15_000;

export type ConnectionView = {
  readonly label: 'Online' | 'Connecting…' | 'Reconnecting…' | 'Offline';
  readonly tone: 'online' | 'connecting' | 'offline';
};

export class Connection {
  #state = $state<ConnectionState>('offline');
  /** The tracker connection was up once: a later 'connecting' is a reconnect. */
  #wasOnline = $state(false);
  /** What the browser says of the network (`navigator.onLine`): false is surely offline, true proves nothing. */
  #network = $state(true);

  get state(): ConnectionState {
    return this.#state;
  }
  /**
   * Your own connection, honestly: "Offline" as soon as the browser says the
   * network is gone (the tracker socket takes a while to notice),
   * "Reconnecting…" while a dropped tracker connection is being restored.
   */
  get view(): ConnectionView {
    if (!this.#network || this.#state === 'offline') return { label: 'Offline', tone: 'offline' };
    if (this.#state === 'online') return { label: 'Online', tone: 'online' };
    return { label: this.#wasOnline ? 'Reconnecting…' : 'Connecting…', tone: 'connecting' };
  }

  /** The peer's (or the boot's) word on the tracker connection. */
  set(state: ConnectionState): void {
    this.#state = state;
    if (state === 'online') this.#wasOnline = true;
  }

  /** The browser's own word on the network (`online` / `offline` events). */
  setNetwork(online: boolean): void {
    this.#network = online;
  }

  /** The session ended (quit): the next one starts as a first connect. */
  reset(): void {
    this.#state = 'offline';
    this.#wasOnline = false;
  }
}

/**
 * Connects the peer, retrying with backoff (and a banner saying so) until it
 * answers. False when `current` says the peer was dropped meanwhile (quit).
 */
export async function connectUntilUp(peer: ChorusPeer, banners: Banners, current: () => boolean): Promise<boolean> {
  const backoff = new Backoff({
    baseMs: CONNECT_RETRY_FIRST_MS,
    capMs: CONNECT_RETRY_MAX_MS,
    minMs: CONNECT_RETRY_FIRST_MS / 2,
  });
  for (;;) {
    try {
      await peer.connect();
      return true;
    } catch (e) {
      if (!current()) return false;
      banners.show(
        'connection',
        `Cannot reach the tracker (${errorMessage(e)}). Chorus keeps trying; cached history stays readable.`,
      );
      await new Promise((r) => setTimeout(r, backoff.next()));
      if (!current()) return false; // the person quit meanwhile
    }
  }
}
