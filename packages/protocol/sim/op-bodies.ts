// Message operations in simulated runs (SimOptions.ops, PROTOCOL.md §8): a
// body a member sends is sometimes a reply, an edit, a delete or a reaction
// naming a message its session shows (an edit or delete sometimes of someone
// else's message, which every peer must refuse). Once the faults heal, each
// survivor's log is folded by the shipped OpFold, and the folds must be equal
// (OPS): the same texts, edits, deletes and reactions everywhere, whatever
// order FIFO delivered the senders in and whatever crashes, joins and view
// changes happened on the way.

import type { GroupId, MessageId, PeerId } from '../src/ids.ts';
import type { Delivery } from '../src/ordering/engine.ts';
import { encodeOp, isOpBody, parseBody, type MessageOp } from '../src/ops/message-op.ts';
import { foldLog, type FoldSnapshot } from '../src/ops/op-fold.ts';
import type { Prng } from './prng.ts';

const EMOJIS = ['👍', '🎉', '😮'] as const;

/** What a run's operations did, summed over groups and sessions (a test checks it is not trivial). */
export interface OpCounts {
  /** Operations an engine delivered before the message they name (FIFO: another sender's, delivered later). */
  early: number;
  edited: number;
  deleted: number;
  reacted: number;
  replies: number;
  refused: number;
}

export const noOpCounts = (): OpCounts => ({ early: 0, edited: 0, deleted: 0, reacted: 0, replies: 0, refused: 0 });

/** The next body `sender` sends: `text`, or an operation on a message of `shown` (its session's log). */
export function opBody(rng: Prng, sender: PeerId, shown: readonly Delivery[], text: string): string {
  const messages = shown.filter((d) => !isOpBody(d.frame.body));
  if (messages.length === 0 || rng.chance(0.35)) return text;
  // Mostly the latest (an operation on it may reach a third member before it does), sometimes any.
  const pick = (from: readonly Delivery[]): MessageId =>
    (from[rng.chance(0.7) ? from.length - 1 : rng.int(0, from.length - 1)] as Delivery).id;
  const own = messages.filter((d) => d.frame.sender === sender);
  const others = messages.filter((d) => d.frame.sender !== sender);
  const mostlyOthers = (): MessageId => (others.length > 0 && rng.chance(0.8) ? pick(others) : pick(messages));
  const mostlyOwn = (): MessageId => (own.length > 0 && rng.chance(0.8) ? pick(own) : pick(messages));
  const roll = rng.int(0, 9);
  const op: MessageOp =
    roll < 2
      ? { op: 'reply', target: mostlyOthers(), text: `re ${text}` }
      : roll < 6
        ? {
            op: 'react',
            target: mostlyOthers(),
            emoji: EMOJIS[rng.int(0, EMOJIS.length - 1)] as string,
            on: rng.chance(0.7),
          }
        : roll < 8
          ? { op: 'edit', target: mostlyOwn(), text: `${text} (edited)` }
          : { op: 'delete', target: mostlyOwn() };
  return encodeOp(op);
}

/** Whether `d` is an operation on a message its session has not shown yet. */
export function beforeTarget(group: GroupId, d: Delivery, shown: readonly Delivery[]): boolean {
  if (!isOpBody(d.frame.body)) return false;
  const parsed = parseBody(d.frame.body, group);
  return parsed.kind === 'op' && !shown.some((e) => e.id === parsed.op.target);
}

/**
 * The fold of each survivor's compared log (`ids`, the part L3/S7 hold equal), or the first survivor whose fold
 * differs from the first one's. Adds what the folds held to `counts`.
 */
export function compareFolds(
  group: GroupId,
  survivors: readonly {
    readonly node: PeerId;
    readonly log: readonly Delivery[];
    readonly ids: readonly MessageId[];
  }[],
  counts: OpCounts,
): { readonly node: PeerId; readonly got: string; readonly want: string; readonly first: PeerId } | null {
  let ref: { readonly node: PeerId; readonly key: string } | null = null;
  for (const s of survivors) {
    const wanted = new Set(s.ids);
    const entries = s.log
      .filter((d) => wanted.has(d.id))
      .map((d) => ({ id: d.id, sender: d.frame.sender, order: d.order, body: d.frame.body }));
    const fold = foldLog(group, entries);
    count(fold, counts);
    const key = JSON.stringify(fold);
    if (ref === null) ref = { node: s.node, key };
    else if (key !== ref.key) return { node: s.node, got: key, want: ref.key, first: ref.node };
  }
  return null;
}

function count(fold: FoldSnapshot, counts: OpCounts): void {
  counts.refused += fold.refused;
  for (const v of fold.views) {
    if (v.edited) counts.edited++;
    if (v.deleted) counts.deleted++;
    if (v.reactions.length > 0) counts.reacted++;
    if (v.replyTo !== null) counts.replies++;
  }
}
