// Broken on purpose: a member that takes the digest a FLUSH-OK names (`reports`) at its word instead
// of the one its restated signed reports (`held`) make. A participant that names a made-up digest in
// its FLUSH-OK (the `flush-lie` kind's false-digest, sim/flush-liar.ts) then has every member see a
// dispute that nobody can prove, and stalls every view change while it stays; with the shipped engine
// the made-up digest is never read and the view change completes. test/sim-flush-lies.test.ts shows
// both.

import { createEngine } from '../../src/ordering/create-engine.ts';
import { GroupEngine } from '../../src/ordering/group-engine.ts';
import type { EngineResult } from '../../src/ordering/engine.ts';
import type { PeerId } from '../../src/ids.ts';
import type { FlushOkFrame } from '../../src/wire/frames.ts';
import type { EngineFactory } from '../engine-factory.ts';

export class TrustFlushDigestEngine extends GroupEngine {
  protected override onFlushOk(from: PeerId, f: FlushOkFrame, now: number): EngineResult {
    const fl = this.flush;
    if (fl !== null && f.viewId === fl.target.viewId && fl.participants.includes(from) && !fl.held.has(from))
      fl.digests.set(from, f.reports);
    return super.onFlushOk(from, f, now);
  }
}

export const trustFlushDigest: EngineFactory = (options) => createEngine(options, TrustFlushDigestEngine);
