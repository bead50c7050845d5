// The one history reader (src/history/history-reader.ts), over a plain store:
// what a joiner holds, and what a sponsor's pages hand it.
import { describe, expect, it } from 'vitest';
import { asPeerId, asViewId } from '../src/ids.ts';
import {
  countedByHandover,
  HISTORY_PAGE_BYTES,
  readHeldSync,
  readHistoryPageSync,
  recordFloors,
  type HistoryRecord,
  type HistorySource,
} from '../src/history/history-reader.ts';
import type { HistoryRequestFrame, HistoryResponseFrame, JoinerState } from '../src/wire/frames.ts';
import { forwardStore, G, rec } from './history-fixtures.ts';
import { SeqFloors } from '../src/session/seq-floors.ts';

const A = asPeerId('ann');
const B = asPeerId('bob');
const C = asPeerId('cyd');

const store = (records: readonly HistoryRecord[], max = 2): HistorySource => forwardStore(records, max);

const state = (nextSeq: Record<string, number>, incarnation = 2): JoinerState => ({
  viewId: asViewId(5),
  incarnation: asViewId(incarnation),
  agreed: 0,
  nextSeq,
});
const req = (have: Record<string, number>, after: string | null = null, limit = 200): HistoryRequestFrame => ({
  t: 'history-req',
  groupId: G,
  req: 9,
  have,
  after,
  limit,
});
const bodies = (p: HistoryResponseFrame): string[] => p.items.map((i) => i.frame.body);

describe('what a joiner holds', () => {
  it('per sender, one past the run 1, 2, 3, … in its store; a seq above a hole does not count', () => {
    const s = store([rec(A, 1, '01'), rec(B, 2, '02'), rec(A, 2, '03'), rec(A, 4, '04'), rec(C, 1, '05')]);
    expect(readHeldSync(s, G)).toEqual({ [A]: 3, [C]: 2 });
    expect(readHeldSync(store([]), G)).toEqual({});
  });

  it("counts a sender's seqs at or below its floor as held (no sponsor hands them to this store), and goes on from there", () => {
    // bob's seq 1 was skipped by his resume floor: the store holds 2 and 3. cyd has a floor and nothing stored.
    const s = store([rec(B, 2, '02'), rec(B, 3, '03'), rec(A, 1, '01'), rec(A, 3, '04')]);
    expect(readHeldSync(s, G)).toEqual({ [A]: 2 });
    expect(readHeldSync(s, G, { [B]: 1, [C]: 4 })).toEqual({ [A]: 2, [B]: 4, [C]: 5 });
    // A floor does not cover a hole above it: ann's seq 2 is asked for again.
    expect(readHeldSync(s, G, { [A]: 1 })).toEqual({ [A]: 2 });
    // Floors are data from disk: anything but a positive safe integer is no floor.
    expect(recordFloors({ floors: { [A]: 2, [B]: -1, [C]: 1.5, x: 'no' as unknown as number } })).toEqual({ [A]: 2 });
    expect(recordFloors(null)).toEqual({});
  });
});

describe('the floors a session saves (SeqFloors)', () => {
  it('notes the seqs its engine counted that never reached the store, and only those', () => {
    const f = new SeqFloors({ [C]: 2 });
    f.reached(A, 5); // before the store was read nothing is derived
    f.held({ [A]: 2, [C]: 3 }); // holds ann 1; cyd up to 2 (its floor)
    f.reached(A, 2);
    f.reached(A, 4); // 3 never came: the sponsor lacked it, or a floor passed over it
    f.reached(B, 3); // bob 1 and 2 never came
    f.reached(C, 3);
    f.counted({ [A]: 5, [B]: 4, [C]: 6 }); // the engine counts cyd 4 and 5 without delivering them
    expect(f.floors()).toEqual({ [A]: 3, [B]: 2, [C]: 5 });
  });

  it('while a backfill holds them, older seqs after newer ones leave no floor; at its end the holes left are floors', () => {
    const f = new SeqFloors();
    f.held({ [A]: 2 }); // holds ann 1
    f.hold();
    for (const seq of [8, 9, 10]) f.reached(A, seq); // the newest page first
    f.counted({ [A]: 11 }); // a record saved meanwhile: the engine counts what the backfill has not brought yet
    expect(f.floors()).toEqual({});
    for (const seq of [5, 6, 7, 2]) f.reached(A, seq); // older pages; ann 3 and 4 the sponsor never had
    expect(f.floors()).toEqual({});
    f.release();
    expect(f.floors()).toEqual({ [A]: 4 });
    f.counted({ [A]: 11 });
    expect(f.floors()).toEqual({ [A]: 4 });
  });

  it('derives nothing before the store was read (a failed read): the record keeps the floors it had', () => {
    const f = new SeqFloors({ [A]: 1 });
    f.reached(B, 3);
    f.counted({ [A]: 4, [B]: 4 });
    expect(f.floors()).toEqual({ [A]: 1 });
  });
});

describe('what a sponsor hands over', () => {
  // FIFO keys are Lamport times: cyd's first message sorts before bob's last, which the joiner has.
  const log = [rec(C, 1, '01'), rec(A, 1, '02'), rec(B, 1, '03'), rec(A, 2, '04'), rec(B, 2, '05')];

  it("everything the state counts that the joiner does not hold, in the store's order, whatever sorts where", () => {
    const page = readHistoryPageSync(store(log), {
      groupId: G,
      state: state({ [A]: 3, [B]: 3, [C]: 2 }),
      req: req({ [B]: 3, [A]: 2 }),
      keyOf: () => null,
    });
    expect(bodies(page)).toEqual(['cyd1', 'ann2']);
    expect(page).toMatchObject({ t: 'history-res', req: 9, done: true, state: { viewId: 5 } });
  });

  it('not what the state does not count: a later seq, or a sender it does not name in its own incarnation (joined after the hand-over)', () => {
    const late = rec(asPeerId('dee'), 1, '06', 5);
    const older = rec(asPeerId('eve'), 1, '00', 1);
    const s = state({ [A]: 2, [B]: 3, [C]: 2 });
    expect(countedByHandover(s, late.frame)).toBe(false);
    expect(countedByHandover(s, older.frame)).toBe(true); // an earlier incarnation's: its engine can never deliver it
    const page = readHistoryPageSync(store([...log, late, older]), {
      groupId: G,
      state: s,
      req: req({}),
      keyOf: () => null,
    });
    expect(bodies(page)).toEqual(['eve1', 'cyd1', 'ann1', 'bob1', 'bob2']);
  });

  it('pages by item count, goes on after the last item, and puts the state only on the last page', () => {
    const s = state({ [A]: 3, [B]: 3, [C]: 2 });
    const first = readHistoryPageSync(store(log), { groupId: G, state: s, req: req({}, null, 2), keyOf: () => null });
    expect([bodies(first), first.done, first.state]).toEqual([['cyd1', 'ann1'], false, undefined]);
    const second = readHistoryPageSync(store(log), {
      groupId: G,
      state: s,
      req: req({}, first.items.at(-1)!.order, 2),
      keyOf: () => null,
    });
    expect(bodies(second)).toEqual(['bob1', 'ann2']);
    const last = readHistoryPageSync(store(log), {
      groupId: G,
      state: s,
      req: req({}, second.items.at(-1)!.order, 2),
      keyOf: () => null,
    });
    expect([bodies(last), last.done, last.state?.viewId]).toEqual([['bob2'], true, 5]);
  });

  it('keeps every page under HISTORY_PAGE_BYTES of items, and hands each item once over the pages', () => {
    const big = Array.from({ length: 100 }, (_, i) => rec(A, i + 1, String(i).padStart(4, '0'), 3, 'x'.repeat(4000)));
    const s = state({ [A]: 101 });
    const sizes: number[] = [];
    let after: string | null = null;
    for (;;) {
      const page: HistoryResponseFrame = readHistoryPageSync(store(big, 1000), {
        groupId: G,
        state: s,
        req: req({}, after),
        keyOf: () => 'key',
      });
      expect(JSON.stringify(page.items).length).toBeLessThanOrEqual(HISTORY_PAGE_BYTES);
      sizes.push(page.items.length);
      if (page.done) break;
      after = page.items.at(-1)!.order;
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(100);
    expect(sizes.length).toBeGreaterThan(1);
    expect(
      readHistoryPageSync(store(big, 1000), { groupId: G, state: s, req: req({}), keyOf: () => 'key' }).items[0]
        ?.senderKey,
    ).toBe('key');
  });
});
