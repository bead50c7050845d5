// Where an event for a peer id (or for every session of a key) goes: the
// socket bound to that peer id on this node, found in one map, and with
// several nodes (Redis) the same delivery asked of every other node through
// the adapter's server-side emit. No Socket.IO room per session: a room is a
// Set, its name and a map entry per socket, several hundred bytes of every
// idle connection (apps/tracker/README.md "Memory per connection").

import type { PeerId, ServerToClientEvents } from '@chorus/protocol';
import type { ChorusSocket } from './socket-session.ts';
import type { ChorusServer } from './tracker-service.ts';

type Event = keyof ServerToClientEvents;
type Payload<E extends Event> = Parameters<ServerToClientEvents[E]>[0];
type Emit = (event: Event, payload: unknown) => void;

export class PeerRoutes {
  /** The socket of each peer id bound on this node (the newest hello wins a takeover). */
  private readonly sockets = new Map<PeerId, ChorusSocket>();

  /** `multiNode`: other tracker nodes share the store (Redis); deliveries not found here are asked of them. */
  constructor(
    private readonly io: ChorusServer,
    private readonly multiNode: boolean,
  ) {
    if (multiNode) {
      io.on('peers:deliver', (peers, event, payload) => {
        this.here(peers as PeerId[], event as Event, payload);
      });
      io.on('key:deliver', (publicKey, event, payload) => {
        this.keyHere(publicKey, event as Event, payload);
      });
    }
  }

  /** From now on events for `peerId` on this node go to `socket`; returns the socket it replaces, if any. */
  bind(peerId: PeerId, socket: ChorusSocket): ChorusSocket | undefined {
    const before = this.sockets.get(peerId);
    this.sockets.set(peerId, socket);
    return before;
  }

  /** `socket` no longer takes `peerId`'s events (it left or failed its hello); `restore` takes them again if open. */
  unbind(peerId: PeerId, socket: ChorusSocket, restore?: ChorusSocket): void {
    if (this.sockets.get(peerId) !== socket) return;
    if (restore !== undefined && restore.connected) this.sockets.set(peerId, restore);
    else this.sockets.delete(peerId);
  }

  /** Whether `socket` takes `peerId`'s events on this node. */
  has(peerId: PeerId, socket: ChorusSocket): boolean {
    return this.sockets.get(peerId) === socket;
  }

  /** One event to the session of each peer id, wherever it is connected. */
  to<E extends Event>(peers: readonly PeerId[], event: E, payload: Payload<E>): void {
    if (peers.length === 0) return;
    const found = this.here(peers, event, payload);
    if (this.multiNode && found < peers.length) this.io.serverSideEmit('peers:deliver', [...peers], event, payload);
  }

  /** One event to every session of a key (a person's tabs), on every node. */
  toKey<E extends Event>(publicKey: string, event: E, payload: Payload<E>): void {
    this.keyHere(publicKey, event, payload);
    if (this.multiNode) this.io.serverSideEmit('key:deliver', publicKey, event, payload);
  }

  private here(peers: readonly PeerId[], event: Event, payload: unknown): number {
    let found = 0;
    for (const p of peers) {
      const socket = this.sockets.get(p);
      if (socket === undefined) continue;
      (socket.emit as Emit)(event, payload);
      found++;
    }
    return found;
  }

  private keyHere(publicKey: string, event: Event, payload: unknown): void {
    for (const socket of this.sockets.values()) {
      if (socket.data.session?.publicKey === publicKey) (socket.emit as Emit)(event, payload);
    }
  }
}
