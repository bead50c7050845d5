// The data-channel parser, frame by frame: every kind round-trips, and every
// class of bad input gets its own error code instead of a throw or a frame.

import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId, type MessageId } from '../src/ids.ts';

const asMessageId = (s: string): MessageId => s as MessageId;
import type { ErrorCode, Result } from '../src/result.ts';
import {
  CHUNK_THRESHOLD_BYTES,
  MAX_BODY_CHARS,
  MAX_SENT_AT_MS,
  MAX_CHUNKS,
  MAX_FLUSH_ITEMS,
  MAX_FRAME_BYTES,
  MAX_HISTORY_ITEMS,
  MAX_ORDER_KEY_CHARS,
  MAX_PEER_ID_CHARS,
  MAX_SENDER_ENTRIES,
  MAX_SENDER_NAME_UNITS,
} from '../src/wire/caps.ts';
import { encodeFrame } from '../src/wire/canonical.ts';
import type { DataFrame, WireFrame } from '../src/wire/frames.ts';
import { classifyView, parseFrame } from '../src/wire/parse-frame.ts';
import { pageWireBytes } from '../src/wire/parse-history-frames.ts';
import { GENESIS_PREV } from '../src/wire/chain.ts';

const G = asGroupId('g-1');
const ALICE = asPeerId('alice');
const BOB = asPeerId('bob');
const CAROL = asPeerId('carol');
const SIG = `${'A'.repeat(85)}Q==`;
const ctx = { groupId: G, from: ALICE };

const data = (sender = ALICE, seq = 1, body = 'hello'): DataFrame => ({
  t: 'data',
  groupId: G,
  viewId: asViewId(3),
  sender,
  seq,
  lamport: 7,
  sentAt: 1_700_000_000_000,
  body,
  prev: GENESIS_PREV,
  sig: SIG,
});

/** One valid frame of every kind, as ALICE would send it to us. */
const samples: Record<WireFrame['t'], WireFrame> = {
  data: data(),
  propose: { t: 'propose', groupId: G, viewId: asViewId(3), sender: BOB, seq: 4, priority: { p: 12, by: ALICE } },
  final: {
    t: 'final',
    groupId: G,
    viewId: asViewId(3),
    sender: ALICE,
    seq: 4,
    priority: { p: 12, by: CAROL },
    version: SIG,
    sig: SIG,
  },
  proposes: {
    t: 'proposes',
    groupId: G,
    viewId: asViewId(3),
    sender: BOB,
    items: [
      [4, 12],
      [5, 13],
    ],
  },
  finals: {
    t: 'finals',
    groupId: G,
    viewId: asViewId(3),
    sender: ALICE,
    items: [
      [4, 12, CAROL, SIG],
      [5, 14, ALICE, SIG],
    ],
    sig: SIG,
  },
  echo: {
    t: 'echo',
    groupId: G,
    viewId: asViewId(3),
    finals: [
      { sender: BOB, seq: 4, priority: { p: 12, by: CAROL }, sig: SIG, final: SIG },
      { sender: CAROL, seq: 5, priority: { p: 13, by: CAROL }, sig: SIG, final: SIG, objected: true },
    ],
  },
  flush: {
    t: 'flush',
    groupId: G,
    viewId: asViewId(4),
    unstable: [data(BOB, 2), data(CAROL, 9)],
    pending: [
      { sender: BOB, seq: 2, proposed: { p: 5, by: ALICE } },
      { sender: CAROL, seq: 9, proposed: { p: 6, by: ALICE }, final: { p: 8, by: BOB } },
      { sender: ALICE, seq: 3 },
    ],
    agreed: 8,
    delivered: { alice: 2, bob: 1, carol: 8 },
    report: GENESIS_PREV,
    sig: SIG,
  },
  'flush-ok': {
    t: 'flush-ok',
    groupId: G,
    viewId: asViewId(4),
    reports: GENESIS_PREV,
    held: [{ reporter: BOB, report: GENESIS_PREV, sig: SIG }],
    sig: SIG,
  },
  'flush-ask': { t: 'flush-ask', groupId: G, viewId: asViewId(4), reporter: CAROL, report: GENESIS_PREV },
  hwm: { t: 'hwm', groupId: G, viewId: asViewId(3), delivered: { alice: 2, bob: 0 } },
  'history-req': {
    t: 'history-req',
    groupId: G,
    req: 3,
    have: { alice: 4, bob: 1 },
    after: '00000012:bob',
    limit: 100,
  },
  'history-res': {
    t: 'history-res',
    groupId: G,
    req: 3,
    items: [
      { frame: data(BOB, 1, 'first'), order: '00000001:bob', senderName: 'Bob 🎸', senderKey: `${'B'.repeat(43)}=` },
      { frame: data(CAROL, 1, 'second ✓ 😀'), order: '00000002:carol' },
    ],
    done: true,
    state: { viewId: asViewId(3), incarnation: asViewId(1), agreed: 2, nextSeq: { bob: 2, carol: 2 } },
  },
  signal: { t: 'signal', groupId: G, kind: 'read', seen: asMessageId('g-1/bob:4') },
  relay: { t: 'relay', groupId: G, from: ALICE, to: CAROL, n: 5, kind: 'msg', body: '{"t":"hwm"}', sig: SIG },
  chunk: { t: 'chunk', id: 'c-17', index: 1, count: 3, part: '{"t":"da' },
  'file-want': { t: 'file-want', groupId: G, hash: 'a'.repeat(64), root: 'b'.repeat(64), chunks: [0, 5, 2] },
  'file-chunk': {
    t: 'file-chunk',
    groupId: G,
    hash: 'a'.repeat(64),
    index: 5,
    data: new TextEncoder().encode('hello'),
    proof: [new Uint8Array(32).fill(0x41), new Uint8Array(32)],
  },
  'file-none': { t: 'file-none', groupId: G, hash: 'a'.repeat(64), chunks: [7] },
};
const kinds = Object.keys(samples) as WireFrame['t'][];

const json = (v: unknown): string => JSON.stringify(v);
/** A frame as the JSON value on the wire (a file chunk's bytes are base64 there). */
const clone = (v: unknown): Record<string, unknown> =>
  JSON.parse(
    typeof v === 'object' && v !== null && (v as { t?: unknown }).t === 'file-chunk'
      ? encodeFrame(v as WireFrame)
      : JSON.stringify(v),
  ) as Record<string, unknown>;

function expectError<T>(r: Result<T>, code: ErrorCode): void {
  if (r.ok) throw new Error(`expected ${code}, got a frame: ${JSON.stringify(r.value).slice(0, 200)}`);
  expect(r.error.code).toBe(code);
  expect(r.error.message.length).toBeGreaterThan(10);
}

/** Sets (or with `undefined`, deletes) the value at a dotted path of a JSON clone. */
function withField(frame: WireFrame, path: string, value: unknown): string {
  const root = clone(frame);
  const keys = path.split('.');
  let o: Record<string, unknown> = root;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  const last = keys[keys.length - 1] as string;
  if (value === undefined) delete o[last];
  else o[last] = value;
  return json(root);
}

/** Every required field of each kind (dotted into nested objects), and a value of the wrong type for it. */
const requiredFields: Record<WireFrame['t'], readonly (readonly [string, unknown])[]> = {
  data: [
    ['groupId', 1],
    ['viewId', '3'],
    ['sender', 5],
    ['seq', '1'],
    ['lamport', true],
    ['sentAt', null],
    ['body', 42],
    ['sig', {}],
  ],
  propose: [
    ['groupId', []],
    ['viewId', null],
    ['sender', {}],
    ['seq', 1.5],
    ['priority', 12],
    ['priority.p', '12'],
    ['priority.by', 7],
  ],
  final: [
    ['groupId', false],
    ['viewId', -1],
    ['sender', null],
    ['seq', 0],
    ['priority', 'high'],
    ['priority.p', -3],
    ['priority.by', []],
    ['version', 7],
    ['sig', 5],
  ],
  proposes: [
    ['groupId', 1],
    ['viewId', 'v'],
    ['sender', 3],
    ['items', {}],
  ],
  finals: [
    ['groupId', 1],
    ['viewId', 'v'],
    ['sender', 3],
    ['items', 'x'],
    ['sig', 5],
  ],
  echo: [
    ['groupId', 3],
    ['viewId', 'v'],
    ['finals', {}],
    ['finals.0.sender', 2],
    ['finals.0.seq', 0],
    ['finals.0.priority', null],
    ['finals.0.priority.p', 1.5],
    ['finals.0.sig', 12],
    ['finals.0.final', 9],
    ['finals.1.objected', false],
  ],
  flush: [
    ['groupId', 0],
    ['viewId', 4.5],
    ['unstable', {}],
    ['unstable.0', 'x'],
    ['unstable.1.seq', 'nine'],
    ['pending', 'none'],
    ['pending.0.sender', 1],
    ['pending.1.proposed', 6],
    // eslint-disable-next-line no-loss-of-precision -- a number past the double range, on purpose
    ['pending.1.final.p', 1e400],
    ['agreed', '8'],
    ['delivered', []],
    ['delivered.bob', '1'],
    ['report', 'abc'],
    ['sig', 7],
  ],
  'flush-ok': [
    ['groupId', 1],
    ['viewId', -1],
    ['reports', 'abc'],
    ['held', {}],
    ['held.0', 'x'],
    ['held.0.reporter', 3],
    ['held.0.report', 'abc'],
    ['held.0.sig', false],
    ['sig', 7],
  ],
  'flush-ask': [
    ['groupId', 1],
    ['viewId', -1],
    ['reporter', 3],
    ['report', 'abc'],
  ],
  hwm: [
    ['groupId', null],
    ['viewId', '3'],
    ['delivered', 'all'],
    ['delivered.alice', -1],
  ],
  'history-req': [
    ['groupId', 1],
    ['req', 1.5],
    ['have', [4]],
    ['have.alice', 0],
    ['after', 5],
    ['limit', '100'],
  ],
  signal: [
    ['groupId', 1],
    ['kind', 2],
    ['seen', 4],
  ],
  'history-res': [
    ['groupId', 1],
    ['req', -1],
    ['items', 'many'],
    ['items.0', null],
    ['items.0.frame', 'data'],
    ['items.0.frame.body', 1],
    ['items.1.order', 2],
    ['items.0.senderName', 5],
    ['items.0.senderKey', 'not-a-key'],
    ['done', 'yes'],
    ['state', 3],
    ['state.nextSeq.bob', 0],
    ['state.agreed', 2.5],
    ['state.incarnation', -1],
  ],
  relay: [
    ['groupId', 2],
    ['from', 3],
    ['to', null],
    ['n', 0],
    ['kind', 'relay'],
    ['body', 7],
    ['sig', 12],
  ],
  chunk: [
    ['id', 17],
    ['index', '1'],
    ['count', null],
    ['part', 3],
  ],
  'file-want': [
    ['groupId', 1],
    ['hash', 'A'.repeat(64)],
    ['root', 'b'.repeat(63)],
    ['chunks', []],
  ],
  'file-chunk': [
    ['groupId', 1],
    ['hash', 5],
    ['index', 1.5],
    ['data', 'aGVsbG9='],
    ['proof', 'x'],
  ],
  'file-none': [
    ['groupId', 1],
    ['hash', null],
    ['chunks', [1, 1]],
  ],
};

/** Paths whose deletion leaves an optional field or a map entry absent (still valid) rather than a missing one. */
const optional = new Set([
  'pending.1.proposed',
  'state',
  'unstable.0',
  'held.0',
  'items.0',
  'delivered.bob',
  'delivered.alice',
  'state.nextSeq.bob',
  'have.alice',
  'items.0.senderName',
  'items.0.senderKey',
  'finals.1.objected',
]);

describe('parseFrame: valid frames', () => {
  it.each(kinds)('round-trips a %s frame unchanged', (kind) => {
    const frame = samples[kind];
    const r = parseFrame(encodeFrame(frame), ctx);
    expect(r).toEqual({ ok: true, value: frame });
  });

  it('does not care about key order or whitespace', () => {
    const reversed = Object.fromEntries(Object.entries(samples.data).reverse());
    const r = parseFrame(JSON.stringify(reversed, null, 2), ctx);
    expect(r).toEqual({ ok: true, value: samples.data });
  });

  it('drops fields it does not know instead of passing them on', () => {
    const r = parseFrame(json({ ...samples.final, extra: 'x', admin: true }), ctx);
    expect(r.ok && Object.keys(r.value).sort()).toEqual([
      'groupId',
      'priority',
      'sender',
      'seq',
      'sig',
      't',
      'version',
      'viewId',
    ]);
  });

  it('accepts a history page without state, a first-page request (after null, nothing held) and a pending report without priorities', () => {
    const { state: _omit, ...page } = samples['history-res'] as Extract<WireFrame, { t: 'history-res' }>;
    expect(parseFrame(json({ ...page, done: false }), ctx)).toEqual({ ok: true, value: { ...page, done: false } });
    const req = { ...samples['history-req'], after: null, have: {} };
    expect(parseFrame(json(req), ctx)).toEqual({ ok: true, value: req });
  });

  it("notes a history page's size as it arrived (UTF-8 of its text), which a joiner's byte budget counts", () => {
    const text = json({ ...samples['history-res'], done: false });
    const parsed = parseFrame(text, ctx);
    if (!parsed.ok || parsed.value.t !== 'history-res') throw new Error('the sample page did not parse');
    expect(pageWireBytes(parsed.value)).toBe(new TextEncoder().encode(text).length);
    // A page built here, not parsed from text, has no size noted: the budget writes its items out instead.
    expect(pageWireBytes({ ...parsed.value })).toBeUndefined();
  });

  it('accepts values exactly at every cap', () => {
    const longest = data(ALICE, Number.MAX_SAFE_INTEGER, 'é'.repeat(MAX_BODY_CHARS));
    expect(parseFrame(json(longest), ctx).ok).toBe(true);
    const longId = asPeerId('p'.repeat(MAX_PEER_ID_CHARS));
    expect(parseFrame(json(data(longId)), { groupId: G, from: longId }).ok).toBe(true);
    const full = Object.fromEntries(
      Array.from({ length: MAX_SENDER_ENTRIES }, (_, i) => [`p${i}`, Number.MAX_SAFE_INTEGER]),
    );
    const req = {
      ...samples['history-req'],
      limit: MAX_HISTORY_ITEMS,
      after: 'k'.repeat(MAX_ORDER_KEY_CHARS),
      have: full,
      req: Number.MAX_SAFE_INTEGER,
    };
    expect(parseFrame(json(req), ctx).ok).toBe(true);
    expect(parseFrame(json({ t: 'chunk', id: 'c', index: MAX_CHUNKS - 1, count: MAX_CHUNKS, part: '' }), ctx).ok).toBe(
      true,
    );
  });
});

describe('parseFrame: the signed reports a FLUSH-OK restates', () => {
  const held = (entries: unknown[]) => json({ ...samples['flush-ok'], held: entries });
  it('refuses one that names the FLUSH-OK sender itself, or a reporter twice', () => {
    expectError(parseFrame(held([{ reporter: ALICE, report: GENESIS_PREV, sig: SIG }]), ctx), 'bad-state');
    const bob = { reporter: BOB, report: GENESIS_PREV, sig: SIG };
    expectError(parseFrame(held([bob, bob]), ctx), 'bad-state');
  });
  it('refuses a FLUSH without the signature of its report, or one that is not a signature', () => {
    expectError(parseFrame(withField(samples.flush, 'sig', undefined), ctx), 'missing-field');
    expectError(parseFrame(withField(samples.flush, 'sig', 'x'.repeat(88)), ctx), 'bad-signature');
  });
});

describe('parseFrame: a relayed FLUSH report and FLUSH-ASK (PROTOCOL.md §3.4 "Relay")', () => {
  it('takes a report that names a reporter other than the link peer, and keeps the name', () => {
    const r = parseFrame(withField(samples.flush, 'reporter', CAROL), ctx);
    expect(r.ok && r.value.t === 'flush' ? r.value.reporter : null).toBe(CAROL);
  });
  it('refuses a report that names the link peer as its relayed reporter, or a malformed one', () => {
    expectError(parseFrame(withField(samples.flush, 'reporter', ALICE), ctx), 'bad-state');
    expectError(parseFrame(withField(samples.flush, 'reporter', 5), ctx), 'bad-type');
  });
  it("refuses a FLUSH-ASK for the asker's own report", () => {
    expectError(parseFrame(withField(samples['flush-ask'], 'reporter', ALICE), ctx), 'bad-state');
  });
});

describe('parseFrame: a relayed FLUSH-OK and the FLUSH-ASK for one (PROTOCOL.md §3.4 "Relay")', () => {
  // CAROL's FLUSH-OK relayed by the link's peer ALICE: it restates ALICE's report and BOB's, never CAROL's.
  const relayed = {
    ...samples['flush-ok'],
    sender: CAROL,
    held: [
      { reporter: ALICE, report: GENESIS_PREV, sig: SIG },
      { reporter: BOB, report: GENESIS_PREV, sig: SIG },
    ],
  };
  const okAsk = { t: 'flush-ask', groupId: G, viewId: 4, reporter: CAROL, kind: 'flush-ok' };
  it('takes a FLUSH-OK that names a sender other than the link peer, restating the relay', () => {
    const r = parseFrame(json(relayed), ctx);
    expect(r.ok && r.value.t === 'flush-ok' ? [r.value.sender, r.value.held?.length] : null).toEqual([CAROL, 2]);
  });
  it('refuses one that names the link peer as its sender, restates its named sender, or lacks its signature', () => {
    expectError(parseFrame(json({ ...relayed, sender: ALICE }), ctx), 'bad-state');
    expectError(parseFrame(json({ ...relayed, sender: 7 }), ctx), 'bad-type');
    const ownRestated = [...relayed.held, { reporter: CAROL, report: GENESIS_PREV, sig: SIG }];
    expectError(parseFrame(json({ ...relayed, held: ownRestated }), ctx), 'bad-state');
    expectError(parseFrame(withField(samples['flush-ok'], 'sig', undefined), ctx), 'missing-field');
    expectError(parseFrame(withField(samples['flush-ok'], 'sig', 'x'.repeat(88)), ctx), 'bad-signature');
  });
  it('takes a FLUSH-ASK of kind flush-ok without a report hash', () => {
    expect(parseFrame(json(okAsk), ctx)).toEqual({
      ok: true,
      value: { t: 'flush-ask', groupId: G, viewId: 4, reporter: CAROL, kind: 'flush-ok' },
    });
  });
  it("refuses another kind, a kind with a report hash, or an ask for the asker's own FLUSH-OK", () => {
    expectError(parseFrame(json({ ...okAsk, kind: 'report' }), ctx), 'bad-type');
    expectError(parseFrame(json({ ...okAsk, report: GENESIS_PREV }), ctx), 'bad-state');
    expectError(parseFrame(json({ ...okAsk, reporter: ALICE }), ctx), 'bad-state');
  });
});

describe('parseFrame: missing fields and wrong types, for every kind', () => {
  for (const kind of kinds) {
    for (const [path, wrong] of requiredFields[kind]) {
      it(`${kind}.${path} of the wrong type → bad-type`, () => {
        expectError(parseFrame(withField(samples[kind], path, wrong), ctx), 'bad-type');
      });
      if (!optional.has(path))
        it(`${kind}.${path} missing → missing-field`, () => {
          expectError(parseFrame(withField(samples[kind], path, undefined), ctx), 'missing-field');
        });
    }
  }

  it('a frame without t → missing-field; t not a string → bad-type', () => {
    expectError(parseFrame(json({ body: 'hi' }), ctx), 'missing-field');
    expectError(parseFrame(json({ ...samples.data, t: 3 }), ctx), 'bad-type');
  });

  it('an unknown kind → unknown-kind', () => {
    expectError(parseFrame(json({ ...samples.data, t: 'hello' }), ctx), 'unknown-kind');
    expectError(parseFrame(json({ ...samples.data, t: 'DATA' }), ctx), 'unknown-kind');
  });

  it('JSON that is not an object → bad-type', () => {
    for (const text of ['null', '[]', '42', '"data"', 'true', '[{"t":"data"}]'])
      expectError(parseFrame(text, ctx), 'bad-type');
  });

  it('text that is not JSON → bad-json', () => {
    for (const text of ['', '{', '{"t":"data",}', "{'t':'data'}", 'undefined', 'NaN', '{"t":"data"} x'])
      expectError(parseFrame(text, ctx), 'bad-json');
  });

  it('binary data instead of text → bad-type', () => {
    expectError(parseFrame(new ArrayBuffer(8) as unknown as string, ctx), 'bad-type');
  });
});

describe('parseFrame: numbers', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['seq', '1e400'],
    ['seq', '-1e400'],
    ['seq', '9007199254740992'],
    ['seq', '1.5'],
    ['seq', '0'],
    ['seq', '"NaN"'],
    ['seq', '"Infinity"'],
    ['lamport', '-1'],
    ['sentAt', '1e300'],
    ['viewId', '-0.5'],
  ];
  it.each(cases)('data.%s = %s → bad-type', (key, raw) => {
    const text = json(samples.data).replace(new RegExp(`"${key}":[^,]+`), `"${key}":${raw}`);
    expect(text).toContain(`"${key}":${raw}`);
    expectError(parseFrame(text, ctx), 'bad-type');
  });
});

describe('parseFrame: caps', () => {
  it('a sentAt past the Date range (2^53 - 1, MAX_SENT_AT_MS + 1) → bad-type, in a DATA and inside a FLUSH; MAX_SENT_AT_MS itself parses', () => {
    for (const sentAt of [Number.MAX_SAFE_INTEGER, MAX_SENT_AT_MS + 1]) {
      expectError(parseFrame(json({ ...data(), sentAt }), ctx), 'bad-type');
      expectError(parseFrame(json({ ...samples.flush, unstable: [{ ...data(BOB, 2), sentAt }] }), ctx), 'bad-type');
    }
    const edge = parseFrame(json({ ...data(), sentAt: MAX_SENT_AT_MS }), ctx);
    expect(edge.ok).toBe(true);
    expect(() => new Date(MAX_SENT_AT_MS).toISOString()).not.toThrow();
  });

  it('a body over MAX_BODY_CHARS → too-long', () => {
    expectError(parseFrame(json(data(ALICE, 1, 'x'.repeat(MAX_BODY_CHARS + 1))), ctx), 'too-long');
  });

  it('ids, order keys and chunk parts over their caps → too-long', () => {
    const long = 'p'.repeat(MAX_PEER_ID_CHARS + 1);
    expectError(parseFrame(json(data(asPeerId(long))), { groupId: G, from: asPeerId(long) }), 'too-long');
    expectError(parseFrame(withField(samples.propose, 'priority.by', long), ctx), 'too-long');
    expectError(
      parseFrame(withField(samples['history-req'], 'after', 'k'.repeat(MAX_ORDER_KEY_CHARS + 1)), ctx),
      'too-long',
    );
    expectError(
      parseFrame(withField(samples['history-res'], 'items.0.order', 'k'.repeat(MAX_ORDER_KEY_CHARS + 1)), ctx),
      'too-long',
    );
    expectError(parseFrame(withField(samples.chunk, 'part', 'x'.repeat(CHUNK_THRESHOLD_BYTES + 1)), ctx), 'too-long');
    const longName = 'n'.repeat(MAX_SENDER_NAME_UNITS + 1);
    expectError(parseFrame(withField(samples['history-res'], 'items.0.senderName', longName), ctx), 'too-long');
  });

  it('lists and maps over their caps → too-many', () => {
    expectError(
      parseFrame(withField(samples.flush, 'unstable', new Array(MAX_FLUSH_ITEMS + 1).fill(0)), ctx),
      'too-many',
    );
    expectError(
      parseFrame(withField(samples.flush, 'pending', new Array(MAX_FLUSH_ITEMS + 1).fill(0)), ctx),
      'too-many',
    );
    expectError(
      parseFrame(withField(samples['history-res'], 'items', new Array(MAX_HISTORY_ITEMS + 1).fill(0)), ctx),
      'too-many',
    );
    expectError(parseFrame(withField(samples['history-req'], 'limit', MAX_HISTORY_ITEMS + 1), ctx), 'too-many');
    expectError(parseFrame(withField(samples.chunk, 'count', MAX_CHUNKS + 1), ctx), 'too-many');
    const many = Object.fromEntries(Array.from({ length: MAX_SENDER_ENTRIES + 1 }, (_, i) => [`p${i}`, 1]));
    expectError(parseFrame(withField(samples.hwm, 'delivered', many), ctx), 'too-many');
    expectError(parseFrame(withField(samples['history-res'], 'state.nextSeq', many), ctx), 'too-many');
    expectError(parseFrame(withField(samples['history-req'], 'have', many), ctx), 'too-many');
  });

  it('text over the byte cap → too-large, counting UTF-8 bytes rather than characters', () => {
    const small = { ...ctx, maxBytes: 1000 };
    expectError(parseFrame(' '.repeat(1001), small), 'too-large');
    // 400 three-byte characters: 400 code units but 1200 bytes.
    const wide = json(data(ALICE, 1, '€'.repeat(400)));
    expect(wide.length).toBeLessThan(1000);
    expectError(parseFrame(wide, small), 'too-large');
    expect(parseFrame(json(data(ALICE, 1, 'e'.repeat(400))), small).ok).toBe(true);
    expectError(parseFrame(`"${'x'.repeat(MAX_FRAME_BYTES)}"`, ctx), 'too-large');
  });

  it('a chunk index outside 0..count-1 → bad-type', () => {
    expectError(parseFrame(withField(samples.chunk, 'index', 3), ctx), 'bad-type');
    expectError(parseFrame(withField(samples.chunk, 'index', -1), ctx), 'bad-type');
    expectError(parseFrame(withField(samples.chunk, 'count', 0), ctx), 'bad-type');
  });

  it('a malformed signature → bad-signature', () => {
    for (const sig of ['', 'abc', 'A'.repeat(88), `${'A'.repeat(85)}Q=`, `${'*'.repeat(86)}==`])
      expectError(parseFrame(json({ ...samples.data, sig }), ctx), 'bad-signature');
  });
});

describe('parseFrame: who may send what', () => {
  it('a DATA whose sender is not the link peer → forged-sender', () => {
    expectError(parseFrame(json(data(BOB)), ctx), 'forged-sender');
  });

  it('a PROPOSE made by someone else than the link peer → forged-sender', () => {
    expectError(parseFrame(withField(samples.propose, 'priority.by', 'carol'), ctx), 'forged-sender');
  });

  it('a FINAL for a message the link peer did not send → forged-sender', () => {
    expectError(parseFrame(withField(samples.final, 'sender', 'bob'), ctx), 'forged-sender');
  });

  it('DATA from any sender is fine inside FLUSH and history (the samples carry bob and carol)', () => {
    expect(parseFrame(json(samples.flush), ctx).ok).toBe(true);
    expect(parseFrame(json(samples['history-res']), ctx).ok).toBe(true);
  });

  it('a frame of another group, or another group’s DATA inside one → not-member', () => {
    expectError(parseFrame(json(samples.hwm), { groupId: asGroupId('g-2'), from: ALICE }), 'not-member');
    expectError(parseFrame(withField(samples.flush, 'unstable.1.groupId', 'g-2'), ctx), 'not-member');
    expectError(parseFrame(withField(samples['history-res'], 'items.0.frame.groupId', 'g-2'), ctx), 'not-member');
  });

  it('nested DATA must really be DATA', () => {
    expectError(parseFrame(withField(samples.flush, 'unstable.0.t', 'propose'), ctx), 'bad-type');
  });
});

describe('parseFrame: hostile structure', () => {
  it('prototype-pollution keys never reach a prototype', () => {
    const text = `{"t":"hwm","groupId":"g-1","viewId":3,"delivered":{"__proto__":{"polluted":1},"alice":1}}`;
    expectError(parseFrame(text, ctx), 'bad-type');
    expectError(parseFrame(text.replace('__proto__', 'constructor'), ctx), 'bad-type');
    const top = `{"__proto__":{"t":"data"},"constructor":{"prototype":{"x":1}},"t":"hwm","groupId":"g-1","viewId":3,"delivered":{}}`;
    const r = parseFrame(top, ctx);
    expect(r.ok && r.value).toEqual({ t: 'hwm', groupId: G, viewId: 3, delivered: {} });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
    expectError(parseFrame(json(data(asPeerId('__proto__'))), { groupId: G, from: asPeerId('__proto__') }), 'bad-type');
  });

  it('count maps have no prototype, so a lookup of a missing sender is undefined', () => {
    const r = parseFrame(json(samples.hwm), ctx);
    if (!r.ok || r.value.t !== 'hwm') throw new Error('expected hwm');
    expect(r.value.delivered['toString']).toBeUndefined();
    expect(r.value.delivered['alice']).toBe(2);
  });

  it("an hwm's floor (the sender's seqs of an earlier engine, PROTOCOL.md §3.1) is kept when it is a positive integer", () => {
    const r = parseFrame(json({ ...samples.hwm, floor: 3 }), ctx);
    expect(r.ok && r.value).toEqual({ ...samples.hwm, floor: 3 });
    for (const bad of [0, -1, 1.5, '2', null])
      expectError(parseFrame(json({ ...samples.hwm, floor: bad } as never), ctx), 'bad-type');
  });

  it('peer ids with a colon (the MessageId separator) or spaces are refused', () => {
    expectError(parseFrame(withField(samples.propose, 'sender', 'a:1'), ctx), 'bad-type');
    expectError(parseFrame(withField(samples.hwm, 'delivered', { 'a b': 1 }), ctx), 'bad-type');
  });

  it('deeply nested junk is refused without a throw', () => {
    const depth = 100_000;
    const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const r1 = parseFrame(deep, ctx);
    expect(r1.ok).toBe(false);
    const nested = `{"t":"flush","groupId":"g-1","viewId":1,"unstable":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expectError(parseFrame(nested, ctx), 'bad-type');
  });
});

describe('classifyView', () => {
  it('tells current, old and future views apart', () => {
    expect(classifyView(asViewId(5), asViewId(5))).toBe('current');
    expect(classifyView(asViewId(4), asViewId(5))).toBe('old');
    expect(classifyView(asViewId(6), asViewId(5))).toBe('future');
  });
});

describe('optional fields the engines rely on after a crash', () => {
  const withProposal: DataFrame = { ...data(ALICE, 5), proposal: { p: 9, by: ALICE } };
  const flush: WireFrame = {
    t: 'flush',
    groupId: G,
    viewId: asViewId(5),
    unstable: [withProposal],
    pending: [],
    agreed: 9,
    delivered: { alice: 4 },
    joining: false,
    installed: { viewId: asViewId(4), members: [ALICE, BOB, CAROL] },
    report: GENESIS_PREV,
    sig: SIG,
  };
  const historyRes: WireFrame = {
    t: 'history-res',
    groupId: G,
    req: 0,
    items: [],
    done: true,
    state: {
      viewId: asViewId(5),
      incarnation: asViewId(2),
      agreed: 9,
      nextSeq: { alice: 6 },
      unstable: [{ frame: withProposal, agreed: { p: 9, by: BOB } }, { frame: data(BOB, 1) }],
    },
  };

  it('keeps a DATA proposal, FLUSH joining/installed and the joiner state unstable list', () => {
    for (const frame of [withProposal, flush, historyRes]) {
      const r = parseFrame(encodeFrame(frame), ctx);
      expect(r.ok && r.value).toEqual(frame);
    }
  });

  it('refuses malformed values in each of them', () => {
    const bad: [Record<string, unknown>, ErrorCode][] = [
      [{ ...clone(withProposal), proposal: { p: -1, by: ALICE } }, 'bad-type'],
      [{ ...clone(withProposal), proposal: 'high' }, 'bad-type'],
      [{ ...clone(flush), joining: 'yes' }, 'bad-type'],
      [{ ...clone(flush), installed: { viewId: 4 } }, 'missing-field'],
      [
        { ...clone(flush), installed: { viewId: 4, members: Array.from({ length: 300 }, (_, i) => `p${i}`) } },
        'too-many',
      ],
      [
        {
          ...clone(historyRes),
          state: { viewId: 5, incarnation: 2, agreed: 9, nextSeq: {}, unstable: [{ agreed: { p: 1, by: BOB } }] },
        },
        'missing-field',
      ],
      [
        {
          ...clone(historyRes),
          state: {
            viewId: 5,
            incarnation: 2,
            agreed: 9,
            nextSeq: {},
            unstable: [{ frame: { ...clone(data()), groupId: 'other' } }],
          },
        },
        'not-member',
      ],
    ];
    for (const [frame, code] of bad) expectError(parseFrame(json(frame), ctx), code);
  });
});

describe('parseFrame: relay envelopes (PROTOCOL.md §1.6)', () => {
  const relay = samples.relay;
  it('accepts an envelope from any member of the link (the relay forwards it) and keeps its body as text', () => {
    const r = parseFrame(json(relay), { groupId: G, from: BOB });
    expect(r.ok && r.value).toEqual(relay);
  });
  it('refuses a reset with a body, a probe without "seq[.echo]", a msg without a body, an envelope to its own origin and a bad signature', () => {
    expectError(parseFrame(withField(relay, 'kind', 'reset'), ctx), 'bad-type');
    for (const body of ['', '0', '01', '3.', '3.0', '1.2.3', ' 3', '1234567890123456', 'x'])
      expectError(parseFrame(json({ ...relay, kind: 'probe', body }), ctx), 'bad-type');
    for (const body of ['1', '7.3', '123456789012345.1'])
      expect(parseFrame(json({ ...relay, kind: 'probe', body }), ctx).ok).toBe(true);
    expectError(parseFrame(withField(relay, 'body', ''), ctx), 'bad-type');
    expectError(parseFrame(withField(relay, 'to', ALICE), ctx), 'bad-type');
    expectError(parseFrame(withField(relay, 'sig', 'x'.repeat(88)), ctx), 'bad-signature');
    expectError(parseFrame(withField(relay, 'body', 'x'.repeat(16 * 1024 + 1)), ctx), 'too-long');
    expect(parseFrame(json({ ...relay, kind: 'reset', body: '' }), ctx).ok).toBe(true);
  });
});
