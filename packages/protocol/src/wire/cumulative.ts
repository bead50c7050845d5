// Cumulative PROPOSE and FINAL (PROTOCOL.md §1.2c): the proposals one member
// makes for one sender's messages in one event-loop turn travel as one
// `proposes` frame, and the FINALs a sender makes in one turn as one `finals`
// frame, signed once over its whole list. Receivers read each entry as the
// single PROPOSE or FINAL it stands for (`proposesOf`, `finalsOf`); a FINAL
// read from a list keeps the list (`FinalFields.list`), so it can be checked,
// restated in an ECHO and shown to the tracker on its own.

import type { GroupId, PeerId, ViewId } from '../ids.ts';
import { MAX_CUMULATIVE_ITEMS, MAX_PRIORITY } from './caps.ts';
import { FieldRejection, readArray, readInteger, readPeerIdText, type JsonObject, field } from './field-reader.ts';
import {
  forged,
  readGroup,
  readPeer,
  readSignature,
  readSignatureText,
  readViewId,
  type ParseContext,
} from './frame-fields.ts';
import type { FinalFields, FinalFrame, ProposeFrame } from './frames.ts';

/** One proposal in a `proposes` frame: `[seq, p]` (the proposer is the frame's sender on the link). */
export type ProposeItem = readonly [seq: number, p: number];

/** One FINAL in a signed list: `[seq, p, by, version]`. */
export type FinalItem = readonly [seq: number, p: number, by: PeerId, version: string];

/** The proposals of the link's far end for messages of `sender`, made in one turn. */
export interface ProposesFrame {
  readonly t: 'proposes';
  readonly groupId: GroupId;
  readonly viewId: ViewId;
  readonly sender: PeerId;
  readonly items: readonly ProposeItem[];
}

/** FINALs of `sender`'s messages made in one turn, signed once over canonicalFinalText of the list. */
export interface FinalsFrame {
  readonly t: 'finals';
  readonly groupId: GroupId;
  readonly viewId: ViewId;
  readonly sender: PeerId;
  readonly items: readonly FinalItem[];
  /** Always on the wire; the session builds the frame unsigned and signs it before it leaves. */
  readonly sig?: string;
}

export const finalItemOf = (f: Pick<FinalFields, 'seq' | 'priority' | 'version'>): FinalItem => [
  f.seq,
  f.priority.p,
  f.priority.by,
  f.version,
];

const sameItem = (a: FinalItem, b: FinalItem): boolean =>
  a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];

/**
 * A list's items by seq, made once per list object: every entry of a list is checked on its own (the
 * parser, the signature check, the proof book), and an ECHO of a turn's FINALs restates up to 64 entries
 * of one list, so a scan per entry was quadratic in the list. Lists are immutable (readonly items); one
 * that grew since it was indexed (a list still being built) is indexed again.
 */
const listIndexes = new WeakMap<
  readonly FinalItem[],
  { readonly size: number; readonly bySeq: Map<number, FinalItem[]> }
>();

const indexOf = (list: readonly FinalItem[]): Map<number, FinalItem[]> => {
  const known = listIndexes.get(list);
  if (known !== undefined && known.size === list.length) return known.bySeq;
  const bySeq = new Map<number, FinalItem[]>();
  for (const item of list) {
    const same = bySeq.get(item[0]);
    if (same === undefined) bySeq.set(item[0], [item]);
    else same.push(item);
  }
  listIndexes.set(list, { size: list.length, bySeq });
  return bySeq;
};

/** Whether a FINAL's signature can cover it: no list, or a list that holds exactly its entry. */
export const listHolds = (f: Pick<FinalFields, 'seq' | 'priority' | 'version' | 'list'>): boolean => {
  if (f.list === undefined) return true;
  const mine = finalItemOf(f);
  return (
    indexOf(f.list)
      .get(f.seq)
      ?.some((item) => sameItem(item, mine)) ?? false
  );
};

/** The single PROPOSEs a `proposes` frame from `by` stands for, in order. */
export const proposesOf = (f: ProposesFrame, by: PeerId): ProposeFrame[] =>
  f.items.map(([seq, p]) => ({
    t: 'propose',
    groupId: f.groupId,
    viewId: f.viewId,
    sender: f.sender,
    seq,
    priority: { p, by },
  }));

/** The single FINALs a `finals` frame stands for, in order, each carrying the signed list. */
export const finalsOf = (f: FinalsFrame): FinalFrame[] =>
  f.items.map(([seq, p, by, version]) => ({
    t: 'final',
    groupId: f.groupId,
    viewId: f.viewId,
    sender: f.sender,
    seq,
    priority: { p, by },
    version,
    ...(f.sig === undefined ? {} : { sig: f.sig }),
    list: f.items,
  }));

/** The single engine frames a frame stands for: a cumulative one's entries, any other frame itself. */
export const singleFrames = <F extends { readonly t: string }>(
  from: PeerId,
  f: F | ProposesFrame | FinalsFrame,
): readonly (F | ProposeFrame | FinalFrame)[] =>
  f.t === 'proposes' ? proposesOf(f as ProposesFrame, from) : f.t === 'finals' ? finalsOf(f as FinalsFrame) : [f as F];

/** The cumulative frame a FINAL read from a list came in (a resend of it carries the whole list again). */
export const finalsFrameOf = (f: FinalFrame & { readonly list: readonly FinalItem[] }): FinalsFrame => ({
  t: 'finals',
  groupId: f.groupId,
  viewId: f.viewId,
  sender: f.sender,
  items: f.list,
  ...(f.sig === undefined ? {} : { sig: f.sig }),
});

// ---- parsing ----

/** 1..MAX_CUMULATIVE_ITEMS entries, each seq once. */
function readItems<T extends readonly [number, ...unknown[]]>(
  v: unknown,
  path: string,
  read: (a: readonly unknown[], path: string) => T,
): T[] {
  const raw = readArray(v, path, MAX_CUMULATIVE_ITEMS);
  if (raw.length === 0) throw new FieldRejection('bad-type', `${path} is empty: a cumulative frame has an entry.`);
  const seen = new Set<number>();
  return raw.map((x, i) => {
    const at = `${path}[${i}]`;
    if (!Array.isArray(x)) throw new FieldRejection('bad-type', `${at} must be an array.`);
    const item = read(x, at);
    if (seen.has(item[0])) throw new FieldRejection('bad-state', `${at} names message ${item[0]} a second time.`);
    seen.add(item[0]);
    return item;
  });
}

const readTuple = (a: readonly unknown[], path: string, length: number): void => {
  if (a.length !== length) throw new FieldRejection('bad-type', `${path} must have ${length} elements.`);
};

const readProposeItem = (a: readonly unknown[], path: string): ProposeItem => {
  readTuple(a, path, 2);
  return [readInteger(a[0], `${path}[0] (seq)`, 1), readInteger(a[1], `${path}[1] (p)`, 0, MAX_PRIORITY)];
};

const readFinalItem = (a: readonly unknown[], path: string): FinalItem => {
  readTuple(a, path, 4);
  return [
    readInteger(a[0], `${path}[0] (seq)`, 1),
    readInteger(a[1], `${path}[1] (p)`, 0, MAX_PRIORITY),
    readPeerIdText(a[2], `${path}[2] (by)`) as PeerId,
    readSignatureText(a[3], `${path}[3] (version)`),
  ];
};

/** A signed list of FINALs wherever it appears (a `finals` frame, a FINAL's `list`, an ECHO's `lists`). */
export const readFinalList = (v: unknown, path: string): FinalItem[] => readItems(v, path, readFinalItem);

/** `proposes`: sent by the proposer itself, for any member's messages. */
export const readProposes = (o: JsonObject, ctx: ParseContext): ProposesFrame => ({
  t: 'proposes',
  groupId: readGroup(o, ctx, 'proposes'),
  viewId: readViewId(o, 'proposes'),
  sender: readPeer(o, 'sender', 'proposes'),
  items: readItems(field(o, 'items', 'proposes'), 'proposes.items', readProposeItem),
});

/** `finals`: only the messages' sender announces their agreed priorities. */
export function readFinals(o: JsonObject, ctx: ParseContext): FinalsFrame {
  const frame: FinalsFrame = {
    t: 'finals',
    groupId: readGroup(o, ctx, 'finals'),
    viewId: readViewId(o, 'finals'),
    sender: readPeer(o, 'sender', 'finals'),
    items: readFinalList(field(o, 'items', 'finals'), 'finals.items'),
    sig: readSignature(o, 'finals'),
  };
  if (frame.sender !== ctx.from) throw forged('finals.sender', frame.sender, ctx.from);
  return frame;
}

/** A FINAL's optional `list`: it must hold the FINAL's own entry, or the signature could not cover it. */
export function readOwnList(o: JsonObject, f: FinalFields, path: string): readonly FinalItem[] | undefined {
  if (!Object.hasOwn(o, 'list') || o['list'] === undefined) return undefined;
  const list = readFinalList(o['list'], `${path}.list`);
  if (!listHolds({ ...f, list }))
    throw new FieldRejection('bad-state', `${path}.list does not hold the entry of message ${f.seq} it names.`);
  return list;
}
