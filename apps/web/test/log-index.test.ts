// The log kept change by change (lib/log-index.ts) is the log built whole
// (buildTimeline, the definition) after any sequence of arrivals, replacements,
// removals, system lines and notes, in any order; and any cut of it into
// ranges shows the same items as the whole.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, SystemLine } from '@chorus/peer';
import type { GroupId, MessageId, PeerId, ViewId } from '@chorus/protocol';
import { LogIndex } from '../src/lib/log-index.ts';
import { buildTimeline, type Note, type TimelineItem } from '../src/lib/timeline.ts';

const DAY = 86_400_000;
const now = new Date(2026, 0, 10, 12).getTime();

type Op =
  | {
      readonly op: 'put';
      readonly id: number;
      readonly order: string;
      readonly sentAt: number;
      readonly pending: boolean;
    }
  | { readonly op: 'remove'; readonly id: number }
  | { readonly op: 'system'; readonly at: number }
  | { readonly op: 'note'; readonly at: number }
  | { readonly op: 'dropAside' };

const time = fc.integer({ min: now - 3 * DAY, max: now + DAY });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('put' as const),
      id: fc.integer({ min: 0, max: 40 }),
      order: fc.string({ minLength: 1, maxLength: 3, unit: fc.constantFrom('0', '1', '2', '~') }),
      sentAt: time,
      pending: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('system' as const), at: time }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('note' as const), at: time }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dropAside' as const) }) },
);

const message = (id: number, order: string, sentAt: number, pending: boolean, body: string): ChatMessage => ({
  id: `g/p:${id}` as MessageId,
  groupId: 'g' as GroupId,
  sender: 'p' as PeerId,
  senderName: 'Pat',
  body,
  sentAt,
  order,
  state: pending ? 'pending' : 'delivered',
  viewId: 1 as ViewId,
});

/**
 * What a person sees of an item (system keys differ by design: the index numbers lines for good, the definition by
 * position).
 */
const seen = (i: TimelineItem): string =>
  i.kind === 'day'
    ? `--${i.label}`
    : i.kind === 'message'
      ? `${i.message.id}@${i.message.order}:${i.message.body}`
      : i.kind === 'system'
        ? `*${i.line.name}`
        : `!${i.note.id}`;

/** Applies `ops` to a LogIndex and to plain lists, and returns both logs. */
function run(ops: readonly Op[]): { index: LogIndex; expected: TimelineItem[] } {
  const index = new LogIndex();
  const messages = new Map<number, ChatMessage>();
  const asides: ({ kind: 'system'; line: SystemLine; key: string } | { kind: 'note'; note: Note })[] = [];
  let seq = 0;
  for (const o of ops) {
    seq += 1;
    if (o.op === 'put') {
      const m = message(o.id, o.order, o.sentAt, o.pending, `v${seq}`);
      messages.set(o.id, m);
      index.put(m);
    } else if (o.op === 'remove') {
      messages.delete(o.id);
      index.remove(`g/p:${o.id}` as MessageId);
    } else if (o.op === 'system') {
      const line: SystemLine = {
        groupId: 'g' as GroupId,
        at: o.at,
        peerId: 'q' as PeerId,
        name: `line${seq}`,
        change: 'joined',
      };
      asides.push({ kind: 'system', line, key: `s${seq}` });
      index.addSystem(line, `s${seq}`);
    } else if (o.op === 'note') {
      const note: Note = { id: String(seq), at: o.at, text: 'note', tone: 'info' };
      asides.push({ kind: 'note', note });
      index.addNote(note);
    } else if (asides.length > 0) {
      const gone = asides.shift()!;
      index.removeAside(gone.kind === 'system' ? gone.key : `n${gone.note.id}`);
    }
  }
  const system = asides.flatMap((a) => (a.kind === 'system' ? [a.line] : []));
  const notes = asides.flatMap((a) => (a.kind === 'note' ? [a.note] : []));
  // Insertion order of a Map is not log order: the definition sorts.
  return { index, expected: buildTimeline([...messages.values()].reverse(), system, notes, now) };
}

describe('LogIndex', () => {
  it('equals the whole log built from scratch, for any order of changes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const { index, expected } = run(ops);
        expect(index.items(0, index.length, now).map(seen)).toEqual(expected.map(seen));
        expect(index.messages().map((m) => m.id)).toEqual(
          expected.flatMap((i) => (i.kind === 'message' ? [i.message.id] : [])),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('shows the same items whichever ranges the log is cut into, with unique keys', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 4 }), (ops, cuts) => {
        const { index } = run(ops);
        const n = index.length;
        const inner = [...new Set(cuts.map((c) => c % (n + 1)))].filter((c) => c > 0 && c < n).sort((a, b) => a - b);
        const bounds = [0, ...inner, n];
        const pieces = bounds.slice(1).flatMap((hi, i) => index.items(bounds[i]!, hi, now));
        const whole = index.items(0, n, now);
        expect(pieces.map((i) => i.key)).toEqual(whole.map((i) => i.key));
        expect(new Set(whole.map((i) => i.key)).size).toBe(whole.length);
      }),
      { numRuns: 300 },
    );
  });

  it('appends in order without re-sorting and finds order keys by binary search', () => {
    const index = new LogIndex();
    for (let i = 0; i < 1_000; i++) index.put(message(i, String(i).padStart(6, '0'), now, false, 'x'));
    index.put(message(5_000, '000500~', now, false, 'late'));
    expect(index.at(501)?.body).toBe('late');
    expect(index.lowerBound('000500')).toBe(500);
    expect(index.upperBound('000500')).toBe(501);
    expect(index.lowerBound('zzz')).toBe(1_001);
  });
});
