// CPU cost of one DATA's trip through the wire code, stage by stage, in this
// process: sign, encode, parse (as the mesh reads a channel message), verify.
// `npx tsx bench/tools/hop-cost.ts [messages]`. Prints µs per message for
// each stage, run one message at a time (as the latency bench sends them):
// WebCrypto's sign/verify (the browser's path) and the peer's Node one-shot
// path (packages/peer/src/session/node-ed25519.ts).
import {
  canonicalSignedBytes,
  encodeForWire,
  exportPublicKey,
  FrameReader,
  GENESIS_PREV,
  generateIdentity,
  readPublicKey,
  signFields,
  verifyFrame,
  type DataFrame,
  type GroupId,
  type PeerId,
  type ViewId,
} from '@chorus/protocol';
import { signDraft, syncVerifier } from '../../packages/peer/src/session/node-ed25519.ts';

const n = Number(process.argv[2] ?? 2_000);
const id = await generateIdentity();
const pub = await readPublicKey(await exportPublicKey(id.publicKey));
if (!pub.ok) throw new Error('key');
const groupId = 'g-bench' as GroupId;
const sender = 'p-sender01' as PeerId;
const body = JSON.stringify({ text: 'x'.repeat(120) });
const reader = new FrameReader(groupId);
const us = (t0: number): number => (performance.now() - t0) * 1000;
const sums = { sign: 0, encode: 0, parse: 0, verify: 0, nodeSign: 0, nodeVerify: 0 };
const check = syncVerifier(await exportPublicKey(id.publicKey));
if (check === null) throw new Error('no node:crypto');
for (let round = 0; round < 2; round++) {
  for (const k of Object.keys(sums)) sums[k as keyof typeof sums] = 0;
  for (let i = 1; i <= n; i++) {
    const fields = {
      groupId,
      viewId: 1 as ViewId,
      sender,
      seq: i,
      lamport: i,
      sentAt: Date.now(),
      body,
      prev: GENESIS_PREV,
    };
    let t = performance.now();
    const sig = await signFields(id.privateKey, fields);
    sums.sign += us(t);
    const frame: DataFrame = { t: 'data', ...fields, sig } as DataFrame;
    t = performance.now();
    const wire = encodeForWire(frame, 'c');
    sums.encode += us(t);
    if (!wire.ok) throw new Error(wire.error.message);
    t = performance.now();
    const got = reader.readMessage(sender, wire.value[0] as string, Date.now());
    sums.parse += us(t);
    const f = got[0];
    if (f === undefined || !f.ok || f.value.t !== 'data') throw new Error(`parse: ${JSON.stringify(f)}`);
    t = performance.now();
    if (!(await verifyFrame(pub.value, f.value))) throw new Error('verify');
    sums.verify += us(t);
    t = performance.now();
    const nodeSig = signDraft(id.privateKey, fields);
    sums.nodeSign += us(t);
    t = performance.now();
    if (typeof nodeSig !== 'string' || !check(canonicalSignedBytes(f.value), nodeSig)) throw new Error('node verify');
    sums.nodeVerify += us(t);
  }
}
console.log(
  Object.entries(sums)
    .map(([k, v]) => `${k} ${(v / n).toFixed(1)} µs`)
    .join(', '),
);
