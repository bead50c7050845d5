// A hostile group member for the integration tests: it authenticates and
// joins through the real tracker like anyone (two-phase join, real WebRTC
// channels to every member), then speaks the wire directly — raw text it
// chooses, frames signed with its own key, nothing from the engine — or
// talks to the tracker as no honest peer would (links-ready without a
// channel).

import wrtc from '@roamhq/wrtc';
import type { DataFrame, GroupFrame, GroupId, PeerId, RemovedNotice, View } from '@chorus/protocol';
import { asViewId, exportPublicKey, GENESIS_PREV, generateIdentity, signFields } from '@chorus/protocol';
import { randomPeerId } from '../../src/key-store.ts';
import { TrackerClient } from '../../src/tracker-client.ts';
import { WebRtcMesh } from '../../src/mesh/webrtc-mesh.ts';
import { waitFor } from '../scenarios/network.ts';

export class HostilePeer {
  readonly frames: { from: PeerId; frame: GroupFrame }[] = [];
  readonly removed: RemovedNotice[] = [];
  view: View | null = null;
  /** Opens no channel at all, whatever views it gets (see joinSilently). */
  #silent = false;

  private constructor(
    readonly tracker: TrackerClient,
    readonly mesh: WebRtcMesh,
    readonly keyPair: CryptoKeyPair,
  ) {
    mesh.on('frame', (_g, from, frame) => this.frames.push({ from, frame }));
    tracker.on('view', (v) => this.#onView(v));
    tracker.on('removed', (n) => this.removed.push(n));
  }

  #onView(v: View): void {
    if (this.view !== null && this.view.groupId === v.groupId && v.viewId <= this.view.viewId) return;
    this.view = v;
    if (!this.#silent) this.mesh.setPeers(v.groupId, v.members);
  }

  get peerId(): PeerId {
    return this.tracker.peerId;
  }

  static async connect(trackerUrl: string, name: string): Promise<HostilePeer> {
    const keyPair = await generateIdentity();
    const tracker = new TrackerClient({
      url: trackerUrl,
      name,
      peerId: randomPeerId(),
      keyPair,
      publicKey: await exportPublicKey(keyPair.publicKey),
      socketOptions: { transports: ['websocket'] },
    });
    await tracker.connect();
    return new HostilePeer(tracker, new WebRtcMesh({ tracker, wrtc }), keyPair);
  }

  /** The same two-phase join an honest peer makes: channels to every member, then links-ready. */
  async join(groupId: GroupId): Promise<View> {
    const reply = await this.tracker.join(groupId);
    this.mesh.setPeers(groupId, reply.view.members);
    const others = reply.view.members.filter((m) => m.peerId !== this.peerId).length;
    await waitFor('hostile links up', () => this.mesh.openPeers(groupId).length === others);
    this.#onView(await this.tracker.linksReady(groupId));
    // Installed once the members confirm their channels to it too: then the view comes as a push.
    await waitFor('hostile installed', () => this.view?.members.some((m) => m.peerId === this.peerId) === true);
    return this.view as View;
  }

  /**
   * The silent fake member: joins and says links-ready while it keeps its
   * session alive (heartbeats), but never opens a data channel; the
   * members' offers go unanswered. Returns the links-ready answer.
   */
  async joinSilently(groupId: GroupId): Promise<View> {
    this.#silent = true;
    await this.tracker.join(groupId);
    const answer = await this.tracker.linksReady(groupId);
    this.#onView(answer);
    return answer;
  }

  /**
   * The dark member: once installed, closes every channel of the group and
   * answers no offer again, while its session keeps heartbeating.
   */
  goDark(groupId: GroupId): void {
    this.#silent = true;
    this.mesh.close(groupId);
  }

  /** Raw text to every open peer of the group; returns how many channels took it. */
  sendRaw(groupId: GroupId, text: string): number {
    let n = 0;
    for (const p of this.mesh.openPeers(groupId)) if (this.mesh.sendRaw(groupId, p, text)) n += 1;
    return n;
  }

  /**
   * A DATA frame signed with this peer's real key: `signed` sets its clocks,
   * view or chain link before signing (a validly signed lie), `over` changes fields after signing
   * (a signature of other bytes).
   */
  async signedData(
    groupId: GroupId,
    seq: number,
    body: string,
    over: Partial<DataFrame> = {},
    signed: Partial<Pick<DataFrame, 'lamport' | 'sentAt' | 'viewId' | 'prev'>> = {},
  ): Promise<DataFrame> {
    const fields = {
      groupId,
      viewId: this.view?.viewId ?? asViewId(1),
      sender: this.peerId,
      seq,
      lamport: seq,
      sentAt: Date.now(),
      body,
      prev: GENESIS_PREV,
      ...signed,
    };
    const sig = await signFields(this.keyPair.privateKey, fields);
    return { t: 'data', ...fields, sig, ...over };
  }

  async leave(groupId: GroupId): Promise<void> {
    await this.tracker.leave(groupId);
    this.mesh.close(groupId);
  }

  async close(): Promise<void> {
    this.mesh.destroy();
    await this.tracker.close();
  }
}
