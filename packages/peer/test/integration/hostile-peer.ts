// A hostile group member for the integration tests: it authenticates and
// joins through the real tracker like anyone (two-phase join, real WebRTC
// channels to every member), then speaks the wire directly — raw text it
// chooses, frames signed with its own key, nothing from the engine.

import wrtc from '@roamhq/wrtc';
import type { DataFrame, GroupFrame, GroupId, PeerId, View } from '@chorus/protocol';
import { asViewId, exportPublicKey, generateIdentity, signFields } from '@chorus/protocol';
import { randomPeerId } from '../../src/key-store.ts';
import { TrackerClient } from '../../src/tracker-client.ts';
import { WebRtcMesh } from '../../src/mesh/webrtc-mesh.ts';
import { waitFor } from '../scenarios/network.ts';

export class HostilePeer {
  readonly frames: { from: PeerId; frame: GroupFrame }[] = [];
  view: View | null = null;

  private constructor(
    readonly tracker: TrackerClient,
    readonly mesh: WebRtcMesh,
    readonly keyPair: CryptoKeyPair,
  ) {
    mesh.on('frame', (_g, from, frame) => this.frames.push({ from, frame }));
    tracker.on('view', (v) => {
      this.view = v;
      mesh.setPeers(v.groupId, v.members);
    });
  }

  get peerId(): PeerId {
    return this.tracker.peerId;
  }

  static async connect(trackerUrl: string, name: string): Promise<HostilePeer> {
    const keyPair = await generateIdentity();
    const tracker = new TrackerClient({
      url: trackerUrl, name, peerId: randomPeerId(), keyPair,
      publicKey: await exportPublicKey(keyPair.publicKey), socketOptions: { transports: ['websocket'] },
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
    this.view = await this.tracker.linksReady(groupId);
    return this.view;
  }

  /** Raw text to every open peer of the group; returns how many channels took it. */
  sendRaw(groupId: GroupId, text: string): number {
    let n = 0;
    for (const p of this.mesh.openPeers(groupId)) if (this.mesh.sendRaw(groupId, p, text)) n += 1;
    return n;
  }

  /** A DATA frame signed with this peer's real key (valid unless `over` changes signed fields after signing). */
  async signedData(groupId: GroupId, seq: number, body: string, over: Partial<DataFrame> = {}): Promise<DataFrame> {
    const fields = {
      groupId, viewId: this.view?.viewId ?? asViewId(1), sender: this.peerId, seq, lamport: seq, sentAt: Date.now(), body,
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
