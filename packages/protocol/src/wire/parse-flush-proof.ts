// The FLUSH half of `group:accuse` (PROTOCOL.md §2 Proofs, §3.4 "Signed reports"): two statements the
// accused signed for one view, each `{viewId, report, sig}` read with the wire's own field readers
// (the report a SHA-256 hash, the signature an Ed25519 one); the group and the reporter are the
// accusation's. Whether they carry the accused's signatures is the caller's check (`verifyProof`).

import { err, ok, type Result } from '../result.ts';
import { flushContradicts, type FlushProof } from '../ordering/flush-proof.ts';
import { field, FieldRejection, readObject, type JsonObject } from './field-reader.ts';
import { readHash, readSignature, readViewId, type ParseContext } from './frame-fields.ts';
import type { FlushStatement } from './frames.ts';

function readStatement(v: unknown, ctx: ParseContext, path: string): FlushStatement {
  const o = readObject(v, path);
  return {
    groupId: ctx.groupId,
    viewId: readViewId(o, path),
    reporter: ctx.from,
    report: readHash(field(o, 'report', path), `${path}.report`),
    sig: readSignature(o, path),
  };
}

/** `proof: {flush, other}`: two statements of the accused that name two reports for one view. */
export function parseFlushProof(proof: JsonObject, ctx: ParseContext): Result<FlushProof> {
  try {
    const p: FlushProof = {
      flush: readStatement(proof['flush'], ctx, 'proof.flush'),
      other: readStatement(proof['other'], ctx, 'proof.other'),
    };
    if (!flushContradicts(p))
      return err('bad-state', 'The two FLUSH statements of the proof do not name two reports for one view.');
    return ok(p);
  } catch (e) {
    if (e instanceof FieldRejection) return err(e.code, e.message);
    throw e;
  }
}
