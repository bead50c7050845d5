// Signed FLUSH reports at a peer's boundary (PROTOCOL.md §1.4, §3.4 "Signed reports"), with real
// Ed25519: our report is signed over its statement in the turn (Node), the FrameVerifier takes a FLUSH
// only with its reporter's signature over its `report`, and a FLUSH-OK only with its sender's
// signature (a relayed one too, §3.4 "Relay") and when every report it restates carries its
// reporter's signature. A refused frame is reported with the reason.

import { describe, expect, it } from 'vitest';
import {
  asGroupId,
  asPeerId,
  asViewId,
  exportPublicKey,
  generateIdentity,
  GENESIS_PREV,
  reportHash,
  flushOkStatementOf,
  type FlushFrame,
  type FlushOkFrame,
  type FlushStatementFields,
  type GroupFrame,
  type PeerId,
  type ProtocolError,
} from '@chorus/protocol';
import { FrameVerifier } from '../src/session/frame-verifier.ts';
import { KeyRing } from '../src/session/key-ring.ts';
import { signOwnFlushOk, signOwnReport } from '../src/session/node-ed25519.ts';

const cats = asGroupId('cats');
const [alice, carol] = [asPeerId('alice'), asPeerId('carol')];

const signStatement = async (key: CryptoKey, statement: FlushStatementFields): Promise<string> =>
  signOwnReport(key, statement);

/** Alice's and Carol's keys, a verifier that knows both, and what it refused. */
const aliceAndCarol = async () => {
  const [a, c] = await Promise.all([generateIdentity(), generateIdentity()]);
  const ring = new KeyRing();
  ring.learn([
    { peerId: alice, name: 'Alice', publicKey: await exportPublicKey(a.publicKey) },
    { peerId: carol, name: 'Carol', publicKey: await exportPublicKey(c.publicKey) },
  ]);
  const rejected: [PeerId, ProtocolError][] = [];
  const verifier = new FrameVerifier(cats, ring, (from, e) => rejected.push([from, e]));
  return { a, c, verifier, rejected };
};

/** An unsigned report for view `viewId` (its content: `agreed`). */
const unsignedReport = (viewId: number, agreed: number): FlushFrame => ({
  t: 'flush',
  groupId: cats,
  viewId: asViewId(viewId),
  unstable: [],
  pending: [],
  agreed,
  delivered: { alice: 1 },
});

describe('signed FLUSH reports at the FrameVerifier (real Ed25519)', () => {
  it('takes a report its reporter signed, refuses one it did not sign or that names another report', async () => {
    const { a, c, verifier, rejected } = await aliceAndCarol();
    const body = unsignedReport(3, 2);
    const report = reportHash(body);
    const at = { groupId: cats, viewId: asViewId(3), reporter: alice, report };
    const sig = await signStatement(a.privateKey, at);
    const flush: GroupFrame = { ...body, report, sig };

    expect(await verifier.verify(alice, flush)).toEqual({ kind: 'frame', frame: flush });
    // Carol's link carrying Alice's signed report: Carol did not sign it.
    expect(await verifier.verify(carol, flush)).toBeNull();
    // Another report under Alice's signature of the first.
    expect(await verifier.verify(alice, { ...flush, report: GENESIS_PREV })).toBeNull();
    // Carol's signature passed off as Alice's.
    const carolSig = await signStatement(c.privateKey, at);
    expect(await verifier.verify(alice, { ...flush, sig: carolSig })).toBeNull();
    expect(rejected.map(([from, e]) => [from, e.code])).toEqual([
      [carol, 'bad-signature'],
      [alice, 'bad-signature'],
      [alice, 'bad-signature'],
    ]);
    expect(rejected[0]![1].message).toContain("carol's FLUSH report for view 3");

    // A FLUSH-OK restating Alice's signed report passes; one that restates it with Carol's signature does not.
    rejected.length = 0;
    const unsignedOk: FlushOkFrame = {
      t: 'flush-ok',
      groupId: cats,
      viewId: asViewId(3),
      reports: GENESIS_PREV,
      held: [{ reporter: alice, report, sig }],
    };
    const ok: GroupFrame = {
      ...unsignedOk,
      sig: await signOwnFlushOk(c.privateKey, flushOkStatementOf(unsignedOk, carol)),
    };
    expect(await verifier.verify(carol, ok)).toEqual({ kind: 'frame', frame: ok });
    const forged = { ...ok, held: [{ reporter: alice, report, sig: carolSig }] };
    expect(await verifier.verify(carol, forged)).toBeNull();
    expect(rejected.map(([from, e]) => [from, e.code])).toEqual([[carol, 'bad-signature']]);
    expect(rejected[0]![1].message).toContain('The report of alice');
  });

  it('takes a FLUSH-OK only with its sender\'s signature, relayed for it too (§3.4 "Relay"); refuses a made-up one', async () => {
    const { a, c, verifier, rejected } = await aliceAndCarol();
    const report = reportHash(unsignedReport(3, 2));
    const carolWord = {
      reporter: carol,
      report,
      sig: await signStatement(c.privateKey, { groupId: cats, viewId: asViewId(3), reporter: carol, report }),
    };
    const unsignedOk: FlushOkFrame = {
      t: 'flush-ok',
      groupId: cats,
      viewId: asViewId(3),
      reports: GENESIS_PREV,
      held: [carolWord],
    };
    const aliceOk = { ...unsignedOk, sig: await signOwnFlushOk(a.privateKey, flushOkStatementOf(unsignedOk, alice)) };
    // Alice's own, and Alice's relayed by Carol: both checked with Alice's key.
    expect(await verifier.verify(alice, aliceOk)).toEqual({ kind: 'frame', frame: aliceOk });
    const relayed: GroupFrame = { ...aliceOk, sender: alice };
    expect(await verifier.verify(carol, relayed)).toEqual({ kind: 'frame', frame: relayed });
    // Without a signature; one restating another hash than Alice signed; Carol's own word passed off as Alice's.
    expect(await verifier.verify(alice, unsignedOk)).toBeNull();
    const otherHeld = [{ ...carolWord, report: GENESIS_PREV }];
    expect(await verifier.verify(carol, { ...aliceOk, held: otherHeld, sender: alice })).toBeNull();
    const carolsSig = await signOwnFlushOk(c.privateKey, flushOkStatementOf(unsignedOk, alice));
    expect(await verifier.verify(carol, { ...unsignedOk, sig: carolsSig, sender: alice })).toBeNull();
    expect(rejected.map(([from, e]) => [from, e.code])).toEqual([
      [alice, 'bad-signature'],
      [carol, 'bad-signature'],
      [carol, 'bad-signature'],
    ]);
    expect(rejected[2]![1].message).toContain("alice's FLUSH-OK for view 3 relayed by carol");
  });

  it('takes a report relayed for its reporter (PROTOCOL.md §3.4 "Relay"), refuses a relayed forgery', async () => {
    const { a, c, verifier, rejected } = await aliceAndCarol();
    const body = unsignedReport(4, 5);
    const report = reportHash(body);
    const sig = await signStatement(a.privateKey, { groupId: cats, viewId: asViewId(4), reporter: alice, report });
    // Carol relays Alice's report: checked with Alice's key.
    const relayed: GroupFrame = { ...body, report, sig, reporter: alice };
    expect(await verifier.verify(carol, relayed)).toEqual({ kind: 'frame', frame: relayed });
    // Carol relays a report of her own making under Alice's name, signed by Carol: a forgery.
    const made = { ...body, agreed: 6 };
    const madeHash = reportHash(made);
    const carolSig = await signStatement(c.privateKey, {
      groupId: cats,
      viewId: asViewId(4),
      reporter: carol,
      report: madeHash,
    });
    expect(await verifier.verify(carol, { ...made, report: madeHash, sig: carolSig, reporter: alice })).toBeNull();
    // Alice's signature moved to another view's report.
    expect(await verifier.verify(carol, { ...relayed, viewId: asViewId(5) })).toBeNull();
    expect(rejected.map(([from, e]) => [from, e.code])).toEqual([
      [carol, 'bad-signature'],
      [carol, 'bad-signature'],
    ]);
    expect(rejected[0]![1].message).toContain("alice's FLUSH report for view 4 relayed by carol");
  });
});
