// The joiner state rides on the sponsor's last history page and carries the
// sponsor's unstable messages, so it can outgrow a frame by itself (with more
// than MAX_FLUSH_ITEMS unstable messages a one-frame state is refused at the
// joiner's parser, and cutting it to fit would lose messages). Here a
// last page is cut into frames that each fit (`statePart`), and a joiner puts
// the state together again. Pure; the collector holds the parts of one state.

import type { FramePart, HistoryResponseFrame, JoinerState } from '../wire/frames.ts';
import { MAX_FLUSH_ITEMS, MAX_FRAME_BYTES } from '../wire/caps.ts';
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
  const { statePart: _part, ...whole } = page;
  if (state === undefined || (unstable.length <= MAX_FLUSH_ITEMS && jsonBytes(whole) <= MAX_FRAME_BYTES / 2))
    return [whole];
  const runs = packBySize(unstable, STATE_PART_BYTES, MAX_FLUSH_ITEMS);
  return runs.map((run, index) => ({
    ...whole,
    items: index === 0 ? page.items : [],
    state: { ...state, unstable: run },
    statePart: { index, count: runs.length },
  }));
}

/** The fields every part of one state repeats, as comparable text. */
const headerKey = (s: JoinerState, part: FramePart): string =>
  JSON.stringify([s.viewId, s.incarnation, s.agreed, s.nextSeq, part.count]);

/** A joiner's parts of one hand-over state, until it is whole. */
export class StatePartCollector {
  #header: string | null = null;
  #parts: (readonly Unstable[] | undefined)[] = [];
  #have = 0;
  #state: JoinerState | null = null;
  #bytes = 0;

  /** `maxBytes`: see MAX_STATE_BYTES (tests pass a smaller one). */
  constructor(private readonly maxBytes = MAX_STATE_BYTES) {}

  /**
   * One last page's state and its part: the whole state once every part of
   * it is in, else null. Parts of another state (a newer hand-over, another
   * sponsor) replace those held; a repeated part is a no-op. Parts over
   * `maxBytes` are dropped, all of them, and `refused` says why.
   */
  add(state: JoinerState, part: FramePart | undefined): JoinerState | null | { readonly refused: string } {
    if (part === undefined) {
      this.clear();
      return state;
    }
    const header = headerKey(state, part);
    if (header !== this.#header) {
      this.#header = header;
      this.#parts = new Array<readonly Unstable[] | undefined>(part.count).fill(undefined);
      this.#have = 0;
      this.#state = state;
      this.#bytes = 0;
    }
    if (this.#parts[part.index] !== undefined) return null;
    const bytes = jsonBytes(state.unstable ?? []);
    if (this.#bytes + bytes > this.maxBytes) {
      this.clear();
      return {
        refused: `The joiner state in ${part.count} parts is over ${this.maxBytes} bytes; its parts are dropped.`,
      };
    }
    this.#bytes += bytes;
    this.#parts[part.index] = state.unstable ?? [];
    this.#have += 1;
    if (this.#have < this.#parts.length) return null;
    const { unstable: _u, ...fields } = this.#state as JoinerState;
    const whole: JoinerState = { ...fields, unstable: this.#parts.flatMap((p) => p ?? []) };
    this.clear();
    return whole;
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
