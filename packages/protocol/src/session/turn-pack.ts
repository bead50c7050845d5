// One turn's sends, packed at its end (PROTOCOL.md §1.2c): per link, the
// PROPOSEs for one sender's messages become one `proposes` frame, the FINALs
// of our messages one `finals` frame per signed list, and the ECHOs one ECHO,
// each at the place of the first frame it takes in. Everything else keeps its
// place; a FLUSH, FLUSH-OK or HWM closes what is open for its link, so no frame
// of a view change is passed by one packed after it. Pure: FinalSigning says
// which list each FINAL is signed in and signs the frames this returns.

import type { PeerId } from '../ids.ts';
import { MAX_CUMULATIVE_ITEMS, MAX_ECHO_ITEMS, MAX_ECHO_LISTS } from '../wire/caps.ts';
import type { FinalItem, ProposeItem } from '../wire/cumulative.ts';
import type { EchoEntry, EchoFrame, FinalFrame, GroupFrame, ProposeFrame } from '../wire/frames.ts';
import type { SessionCommand } from './session-types.ts';

export type Send = Extract<SessionCommand, { type: 'send' }>;

/** Frames a turn packs; the others pass as they are. */
export const packable = (f: GroupFrame): boolean => f.t === 'propose' || f.t === 'echo' || f.t === 'final';

/** Frames that close what is open for their link. */
const closes = (f: GroupFrame): boolean => f.t === 'flush' || f.t === 'flush-ok' || f.t === 'hwm';

interface OpenPropose {
  readonly slot: number;
  readonly first: ProposeFrame;
  readonly items: ProposeItem[];
}

interface OpenEcho {
  readonly slot: number;
  readonly first: EchoFrame;
  readonly entries: EchoEntry[];
  readonly lists: Set<readonly FinalItem[]>;
}

/**
 * Groups the turn's new FINALs (those `fresh` says were never signed) into lists: per view, in order, at
 * most MAX_CUMULATIVE_ITEMS each. A list of one is no list: that FINAL is signed alone.
 */
export function listsOf(sends: readonly Send[], fresh: (f: FinalFrame) => boolean): FinalFrame[][] {
  const byView = new Map<number, FinalFrame[][]>();
  const seen = new Set<string>();
  for (const { frame: f } of sends) {
    if (f.t !== 'final' || f.sig !== undefined || seen.has(`${f.viewId}:${f.seq}`) || !fresh(f)) continue;
    seen.add(`${f.viewId}:${f.seq}`);
    const lists = byView.get(f.viewId) ?? [];
    byView.set(f.viewId, lists);
    const last = lists.at(-1);
    if (last !== undefined && last.length < MAX_CUMULATIVE_ITEMS) last.push(f);
    else lists.push([f]);
  }
  return [...byView.values()].flat().filter((l) => l.length > 1);
}

/**
 * The turn's sends with PROPOSEs, FINALs and ECHOs packed per link. `listOf` gives the signed list a
 * FINAL of ours belongs to (it then travels as that list's `finals` frame, once per link), or undefined.
 */
export function packTurn(sends: readonly Send[], listOf: (f: FinalFrame) => readonly FinalItem[] | undefined): Send[] {
  const slots: Send[] = [];
  /** Every group made, and those still open (a frame that closes its link's groups ends them). */
  const made: { readonly proposes: OpenPropose[]; readonly echoes: OpenEcho[] } = { proposes: [], echoes: [] };
  const proposes = new Map<string, OpenPropose>();
  const echoes = new Map<PeerId, OpenEcho>();
  const lists = new Map<PeerId, Set<readonly FinalItem[]>>();
  /** One `finals` frame per list, the same object on every link (signed and encoded once). */
  const finalsFrames = new Map<readonly FinalItem[], GroupFrame>();
  for (const c of sends) {
    const { to, frame: f } = c;
    if (closes(f)) {
      for (const key of [...proposes.keys()]) if (key.startsWith(`${to}|`)) proposes.delete(key);
      echoes.delete(to);
      lists.delete(to);
    }
    // A forwarded proposal names its proposer, which a `proposes` frame cannot carry: it goes alone.
    if (f.t === 'propose' && f.forwarded !== true) {
      const key = `${to}|${f.viewId}|${f.sender}`;
      const open = proposes.get(key);
      if (open !== undefined && open.items.length < MAX_CUMULATIVE_ITEMS) {
        open.items.push([f.seq, f.priority.p]);
        continue;
      }
      const group: OpenPropose = { slot: slots.length, first: f, items: [[f.seq, f.priority.p]] };
      proposes.set(key, group);
      made.proposes.push(group);
    } else if (f.t === 'echo') {
      // Entry by entry: an ECHO of the engine's may itself hold more lists than one frame may carry.
      for (const e of f.finals) {
        let open = echoes.get(to);
        if (open === undefined || open.first.viewId !== f.viewId || !fits(open, e)) {
          open = { slot: slots.length, first: f, entries: [], lists: new Set() };
          slots.push(c);
          echoes.set(to, open);
          made.echoes.push(open);
        }
        open.entries.push(e);
        if (e.list !== undefined) open.lists.add(e.list);
      }
      continue;
    } else if (f.t === 'final') {
      const list = listOf(f);
      if (list !== undefined) {
        const sent = lists.get(to) ?? new Set();
        lists.set(to, sent);
        if (sent.has(list)) continue;
        sent.add(list);
        let frame = finalsFrames.get(list);
        if (frame === undefined) {
          frame = { t: 'finals', groupId: f.groupId, viewId: f.viewId, sender: f.sender, items: list };
          finalsFrames.set(list, frame);
        }
        slots.push({ type: 'send', to, frame });
        continue;
      }
    }
    slots.push(c);
  }
  for (const open of made.proposes)
    if (open.items.length > 1) {
      const { groupId, viewId, sender } = open.first;
      const to = (slots[open.slot] as Send).to;
      slots[open.slot] = { type: 'send', to, frame: { t: 'proposes', groupId, viewId, sender, items: open.items } };
    }
  for (const open of made.echoes) {
    const to = (slots[open.slot] as Send).to;
    slots[open.slot] = { type: 'send', to, frame: { ...open.first, finals: open.entries } };
  }
  return slots;
}

const fits = (open: OpenEcho, e: EchoEntry): boolean =>
  open.entries.length < MAX_ECHO_ITEMS &&
  (e.list === undefined || open.lists.has(e.list) || open.lists.size < MAX_ECHO_LISTS);
