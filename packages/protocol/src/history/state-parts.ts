// The joiner state rides on the sponsor's last history page and carries the
// sponsor's unstable messages, so it can outgrow a frame by itself (with more
// than MAX_FLUSH_ITEMS unstable messages a one-frame state is refused at the
// joiner's parser, and cutting it to fit would lose messages). Here a
// last page is cut into frames that each fit (`statePart`), and a joiner puts
// the state together again. Pure; the collector holds the parts of one state.

import type { FramePart, HistoryItem, HistoryResponseFrame, JoinerState } from '../wire/frames.ts';
import { MAX_FLUSH_ITEMS, MAX_FRAME_BYTES, MAX_SENDER_ENTRIES } from '../wire/caps.ts';
import { jsonBytes, packBySize } from '../wire/parts.ts';

/**
 * Bytes of unstable messages per part of a state: as a FLUSH part, a quarter of a frame (room for items and the
 * header).
 */
export const STATE_PART_BYTES = MAX_FRAME_BYTES / 4;

/**
 * Bytes (JSON, UTF-8) of the parts of one state a joiner holds. Without it a
 * sponsor could announce MAX_PARTS parts of up to a frame each (1 GiB). The
 * state carries the sponsor's unstable messages, as a FLUSH report does: the
 * same 64 MiB (MAX_FLUSH_REPORT_BYTES' reason) is far beyond an honest one.
 */
export const MAX_STATE_BYTES = 64 * 1024 * 1024;

type Unstable = NonNullable<JoinerState['unstable']>[number];
interface Part {
  readonly unstable: readonly Unstable[];
  readonly heads: readonly HistoryItem[];
}

/**
 * The frames that carry a sponsor's answer `page`: the page itself unless it
 * carries a state that does not fit one frame (a last page, or the newest
 * page of a backward paging, PROTOCOL.md §4); then `count` frames with the
 * page's `done`, the first with the page's items, each with the state's
 * fields and its share of `unstable` in order. Deterministic.
 */
export function splitStatePage(page: HistoryResponseFrame): HistoryResponseFrame[] {
  const state = page.state;
  const unstable = state?.unstable ?? [];
  const heads = page.heads ?? [];
  const { statePart: _part, heads: _heads, ...rest } = page;
  const whole = heads.length === 0 ? rest : { ...rest, heads };
  if (
    state === undefined ||
    (unstable.length <= MAX_FLUSH_ITEMS &&
      heads.length <= MAX_SENDER_ENTRIES &&
      jsonBytes(whole) <= MAX_FRAME_BYTES / 2)
  )
    return [whole];
  // The heads (PROTOCOL.md §4) are shared out like the unstable messages: part i carries run i of each.
  const runs = packBySize(unstable, STATE_PART_BYTES, MAX_FLUSH_ITEMS);
  const headRuns = heads.length === 0 ? [] : packBySize(heads, STATE_PART_BYTES, MAX_SENDER_ENTRIES);
  const count = Math.max(runs.length, headRuns.length);
  return Array.from({ length: count }, (_, index) => {
    const share = headRuns[index] ?? [];
    return {
      ...rest,
      items: index === 0 ? page.items : [],
      state: { ...state, unstable: runs[index] ?? [] },
      ...(share.length === 0 ? {} : { heads: share }),
      statePart: { index, count },
    };
  });
}

/** A whole state with the heads that came beside it (PROTOCOL.md §4). */
export interface StateWithHeads {
  readonly state: JoinerState;
  readonly heads: readonly HistoryItem[];
}

/** The fields every part of one state repeats, as comparable text. */
const headerKey = (s: JoinerState, part: FramePart): string =>
  JSON.stringify([s.viewId, s.incarnation, s.agreed, s.nextSeq, part.count]);

/** A joiner's parts of one hand-over state, until it is whole. */
export class StatePartCollector {
  #header: string | null = null;
  #parts: (Part | undefined)[] = [];
  #have = 0;
  #state: JoinerState | null = null;
  #bytes = 0;

  /** `maxBytes`: see MAX_STATE_BYTES (tests pass a smaller one). */
  constructor(private readonly maxBytes = MAX_STATE_BYTES) {}

  /**
   * One last page's state, its part and the heads beside it: the whole state (with every head) once every part of
   * it is in, else null. Parts of another state (a newer hand-over, another
   * sponsor) replace those held; a repeated part is a no-op. Parts over
   * `maxBytes` are dropped, all of them, and `refused` says why.
   */
  add(
    state: JoinerState,
    part: FramePart | undefined,
    heads: readonly HistoryItem[] = [],
  ): StateWithHeads | null | { readonly refused: string } {
    if (part === undefined) {
      this.clear();
      return { state, heads };
    }
    const header = headerKey(state, part);
    if (header !== this.#header) {
      this.#header = header;
      this.#parts = new Array<Part | undefined>(part.count).fill(undefined);
      this.#have = 0;
      this.#state = state;
      this.#bytes = 0;
    }
    if (this.#parts[part.index] !== undefined) return null;
    const bytes = jsonBytes(state.unstable ?? []) + jsonBytes(heads);
    if (this.#bytes + bytes > this.maxBytes) {
      this.clear();
      return {
        refused: `The joiner state in ${part.count} parts is over ${this.maxBytes} bytes; its parts are dropped.`,
      };
    }
    this.#bytes += bytes;
    this.#parts[part.index] = { unstable: state.unstable ?? [], heads };
    this.#have += 1;
    if (this.#have < this.#parts.length) return null;
    const { unstable: _u, ...fields } = this.#state as JoinerState;
    const whole: JoinerState = { ...fields, unstable: this.#parts.flatMap((p) => p?.unstable ?? []) };
    const allHeads = this.#parts.flatMap((p) => p?.heads ?? []);
    this.clear();
    return { state: whole, heads: allHeads };
  }

  clear(): void {
    this.#header = null;
    this.#parts = [];
    this.#have = 0;
    this.#state = null;
    this.#bytes = 0;
  }

  /** Parts held of an unfinished state. */
  get held(): number {
    return this.#have;
  }
}
