// A pass-through Transport that notes when each bench DATA frame is handed
// to the mesh (sender side) and when it comes out of the mesh (receiver
// side, parsed, before signature check and engine). With the body's send
// stamp and the delivery event this splits one-way latency into: sender
// path (stamp → mesh), wire (mesh → mesh, incl. encoding, chunking, SCTP,
// parsing) and receiver path (mesh → delivered: verify, engine, ordering).
// No Node imports: Node workers and the browser page both use it.
import type { Transport, TransportEvents } from '@chorus/peer';
import {
  frameMessageId,
  type DataFrame,
  type GroupFrame,
  type GroupId,
  type MemberInfo,
  type PeerId,
} from '@chorus/protocol';
import { parseBody } from './load.ts';

const wallNow = (): number => performance.timeOrigin + performance.now();

/** Only the latency scenario's tags are timed (probes and throughput ladders would only fill memory). */
const TIMED_TAG_PREFIX = 'lat-';

export interface PathTimes {
  /** Per message, ms: stamp → DATA handed to the mesh (sender). */
  readonly sendPath: number[];
  /** Per message and receiver, ms: stamp → DATA out of the receiver's mesh. */
  readonly toArrival: number[];
  /** Per message and receiver, ms: DATA out of the mesh → delivered. */
  readonly receivePath: number[];
}

export class TimingProbe {
  /** Frames handed to the mesh since the last `takeSent`, by kind (`t`). */
  private sentFrames: Record<string, number> = {};
  private readonly handedOff = new Set<string>();
  private readonly arrivals = new Map<string, number>();
  private readonly byTag = new Map<string, PathTimes>();

  private times(tag: string): PathTimes {
    let t = this.byTag.get(tag);
    if (t === undefined) {
      t = { sendPath: [], toArrival: [], receivePath: [] };
      this.byTag.set(tag, t);
    }
    return t;
  }

  /** Counts one frame handed to the mesh (any kind, one per link it goes to). */
  sent(frame: GroupFrame): void {
    this.sentFrames[frame.t] = (this.sentFrames[frame.t] ?? 0) + 1;
  }

  /** The frames counted since the last call, by kind; the count starts again. */
  takeSent(): Record<string, number> {
    const s = this.sentFrames;
    this.sentFrames = {};
    return s;
  }

  handOff(frame: DataFrame): void {
    const id = `${frame.sender}:${frame.seq}`;
    if (this.handedOff.has(id)) return;
    const b = parseBody(frame.body);
    if (b === null || !b.tag.startsWith(TIMED_TAG_PREFIX)) return;
    this.handedOff.add(id);
    this.times(b.tag).sendPath.push(wallNow() - b.stamp);
  }

  arrive(frame: DataFrame): void {
    // The delivered message's id (group/sender:seq), which deliver() is called with.
    const id: string = frameMessageId(frame);
    if (this.arrivals.has(id)) return;
    const b = parseBody(frame.body);
    if (b === null || !b.tag.startsWith(TIMED_TAG_PREFIX)) return;
    const at = wallNow();
    this.arrivals.set(id, at);
    this.times(b.tag).toArrival.push(at - b.stamp);
  }

  deliver(id: string, body: string): void {
    const arrived = this.arrivals.get(id);
    if (arrived === undefined) return;
    this.arrivals.delete(id);
    const b = parseBody(body);
    if (b === null) return;
    this.times(b.tag).receivePath.push(wallNow() - arrived);
  }

  take(tag: string): PathTimes {
    const t = this.times(tag);
    this.byTag.delete(tag);
    // Ids of this run are not needed again; the next run's frames carry new seqs.
    this.handedOff.clear();
    this.arrivals.clear();
    return t;
  }
}

export class TimingTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly probe: TimingProbe,
  ) {}

  get self(): PeerId {
    return this.inner.self;
  }

  setPeers(groupId: GroupId, peers: readonly MemberInfo[]): void {
    this.inner.setPeers(groupId, peers);
  }

  send(groupId: GroupId, to: PeerId, frame: GroupFrame): void {
    if (frame.t === 'data') this.probe.handOff(frame);
    this.probe.sent(frame);
    this.inner.send(groupId, to, frame);
  }

  openPeers(groupId: GroupId): readonly PeerId[] {
    return this.inner.openPeers(groupId);
  }

  on<K extends keyof TransportEvents>(event: K, listener: TransportEvents[K]): () => void {
    if (event !== 'frame') return this.inner.on(event, listener);
    const l = listener as TransportEvents['frame'];
    return this.inner.on('frame', (groupId, from, frame) => {
      if (frame.t === 'data') this.probe.arrive(frame);
      l(groupId, from, frame);
    });
  }

  close(groupId?: GroupId): void {
    this.inner.close(groupId);
  }
}
