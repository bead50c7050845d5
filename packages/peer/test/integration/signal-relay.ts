// An in-process stand-in for the tracker's signaling relay, for mesh tests
// that need no directory or views: it forwards `signal` between meshes with
// `from` set, exactly as the tracker does, and records link reports. Every
// other TrackerLink call fails loudly, so a test cannot lean on it by mistake.

import type { GroupId, HelloReply, LinkState, PeerId, SignalDelivery } from '@chorus/protocol';
import { asPeerId } from '@chorus/protocol';
import { Emitter } from '../../src/emitter.ts';
import type { TrackerLink, TrackerLinkEvents } from '../../src/tracker-link.ts';

export interface LinkReportRecord {
  readonly from: PeerId;
  readonly groupId: GroupId;
  readonly peer: PeerId;
  readonly state: LinkState;
}

export class SignalRelay {
  readonly #ends = new Map<PeerId, RelayEnd>();
  readonly reports: LinkReportRecord[] = [];
  /** Signals relayed so far (a test can check reconnects went through signaling). */
  relayed = 0;

  end(peerId: string): RelayEnd {
    const end = new RelayEnd(asPeerId(peerId), this);
    this.#ends.set(end.peerId, end);
    return end;
  }

  deliver(from: PeerId, groupId: GroupId, to: PeerId, data: unknown): void {
    const target = this.#ends.get(to);
    if (!target) return;
    this.relayed += 1;
    // JSON round trip, as through socket.io, and async like a network hop.
    const copy: unknown = JSON.parse(JSON.stringify(data));
    setTimeout(() => target.receive({ groupId, from, data: copy }), 0);
  }
}

const unsupported = (what: string): never => {
  throw new Error(`SignalRelay does not implement ${what}; use a real tracker for that.`);
};

export class RelayEnd implements TrackerLink {
  readonly peerId: PeerId;
  readonly state = 'online' as const;
  readonly hello: HelloReply | null = null;
  readonly directory = [];
  readonly #relay: SignalRelay;
  readonly #events = new Emitter<TrackerLinkEvents>();

  constructor(peerId: PeerId, relay: SignalRelay) {
    this.peerId = peerId;
    this.#relay = relay;
  }

  receive(delivery: SignalDelivery): void {
    this.#events.emit('signal', delivery);
  }

  signal(groupId: GroupId, to: PeerId, data: unknown): void {
    this.#relay.deliver(this.peerId, groupId, to, data);
  }

  reportLink(groupId: GroupId, peer: PeerId, state: LinkState): void {
    this.#relay.reports.push({ from: this.peerId, groupId, peer, state });
  }

  on<K extends keyof TrackerLinkEvents>(event: K, listener: TrackerLinkEvents[K]): () => void {
    return this.#events.on(event, listener);
  }

  connect = (): never => unsupported('connect');
  createGroup = (): never => unsupported('createGroup');
  restoreGroup = (): never => unsupported('restoreGroup');
  openDm = (): never => unsupported('openDm');
  join = (): never => unsupported('join');
  linksReady = (): never => unsupported('linksReady');
  leave = (): never => unsupported('leave');
  members = (): never => unsupported('members');
  view = (): never => unsupported('view');
  reportMetrics = (): void => {};
  accuse = (): void => {};
  close = async (): Promise<void> => {};
}
