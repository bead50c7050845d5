// A model-based test of a MessageStore (fast-check `fc.commands`), run
// against the memory store (vitest) and the IndexedDB store in Chromium
// (e2e/specs/store-model.spec.ts). The model is a plain map per group with
// "the first copy of an id wins" (a history write moves a stored copy to
// its key); the commands write many groups in which
// the same senders use the same seqs, deliver duplicates, refuse a write
// with another group's record, reopen the store (a reload), and read by
// order (pages and cursors) and by time, comparing every answer with the
// model. Only types are imported, so Playwright's runner can load this file.

import fc from 'fast-check';
import type { GroupId, MessageId, PeerId, ViewId } from '@chorus/protocol';
import type { HistoryPage, StoredMessage } from '../../src/storage.ts';

/** The store as a test drives it; the browser driver forwards each call to a page. */
export interface StoreUnderTest {
  /** `history`: a total-order group's agreed log (`putHistory`, its keys replace stored ones); else `putMessages`. */
  put(
    groupId: GroupId,
    items: readonly StoredMessage[],
    history?: boolean,
  ): Promise<'ok' | { readonly refused: string }>;
  page(groupId: GroupId, after: string | null, limit: number): Promise<HistoryPage>;
  since(groupId: GroupId, since: number, limit: number): Promise<readonly StoredMessage[]>;
  cursor(groupId: GroupId): Promise<string | null>;
  /** Left out by a driver of a store without `lastOrder` (its cursor is always the last key). */
  lastOrder?(groupId: GroupId): Promise<string | null>;
  count(groupId: GroupId): Promise<number>;
  /** Close and open again (the browser driver reloads the page in between). */
  reopen(): Promise<void>;
}

type Model = Map<GroupId, Map<MessageId, StoredMessage>>;

/** Few groups, senders and seqs, so the same sender and seq occur in several groups, and copies recur. */
export const GROUPS = ['cats', 'dogs', 'birds', 'fish'] as const;
const SENDERS = ['alice', 'bob', 'carol'] as const;
const MAX_SEQ = 6;

interface Draw {
  readonly group: number;
  readonly sender: number;
  readonly seq: number;
  /**
   * Which delivery of the message this is: a later copy differs in body and deliveredAt, and must not replace the
   * first.
   */
  readonly copy: number;
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/**
 * One delivery of (group, sender, seq). The order key is the same for every
 * copy (as the engine's keys are) and mixes groups, senders and seqs so
 * order differs from insertion; sentAt has ties, so the (sentAt, id) tie
 * break of "since" is exercised.
 */
export function message(d: Draw): StoredMessage {
  const groupId = GROUPS[d.group % GROUPS.length] as GroupId;
  const sender = SENDERS[d.sender % SENDERS.length] as PeerId;
  const lamport = (d.seq * 3 + d.sender * 5 + d.group * 7) % 11;
  return {
    id: `${groupId}/${sender}:${d.seq}` as MessageId,
    groupId,
    senderName: sender,
    deliveredAt: 1_000 + d.copy,
    order: `${pad(lamport, 4)}:${sender}:${pad(d.seq, 4)}`,
    frame: {
      t: 'data',
      groupId,
      viewId: 1 as ViewId,
      sender,
      seq: d.seq,
      lamport,
      sentAt: 10_000 + ((d.seq * 13 + d.sender * 7 + d.group) % 5) * 1_000,
      body: `${groupId} ${sender} ${d.seq} copy ${d.copy}`,
      sig: 'sig',
    },
  };
}

const byOrder = (a: StoredMessage, b: StoredMessage): number =>
  a.order < b.order ? -1 : a.order > b.order ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
const bySent = (a: StoredMessage, b: StoredMessage): number =>
  a.frame.sentAt - b.frame.sentAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function modelList(model: Model, groupId: GroupId): StoredMessage[] {
  return [...(model.get(groupId)?.values() ?? [])].sort(byOrder);
}

/** What a comparison shows of a message: its identity and which copy was kept. */
const shown = (m: StoredMessage): string => `${m.id} [${m.order}] ${m.frame.body}`;

function expectEqual<T>(what: string, got: T, want: T): void {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Error(`${what}:\n  store: ${g}\n  model: ${w}`);
}

type Cmd = fc.AsyncCommand<Model, StoreUnderTest>;

class Put implements Cmd {
  constructor(
    readonly group: number,
    readonly draws: readonly Draw[],
  ) {}
  check = (): boolean => true;
  async run(model: Model, real: StoreUnderTest): Promise<void> {
    const groupId = GROUPS[this.group] as GroupId;
    // The write names its group; every item belongs to it.
    const items = this.draws.map((d) => message({ ...d, group: this.group }));
    expectEqual('put', await real.put(groupId, items), 'ok');
    const g = model.get(groupId) ?? new Map<MessageId, StoredMessage>();
    for (const m of items) if (!g.has(m.id)) g.set(m.id, m);
    model.set(groupId, g);
  }
  toString = (): string =>
    `put(${GROUPS[this.group]}, ${this.draws.map((d) => `${SENDERS[d.sender]}:${d.seq}#${d.copy}`).join(' ')})`;
}

/**
 * A sponsor's history (`putHistory`): every item carries the group's key, here always above the
 * keys of live copies (a crashed member's non-uniform key sits below the flush's, PROTOCOL.md §4),
 * so "the highest key ever stored" stays the highest key stored. A stored copy moves to it and keeps
 * its other fields; a new id is stored as given. `again`: each item is its sender's re-issue, signed
 * again for a later view (PROTOCOL.md §3.1 "Re-issue"), and replaces a copy of an earlier view whole.
 */
class PutHistory implements Cmd {
  constructor(
    readonly group: number,
    readonly draws: readonly Draw[],
    readonly again = false,
  ) {}
  check = (): boolean => true;
  async run(model: Model, real: StoreUnderTest): Promise<void> {
    const groupId = GROUPS[this.group] as GroupId;
    const items = this.draws.map((d) => agreed(message({ ...d, group: this.group }), this.again));
    expectEqual('putHistory', await real.put(groupId, items, true), 'ok');
    const g = model.get(groupId) ?? new Map<MessageId, StoredMessage>();
    for (const m of items) {
      const had = g.get(m.id);
      g.set(m.id, had === undefined || had.frame.viewId < m.frame.viewId ? m : { ...had, order: m.order });
    }
    model.set(groupId, g);
  }
  toString = (): string =>
    `putHistory${this.again ? '(re-issued)' : ''}(${GROUPS[this.group]}, ${this.draws.map((d) => `${SENDERS[d.sender]}:${d.seq}#${d.copy}`).join(' ')})`;
}

/** The group's agreed key for a message: above every live key `message` gives (`again`: signed for view 2). */
const agreed = (m: StoredMessage, again = false): StoredMessage => ({
  ...m,
  order: `9${m.order.slice(1)}`,
  ...(again ? { frame: { ...m.frame, viewId: 2 as ViewId, sig: 'sig again' } } : {}),
});

class PutForeign implements Cmd {
  constructor(
    readonly group: number,
    readonly own: Draw,
    readonly foreign: Draw,
    readonly filedHere: boolean,
  ) {}
  check = (): boolean => true;
  async run(_model: Model, real: StoreUnderTest): Promise<void> {
    const groupId = GROUPS[this.group] as GroupId;
    const otherGroup = (this.group + 1 + (this.foreign.group % (GROUPS.length - 1))) % GROUPS.length;
    const other = message({ ...this.foreign, group: otherGroup });
    // Either filed under another group, or filed here with a frame (and id) of another group.
    const bad = this.filedHere ? { ...other, groupId } : other;
    const result = await real.put(groupId, [message({ ...this.own, group: this.group }), bad]);
    if (result === 'ok' || !/wrong-group/.test(result.refused))
      throw new Error(`a write with another group's record was not refused: ${JSON.stringify(result)}`);
    // The model is unchanged: the later reads prove nothing of the refused write landed.
  }
  toString = (): string => `putForeign(${GROUPS[this.group]}, ${this.filedHere ? 'filed here' : 'filed elsewhere'})`;
}

class WalkPages implements Cmd {
  constructor(
    readonly group: number,
    readonly limit: number,
  ) {}
  check = (): boolean => true;
  async run(model: Model, real: StoreUnderTest): Promise<void> {
    const groupId = GROUPS[this.group] as GroupId;
    const want = modelList(model, groupId);
    const got: StoredMessage[] = [];
    let after: string | null = null;
    for (let pages = 0; ; pages++) {
      if (pages > want.length + 1) throw new Error('paging does not end');
      const page: HistoryPage = await real.page(groupId, after, this.limit);
      if (page.items.length > this.limit)
        throw new Error(`a page of ${page.items.length} items for limit ${this.limit}`);
      got.push(...page.items);
      if (page.next === null) break;
      expectEqual('next is the last order key of the page', page.next, page.items.at(-1)?.order ?? null);
      after = page.next;
    }
    expectEqual(`${groupId} by order, pages of ${this.limit}`, got.map(shown), want.map(shown));
  }
  toString = (): string => `walk(${GROUPS[this.group]}, ${this.limit})`;
}

class PageAfter implements Cmd {
  constructor(
    readonly group: number,
    readonly pick: number,
    readonly limit: number,
  ) {}
  check = (): boolean => true;
  async run(model: Model, real: StoreUnderTest): Promise<void> {
    const groupId = GROUPS[this.group] as GroupId;
    const all = modelList(model, groupId);
    // After a key that is stored (a joiner's cursor), or before everything.
    const after =
      all.length === 0 || this.pick === 0 ? null : (all[(this.pick - 1) % all.length] as StoredMessage).order;
    const rest = after === null ? all : all.filter((m) => m.order > after);
    const page = await real.page(groupId, after, this.limit);
    expectEqual(`${groupId} after ${after}`, page.items.map(shown), rest.slice(0, this.limit).map(shown));
    expectEqual(
      `${groupId} after ${after}: next`,
      page.next,
      rest.length > this.limit ? (rest[this.limit - 1]?.order ?? null) : null,
    );
  }
  toString = (): string => `pageAfter(${GROUPS[this.group]}, #${this.pick}, ${this.limit})`;
}

class Since implements Cmd {
  constructor(
    readonly group: number,
    readonly since: number,
    readonly limit: number,
  ) {}
  check = (): boolean => true;
  async run(model: Model, real: StoreUnderTest): Promise<void> {
    const groupId = GROUPS[this.group] as GroupId;
    const want = modelList(model, groupId)
      .filter((m) => m.frame.sentAt >= this.since)
      .sort(bySent)
      .slice(0, this.limit);
    expectEqual(
      `${groupId} since ${this.since}`,
      (await real.since(groupId, this.since, this.limit)).map(shown),
      want.map(shown),
    );
  }
  toString = (): string => `since(${GROUPS[this.group]}, ${this.since}, ${this.limit})`;
}

class CursorAndCount implements Cmd {
  constructor(readonly group: number) {}
  check = (): boolean => true;
  async run(model: Model, real: StoreUnderTest): Promise<void> {
    const groupId = GROUPS[this.group] as GroupId;
    const all = modelList(model, groupId);
    expectEqual(`${groupId} cursor`, await real.cursor(groupId), all.at(-1)?.order ?? null);
    if (real.lastOrder) expectEqual(`${groupId} last order`, await real.lastOrder(groupId), all.at(-1)?.order ?? null);
    expectEqual(`${groupId} count`, await real.count(groupId), all.length);
  }
  toString = (): string => `cursorAndCount(${GROUPS[this.group]})`;
}

class Reopen implements Cmd {
  check = (): boolean => true;
  async run(_model: Model, real: StoreUnderTest): Promise<void> {
    await real.reopen();
  }
  toString = (): string => 'reopen';
}

const group = fc.integer({ min: 0, max: GROUPS.length - 1 });
const draw: fc.Arbitrary<Draw> = fc.record({
  group: fc.nat(GROUPS.length - 1),
  sender: fc.nat(SENDERS.length - 1),
  seq: fc.integer({ min: 1, max: MAX_SEQ }),
  copy: fc.nat(2),
});
const limit = fc.integer({ min: 1, max: 6 });

export function storeCommands(maxCommands: number): fc.Arbitrary<Iterable<Cmd>> {
  // Writes are listed twice: they are half of what a store does, and reads need something to read.
  const arbs: fc.Arbitrary<Cmd>[] = [
    fc.tuple(group, fc.array(draw, { minLength: 1, maxLength: 8 })).map(([g, ds]) => new Put(g, ds)),
    fc.tuple(group, fc.array(draw, { minLength: 1, maxLength: 8 })).map(([g, ds]) => new Put(g, ds)),
    fc.tuple(group, fc.array(draw, { minLength: 1, maxLength: 4 })).map(([g, ds]) => new PutHistory(g, ds)),
    fc.tuple(group, fc.array(draw, { minLength: 1, maxLength: 4 })).map(([g, ds]) => new PutHistory(g, ds, true)),
    fc.tuple(group, draw, draw, fc.boolean()).map(([g, own, foreign, here]) => new PutForeign(g, own, foreign, here)),
    fc.tuple(group, limit).map(([g, l]) => new WalkPages(g, l)),
    fc.tuple(group, fc.nat(20), limit).map(([g, p, l]) => new PageAfter(g, p, l)),
    fc.tuple(group, fc.integer({ min: 9_000, max: 15_000 }), limit).map(([g, t, l]) => new Since(g, t, l)),
    group.map((g) => new CursorAndCount(g)),
    fc.constant(new Reopen()),
  ];
  return fc.commands(arbs, { maxCommands });
}

/** Every group whole at the end, by order and by time: nothing lost, nothing of another group. */
export async function checkEverything(model: Model, real: StoreUnderTest): Promise<void> {
  for (let g = 0; g < GROUPS.length; g++) {
    await new WalkPages(g, 1_000).run(model, real);
    await new Since(g, 0, 1_000).run(model, real);
    await new CursorAndCount(g).run(model, real);
  }
}

export async function runStoreModel(cmds: Iterable<Cmd>, real: StoreUnderTest): Promise<void> {
  const model: Model = new Map();
  await fc.asyncModelRun(() => ({ model, real }), cmds);
  await real.reopen();
  await checkEverything(model, real);
}
