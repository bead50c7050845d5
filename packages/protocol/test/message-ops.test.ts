import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, messageId, type MessageId } from '../src/ids.ts';
import { fifoOrderKey } from '../src/ordering/order-key.ts';
import { MAX_BODY_CHARS } from '../src/wire/caps.ts';
import {
  encodeOp,
  groupOfMessageId,
  OP_MARKER,
  opFits,
  opTextLimit,
  parseBody,
  type MessageOp,
} from '../src/ops/message-op.ts';
import { foldLog, OpFold, type LogEntry } from '../src/ops/op-fold.ts';

const g = asGroupId('g-1');
const KEY: Record<string, string | undefined> = { ann: 'KA', ben: 'KB', cy: 'KC', ann2: 'KA', dee: undefined };

let lamport = 0;
function entry(sender: string, seq: number, body: string | MessageOp): LogEntry {
  lamport += 1;
  const key = KEY[sender];
  return {
    id: messageId(g, asPeerId(sender), seq),
    sender: asPeerId(sender),
    ...(key === undefined ? {} : { senderKey: key }),
    order: fifoOrderKey(lamport, asPeerId(sender), seq),
    body: typeof body === 'string' ? body : encodeOp(body),
  };
}
const id = (sender: string, seq: number): MessageId => messageId(g, asPeerId(sender), seq);

describe('operation bodies', () => {
  it('reads plain text as text, also text that looks like JSON', () => {
    expect(parseBody('hello', g)).toEqual({ kind: 'text', text: 'hello' });
    expect(parseBody('{"op":"delete","target":"g-1/ann:1"}', g)).toMatchObject({ kind: 'text' });
  });

  it('round-trips every kind of operation', () => {
    const ops: MessageOp[] = [
      { op: 'reply', target: id('ann', 1), text: 'yes' },
      { op: 'edit', target: id('ann', 1), text: 'fixed' },
      { op: 'delete', target: id('ann', 1) },
      { op: 'react', target: id('ann', 1), emoji: '👍', on: true },
    ];
    for (const op of ops) expect(parseBody(encodeOp(op), g)).toEqual({ kind: 'op', op });
  });

  it('refuses an operation on another group, an unknown kind, bad fields and non-JSON as bad-op', () => {
    const raw = (o: unknown): string => OP_MARKER + JSON.stringify(o);
    const bads = [
      OP_MARKER + 'not json',
      raw([1]),
      raw({ op: 'pin', target: id('ann', 1) }),
      raw({ op: 'delete', target: 'other/ann:1' }),
      raw({ op: 'delete', target: 'g-1/ann:0' }),
      raw({ op: 'delete', target: 'g-1/a:b:1' }),
      raw({ op: 'edit', target: id('ann', 1), text: '   ' }),
      raw({ op: 'react', target: id('ann', 1), emoji: 'a b', on: true }),
      raw({ op: 'react', target: id('ann', 1), emoji: '👍', on: 'yes' }),
      OP_MARKER + 'x'.repeat(MAX_BODY_CHARS),
    ];
    for (const b of bads) expect(parseBody(b, g).kind, b.slice(0, 60)).toBe('bad-op');
  });

  it('will not encode an operation no peer would accept', () => {
    expect(opFits({ op: 'edit', target: id('ann', 1), text: 'x'.repeat(MAX_BODY_CHARS - 10) })).toBe(false);
    expect(() => encodeOp({ op: 'delete', target: 'nope' as MessageId })).toThrow(RangeError);
    expect(groupOfMessageId('a/b/c:7')).toBe('a/b');
  });

  it('says how long the text of an edit may be, its escapes counted: within the limit exactly when it fits', () => {
    const target = id('ann', 1);
    let fitting = 0;
    let tried = 0;
    for (const unit of ['x', '"', '\n', 'é', '\\'])
      for (let n = MAX_BODY_CHARS - 2 * 64; n <= MAX_BODY_CHARS; n += 1) {
        const op = { op: 'edit' as const, target, text: 'a'.repeat(n - 40) + unit.repeat(40) };
        const limit = opTextLimit(op);
        expect(limit).toBeLessThan(MAX_BODY_CHARS);
        expect(opFits(op), `${unit} × ${n}`).toBe(op.text.length <= limit);
        if (opFits(op)) fitting += 1;
        tried += 1;
      }
    expect(fitting).toBeGreaterThan(0); // both sides of the limit were tried
    expect(fitting).toBeLessThan(tried);
  });
});

describe('OpFold', () => {
  it("applies the author's edits (latest in log order wins), delete wins, and reactions toggle per key", () => {
    const f = new OpFold(g);
    f.add(entry('ann', 1, 'helo'));
    const early = entry('ann', 2, { op: 'edit', target: id('ann', 1), text: 'hello' });
    const late = entry('ann', 3, { op: 'edit', target: id('ann', 1), text: 'hello!' });
    f.add(late);
    f.add(early); // arrives later, but is earlier in the log: the later edit stays
    expect(f.view(id('ann', 1))).toMatchObject({ text: 'hello!', edited: true, deleted: false });
    f.add(entry('ben', 1, { op: 'react', target: id('ann', 1), emoji: '👍', on: true }));
    f.add(entry('cy', 1, { op: 'react', target: id('ann', 1), emoji: '👍', on: true }));
    f.add(entry('ben', 2, { op: 'react', target: id('ann', 1), emoji: '👍', on: false }));
    expect(f.view(id('ann', 1))?.reactions).toEqual([{ emoji: '👍', keys: ['KC'] }]);
    const reply = entry('ben', 3, { op: 'reply', target: id('ann', 1), text: 'hi ann' });
    expect(f.add(reply).changed).toEqual([reply.id]);
    expect(f.view(reply.id)).toMatchObject({ text: 'hi ann', replyTo: id('ann', 1) });
    f.add(entry('ann', 4, { op: 'delete', target: id('ann', 1) }));
    f.add(entry('ann', 5, { op: 'edit', target: id('ann', 1), text: 'back?' }));
    expect(f.view(id('ann', 1))).toMatchObject({ text: '', deleted: true, edited: false, reactions: [] });
    expect(f.refused).toBe(0);
  });

  it("refuses and counts an edit or delete by a key that is not the author's; the message stays as it was", () => {
    const f = new OpFold(g);
    f.add(entry('ann', 1, 'mine'));
    const edit = f.add(entry('ben', 1, { op: 'edit', target: id('ann', 1), text: 'pwned' }));
    const del = f.add(entry('ben', 2, { op: 'delete', target: id('ann', 1) }));
    expect([...edit.refused, ...del.refused].map((r) => r.reason)).toEqual(['not-author', 'not-author']);
    expect(f.view(id('ann', 1))).toMatchObject({ text: 'mine', edited: false, deleted: false });
    expect(f.refused).toBe(2);
    // Another tab of ann's profile (same key, other peer id) may edit; a sender without a key only its own.
    f.add(entry('ann2', 1, { op: 'edit', target: id('ann', 1), text: 'mine, edited' }));
    f.add(entry('dee', 1, 'keyless'));
    f.add(entry('ann', 2, { op: 'delete', target: id('dee', 1) }));
    expect(f.view(id('ann', 1))?.text).toBe('mine, edited');
    expect(f.view(id('dee', 1))?.deleted).toBe(false);
    expect(f.refused).toBe(3);
  });

  it('holds an operation that arrives before its target and applies it when the target arrives', () => {
    const f = new OpFold(g);
    const target = entry('ann', 1, 'first');
    const react = entry('ben', 1, { op: 'react', target: target.id, emoji: '🎉', on: true });
    const hostile = entry('ben', 2, { op: 'delete', target: target.id });
    expect(f.add(react)).toEqual({ changed: [], refused: [] });
    f.add(hostile);
    expect(f.pending).toBe(2);
    expect(f.view(target.id)).toBeUndefined();
    const r = f.add(target);
    expect(r.changed).toEqual([target.id]);
    expect(r.refused.map((x) => x.id)).toEqual([hostile.id]);
    expect(f.view(target.id)).toMatchObject({
      text: 'first',
      deleted: false,
      reactions: [{ emoji: '🎉', keys: ['KB'] }],
    });
    expect(f.pending).toBe(0);
  });

  it('refuses an operation on an operation, a malformed one, and pending ones past the cap; a duplicate changes nothing', () => {
    const f = new OpFold(g, { maxPending: 1 });
    const react = entry('ann', 1, { op: 'react', target: id('zed', 1), emoji: '👍', on: true });
    f.add(react);
    expect(
      f.add(entry('ann', 2, { op: 'react', target: id('zed', 2), emoji: '👍', on: true })).refused[0]?.reason,
    ).toBe('too-many');
    expect(f.add(entry('ann', 3, { op: 'delete', target: react.id })).refused[0]?.reason).toBe('bad-target');
    expect(f.add(entry('ann', 4, `${OP_MARKER}{`)).refused[0]?.reason).toBe('bad-op');
    const text = entry('ann', 5, 'x');
    f.add(text);
    expect(f.add(text)).toEqual({ changed: [], refused: [] });
    expect(f.refused).toBe(3);
    expect(f.isMessage(react.id)).toBe(false);
  });
});

/** A random conversation: each step one sender adds a text, a reply or an operation on any id seen so far. */
const SENDERS = ['ann', 'ben', 'cy', 'ann2', 'dee'] as const;
const step = fc.record({
  sender: fc.integer({ min: 0, max: SENDERS.length - 1 }),
  kind: fc.integer({ min: 0, max: 5 }),
  pick: fc.nat(),
  emoji: fc.constantFrom('👍', '❤️', '😂'),
  on: fc.boolean(),
});

function script(
  steps: readonly { sender: number; kind: number; pick: number; emoji: string; on: boolean }[],
): LogEntry[][] {
  const queues: LogEntry[][] = SENDERS.map(() => []);
  const ids: MessageId[] = [];
  lamport = 0;
  steps.forEach((s, i) => {
    const name = SENDERS[s.sender]!;
    const seq = queues[s.sender]!.length + 1;
    // Sometimes a target nobody sends (an op waiting for ever), mostly one seen.
    // Mostly one of the first three ids (so edits and reactions of one key from two tabs meet), sometimes any.
    const target =
      ids.length === 0 || s.pick % 11 === 0
        ? id('ghost', (s.pick % 3) + 1)
        : ids[s.pick % 2 === 0 ? s.pick % Math.min(ids.length, 3) : s.pick % ids.length]!;
    const body = (
      [
        `text ${i}`,
        { op: 'reply', target, text: `reply ${i}` },
        { op: 'edit', target, text: `edit ${i}` },
        { op: 'delete', target },
        { op: 'react', target, emoji: s.emoji, on: s.on },
        { op: 'react', target, emoji: s.emoji, on: !s.on },
      ] satisfies (string | MessageOp)[]
    )[s.kind]!;
    const e = entry(name, seq, body);
    queues[s.sender]!.push(e);
    ids.push(e.id);
  });
  return queues;
}

/** Delivers the senders' queues interleaved by `schedule`, each sender's in its own order (FIFO). */
function interleave(queues: readonly LogEntry[][], schedule: readonly number[]): LogEntry[] {
  const heads = queues.map(() => 0);
  const out: LogEntry[] = [];
  let k = 0;
  for (;;) {
    const open = queues.map((_, i) => i).filter((i) => heads[i]! < queues[i]!.length);
    if (open.length === 0) return out;
    const i = open[(schedule[k++ % Math.max(1, schedule.length)] ?? 0) % open.length]!;
    out.push(queues[i]![heads[i]!++]!);
  }
}

describe('OpFold, any FIFO delivery order', () => {
  it('ends in the same state for every interleaving of the senders (each sender in its own order)', () => {
    let nontrivial = 0;
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 60, size: 'max' }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 80, size: 'max' }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 80, size: 'max' }),
        (steps, s1, s2) => {
          const queues = script(steps);
          const inSendOrder = foldLog(
            g,
            queues.flat().sort((a, b) => (a.order < b.order ? -1 : 1)),
          );
          const a = foldLog(g, interleave(queues, s1));
          const b = foldLog(g, interleave(queues, s2));
          expect(a).toEqual(inSendOrder);
          expect(b).toEqual(inSendOrder);
          if (inSendOrder.refused > 0 && inSendOrder.views.some((v) => v.edited || v.deleted || v.reactions.length > 0))
            nontrivial += 1;
        },
      ),
      { numRuns: 300 },
    );
    expect(nontrivial).toBeGreaterThan(30); // the property saw edits, deletes, reactions and refusals, not only texts
  });
});
