// A backward history paging on the wire and at the sponsor (PROTOCOL.md §4,
// the joiner usable before its old pages finish): `history-req.before`, the
// newest page carrying the state, and the sponsor keeping one state for the
// whole paging.
import { describe, expect, it } from 'vitest';
import { asGroupId, asPeerId, asViewId, type PeerId } from '../src/ids.ts';
import { HISTORY_PAGE_BYTES, readHistoryPageSync, type HistoryRecord } from '../src/history/history-reader.ts';
import { splitStatePage } from '../src/history/state-parts.ts';
import { SponsorDesk } from '../src/session/sponsor-desk.ts';
import { MAX_FLUSH_ITEMS } from '../src/wire/caps.ts';
import type { DataFrame, HistoryRequestFrame, HistoryResponseFrame, JoinerState } from '../src/wire/frames.ts';
import { parseFrame } from '../src/wire/parse-frame.ts';
import { StoreModel } from '../sim/store-model.ts';

const G = asGroupId('g');
const A = asPeerId('ann');
const J = asPeerId('joe');
const ctx = { groupId: G, from: J };

const frame = (sender: PeerId, seq: number, body = `${sender}${seq}`): DataFrame => ({
  t: 'data',
  groupId: G,
  viewId: asViewId(3),
  sender,
  seq,
  lamport: seq,
  sentAt: 0,
  body,
  sig: `${'A'.repeat(86)}==`,
});
const key = (n: number): string => String(n).padStart(4, '0');
const model = (records: readonly HistoryRecord[]): StoreModel => {
  const m = new StoreModel();
  m.put(
    records.map((r) => ({ id: `${G}/${r.frame.sender}:${r.frame.seq}`, groupId: G, frame: r.frame, order: r.order })),
  );
  return m;
};
const state = (nextSeq: Record<string, number>, unstable: JoinerState['unstable'] = undefined): JoinerState => ({
  viewId: asViewId(5),
  incarnation: asViewId(2),
  agreed: 0,
  nextSeq,
  ...(unstable === undefined ? {} : { unstable }),
});
const req = (before: string | null, limit = 4, n = 1): HistoryRequestFrame => ({
  t: 'history-req',
  groupId: G,
  req: n,
  have: {},
  after: null,
  limit,
  before,
});
const seqs = (p: HistoryResponseFrame): number[] => p.items.map((i) => i.frame.seq);

describe('history-req.before on the wire', () => {
  it('is a key or null, and excludes `after`', () => {
    for (const before of [null, '0007']) {
      const r = parseFrame(JSON.stringify(req(before)), ctx);
      expect(r).toEqual({ ok: true, value: req(before) });
    }
    // Absent: paging forwards, as before the field existed.
    const { before: _b, ...forward } = req(null);
    expect(parseFrame(JSON.stringify(forward), ctx)).toEqual({ ok: true, value: forward });
    const both = parseFrame(JSON.stringify({ ...req('0007'), after: '0003' }), ctx);
    expect(both.ok === false && both.error.code).toBe('bad-type');
    const wrong = parseFrame(JSON.stringify({ ...req(null), before: 7 }), ctx);
    expect(wrong.ok === false && wrong.error.code).toBe('bad-type');
  });
});

describe("a sponsor's pages backwards", () => {
  const records = Array.from({ length: 10 }, (_, i) => ({ frame: frame(A, i + 1), order: key(i + 1) }));
  const handOver = state({ [A]: 10 }); // ann's 10 is the joiner engine's to deliver

  it('the newest page carries the state; older pages follow below it, the last one done; nothing twice', () => {
    const store = model(records);
    const read = (r: HistoryRequestFrame): HistoryResponseFrame =>
      readHistoryPageSync(store, { groupId: G, state: handOver, req: r, keyOf: () => null });
    const head = read(req(null));
    expect(seqs(head)).toEqual([6, 7, 8, 9]);
    expect(head.state).toEqual(handOver);
    expect(head.done).toBe(false);
    const older = read(req(head.items[0]!.order, 4, 2));
    expect(seqs(older)).toEqual([2, 3, 4, 5]);
    expect(older.state).toBeUndefined();
    const last = read(req(older.items[0]!.order, 4, 3));
    expect(seqs(last)).toEqual([1]);
    expect(last.done).toBe(true);
    expect(last.state).toBeUndefined();
  });

  it('a state too large for one frame goes as parts of the newest page, the items on the first part', () => {
    const unstable = Array.from({ length: MAX_FLUSH_ITEMS + 1 }, (_, i) => ({ frame: frame(A, i + 1), priority: i }));
    const big = state({ [A]: MAX_FLUSH_ITEMS + 2 }, unstable);
    const head = readHistoryPageSync(model(records), { groupId: G, state: big, req: req(null), keyOf: () => null });
    // The items leave room for the state in the page's byte budget: at least one item always.
    expect(head.items.length).toBeGreaterThanOrEqual(1);
    const parts = splitStatePage(head);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((p) => p.statePart?.index)).toEqual(parts.map((_, i) => i));
    expect(parts[0]!.items).toEqual(head.items);
    expect(parts.slice(1).every((p) => p.items.length === 0)).toBe(true);
    expect(parts.flatMap((p) => p.state?.unstable ?? [])).toEqual(unstable);
    for (const p of parts) expect(parseFrame(JSON.stringify(p), ctx)).toMatchObject({ ok: true });
    expect(JSON.stringify(head.items).length).toBeLessThanOrEqual(HISTORY_PAGE_BYTES);
  });

  it('the sponsor keeps one state for the whole backward paging, and starts a lost paging over from the newest', () => {
    const desk = new SponsorDesk();
    const first = state({ [A]: 10 });
    const newer = state({ [A]: 12 });
    desk.capture(first);
    expect(desk.request(J, req(null), true)?.state).toBe(first);
    desk.served(J, { t: 'history-res', groupId: G, req: 1, items: [], done: false, state: first });
    desk.capture(newer); // a view change at the sponsor while the joiner pages back
    const older = desk.request(J, req('0006', 4, 2), true);
    expect(older?.state).toBe(first);
    expect(older?.req.before).toBe('0006');
    desk.served(J, { t: 'history-res', groupId: G, req: 2, items: [], done: true }); // the oldest page went out: the paging is over
    // A later backward page the sponsor no longer holds a paging for: from the newest, with its current state.
    const lost = desk.request(J, req('0003', 4, 3), true);
    expect(lost?.state).toBe(newer);
    expect(lost?.req.before).toBeNull();
    // A new first page (backwards or forwards) always takes the current state.
    expect(desk.request(J, req(null, 4, 4), true)?.state).toBe(newer);
  });
});
