// Ephemeral markers (PROTOCOL.md §9): the parser refuses every malformed or
// foreign marker with a clear error, and the gate lets one marker per
// second per peer and kind through, dropping and counting the rest.

import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId } from '../src/ids.ts';
import type { SignalFrame } from '../src/wire/frames.ts';
import { parseFrame } from '../src/wire/parse-frame.ts';
import { SIGNAL_MIN_INTERVAL_MS, SIGNAL_RECEIVE_INTERVAL_MS, SignalGate } from '../src/wire/signal-gate.ts';

const G = asGroupId('g-1');
const ALICE = asPeerId('alice');
const BOB = asPeerId('bob');
const ctx = { groupId: G, from: ALICE };

const refused = (text: string): { code: string; message: string } => {
  const r = parseFrame(text, ctx);
  if (r.ok) throw new Error(`accepted ${text}`);
  expect(r.error.message.length).toBeGreaterThan(10);
  return r.error;
};

describe('signal frames', () => {
  it('reads a typing marker and a read marker', () => {
    expect(parseFrame('{"t":"signal","groupId":"g-1","kind":"typing"}', ctx)).toEqual({
      ok: true,
      value: { t: 'signal', groupId: G, kind: 'typing' },
    });
    expect(parseFrame('{"t":"signal","groupId":"g-1","kind":"read","seen":"g-1/bob:12"}', ctx)).toEqual({
      ok: true,
      value: { t: 'signal', groupId: G, kind: 'read', seen: 'g-1/bob:12' },
    });
  });

  it.each([
    ['an unknown kind', '{"t":"signal","groupId":"g-1","kind":"shout"}', 'bad-type'],
    ['a kind that is not a string', '{"t":"signal","groupId":"g-1","kind":["typing"]}', 'bad-type'],
    ['a missing kind', '{"t":"signal","groupId":"g-1"}', 'missing-field'],
    ['a typing marker carrying seen', '{"t":"signal","groupId":"g-1","kind":"typing","seen":"g-1/bob:1"}', 'bad-type'],
    ['an extra field (a name to show)', '{"t":"signal","groupId":"g-1","kind":"typing","name":"Admin"}', 'bad-type'],
    ['a read marker without seen', '{"t":"signal","groupId":"g-1","kind":"read"}', 'missing-field'],
    ['seen of another group', '{"t":"signal","groupId":"g-1","kind":"read","seen":"g-2/bob:1"}', 'bad-type'],
    ['seen that is no message id', '{"t":"signal","groupId":"g-1","kind":"read","seen":"<img src=x>"}', 'bad-type'],
    ['seen with seq 0', '{"t":"signal","groupId":"g-1","kind":"read","seen":"g-1/bob:0"}', 'bad-type'],
    ['an empty seen', '{"t":"signal","groupId":"g-1","kind":"read","seen":""}', 'bad-type'],
    ['a huge seen', `{"t":"signal","groupId":"g-1","kind":"read","seen":"g-1/bob:${'9'.repeat(5000)}"}`, 'too-long'],
    ['another group', '{"t":"signal","groupId":"g-2","kind":"typing"}', 'not-member'],
    ['an array', '[{"t":"signal"}]', 'bad-type'],
  ])('refuses %s', (_what, text, code) => {
    expect(refused(text).code).toBe(code);
  });
});

describe('SignalGate', () => {
  const typing: SignalFrame = { t: 'signal', groupId: G, kind: 'typing' };
  const read = { t: 'signal', groupId: G, kind: 'read', seen: 'g-1/bob:1' } as SignalFrame;

  it('lets one marker per second per peer and kind through and counts the rest', () => {
    const gate = new SignalGate();
    const t0 = 1_000_000;
    const admitted = Array.from({ length: 50 }, (_, i) => gate.admit(ALICE, typing, t0 + i * 10)).filter(
      Boolean,
    ).length;
    expect(admitted).toBe(1);
    expect(gate.dropped).toBe(49);
    // Another kind and another peer have their own allowance.
    expect(gate.admit(ALICE, read, t0 + 500)).toBe(true);
    expect(gate.admit(BOB, typing, t0 + 500)).toBe(true);
    // A second later Alice may type again.
    expect(gate.admit(ALICE, typing, t0 + SIGNAL_MIN_INTERVAL_MS)).toBe(true);
    expect(gate.dropped).toBe(49);
  });

  it("the receiver's gate lets an honest sender's markers through however the link delays them", () => {
    // The sender spaces its markers by its own gate; the link delays the first
    // by 300 ms and the second by none.
    const sender = new SignalGate();
    const receiver = new SignalGate(SIGNAL_RECEIVE_INTERVAL_MS);
    const t0 = 2_000_000;
    expect(sender.admit(ALICE, typing, t0)).toBe(true);
    expect(sender.admit(ALICE, typing, t0 + 400)).toBe(false);
    expect(sender.admit(ALICE, typing, t0 + SIGNAL_MIN_INTERVAL_MS)).toBe(true);
    expect(receiver.admit(ALICE, typing, t0 + 300)).toBe(true);
    expect(receiver.admit(ALICE, typing, t0 + SIGNAL_MIN_INTERVAL_MS)).toBe(true);
    expect(receiver.dropped).toBe(0);
    // A gate as strict as the sender's would have dropped the second.
    const strict = new SignalGate();
    strict.admit(ALICE, typing, t0 + 300);
    expect(strict.admit(ALICE, typing, t0 + SIGNAL_MIN_INTERVAL_MS)).toBe(false);
  });

  it('a peer that left starts afresh', () => {
    const gate = new SignalGate();
    expect(gate.admit(ALICE, typing, 5000)).toBe(true);
    expect(gate.admit(ALICE, typing, 5001)).toBe(false);
    gate.forget(ALICE);
    expect(gate.admit(ALICE, typing, 5002)).toBe(true);
  });
});
