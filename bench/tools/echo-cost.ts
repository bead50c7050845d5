// CPU cost of one ECHO entry on a receiver, by the size of the signed FINAL
// list it restates (PROTOCOL.md §1.2c, §3.3 Echo): parse the channel message
// (FrameReader), then the signature check the peer makes before the engine
// (FrameVerifier.verifyNow through the KeyRing, Node one-shot Ed25519). Under
// load a sender's turn signs up to 64 FINALs as one list, and an ECHO restates
// every entry of it: a cost per entry that grows with the list is a cost per
// message that grows with the backlog. `npx tsx bench/tools/echo-cost.ts
// [frames]` prints µs of CPU (process.cpuUsage) per entry for lists of 1, 8,
// 25 and 64 entries; each ECHO frame is a fresh parse (as from the wire), the
// list's signature checked once per process as the runtime does.
import {
  asViewId,
  encodeForWire,
  exportPublicKey,
  FrameReader,
  generateIdentity,
  type EchoFrame,
  type FinalItem,
  type GroupId,
  type PeerId,
} from '@chorus/protocol';
import { FrameVerifier } from '../../packages/peer/src/session/frame-verifier.ts';
import { KeyRing } from '../../packages/peer/src/session/key-ring.ts';
import { signOwnFinal } from '../../packages/peer/src/session/node-ed25519.ts';

const frames = Number(process.argv[2] ?? 400);
const groupId = 'g-bench' as GroupId;
const sender = 'p-sender01' as PeerId;
const echoer = 'p-echoer01' as PeerId;
const proposer = 'p-proposer' as PeerId;
const id = await generateIdentity();
const ring = new KeyRing();
ring.learn([{ peerId: sender, name: 'sender', publicKey: await exportPublicKey(id.publicKey) }]);
const verifier = new FrameVerifier(groupId, ring, (_from, e) => {
  throw new Error(e.message);
});
const version = (i: number): string => `${String.fromCharCode(65 + (i % 26)).repeat(86)}==`;

const echoTexts = (size: number): readonly string[] => {
  const list: FinalItem[] = Array.from({ length: size }, (_, i) => [i + 1, 100 + i, proposer, version(i)]);
  const first = {
    groupId,
    viewId: asViewId(1),
    sender,
    seq: 1,
    priority: { p: 100, by: proposer },
    version: version(0),
  };
  const sig = signOwnFinal(id.privateKey, size === 1 ? first : { ...first, list });
  if (typeof sig !== 'string') throw new Error('Node signs at once');
  const frame: EchoFrame = {
    t: 'echo',
    groupId,
    viewId: asViewId(1),
    finals: list.map(([seq, p, by, v]) => ({
      sender,
      seq,
      priority: { p, by },
      sig: v,
      final: sig,
      ...(size === 1 ? {} : { list }),
    })),
  };
  const wire = encodeForWire(frame, 'x');
  if (!wire.ok) throw new Error(wire.error.message);
  return wire.value; // over 16 KiB: its chunks (PROTOCOL.md §1.1)
};

const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

for (let round = 0; round < 2; round++) {
  const rows: string[] = [];
  for (const size of [1, 8, 25, 64]) {
    const texts = echoTexts(size);
    const reader = new FrameReader(groupId);
    let parse = 0;
    let verify = 0;
    for (let i = 0; i < frames; i++) {
      const t0 = cpuUs();
      const read = texts.flatMap((text) => reader.readMessage(echoer, text, 0))[0];
      const t1 = cpuUs();
      if (read === undefined || !read.ok) throw new Error('parse');
      if (verifier.verifyNow(echoer, read.value) !== read.value) throw new Error('verify');
      verify += cpuUs() - t1;
      parse += t1 - t0;
    }
    const per = (us: number): string => (us / (frames * size)).toFixed(2);
    rows.push(
      `list ${size} (${texts.length} message${texts.length === 1 ? '' : 's'}): parse ${per(parse)} µs, check ${per(verify)} µs per entry`,
    );
  }
  if (round === 1) console.log(`${frames} ECHO frames per size, CPU per entry:\n${rows.join('\n')}`);
}
