// "Search messages" over the stored history of every joined group: the store is read page by page, newest first,
// back to the group's first stored message (a user looking for an old message must find it, whatever the
// history's length). A newer query abandons the scan at the next page, so a keystroke never waits for an older
// one; the newest SEARCH_RESULTS_MAX matches across groups are shown.

import type { IdbStore } from '@chorus/peer';
import { chatFromStored } from '@chorus/peer/light';
import type { GroupId, MessageId } from '@chorus/protocol/light';
import { normalizeQuery, searchItems } from '../search.ts';
import type { GroupState } from './group-state.svelte.ts';

export const SEARCH_PAGE = 500;
export const SEARCH_RESULTS_MAX = 50;
/** Typing pauses this long before the store is read. */
export const SEARCH_DEBOUNCE_MS = 200;

export interface SearchResult {
  readonly groupId: GroupId;
  readonly groupName: string;
  readonly messageId: MessageId;
  readonly author: string;
  readonly sentAt: number;
  readonly snippet: string;
}

export class MessageSearch {
  #query = $state('');
  #results = $state.raw<readonly SearchResult[]>([]);
  #busy = $state(false);
  #searched = $state<string | null>(null);
  readonly #store: () => IdbStore | null;
  readonly #groups: () => readonly GroupState[];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #seq = 0;

  constructor(store: () => IdbStore | null, groups: () => readonly GroupState[]) {
    this.#store = store;
    this.#groups = groups;
  }

  /** What the textbox holds. */
  get query(): string {
    return this.#query;
  }
  get results(): readonly SearchResult[] {
    return this.#results;
  }
  /** The store is being read for the current query. */
  get busy(): boolean {
    return this.#busy;
  }
  /** The query the results are for (null: none searched). */
  get searched(): string | null {
    return this.#searched;
  }

  /** The textbox changed: search after a short pause. */
  set(raw: string): void {
    this.#query = raw;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.run(), SEARCH_DEBOUNCE_MS);
  }

  clear(): void {
    this.#query = '';
    this.#results = [];
    this.#searched = null;
    this.#seq++;
  }

  async run(): Promise<void> {
    const seq = ++this.#seq;
    const query = normalizeQuery(this.#query);
    const store = this.#store();
    if (query === null || !store) {
      this.#results = [];
      this.#searched = null;
      return;
    }
    this.#busy = true;
    try {
      const found: SearchResult[] = [];
      for (const group of this.#groups()) {
        const items = [];
        let before: string | null = null;
        for (;;) {
          const page = await store.before(group.groupId, before, SEARCH_PAGE);
          if (seq !== this.#seq) return;
          items.push(...page);
          if (page.length < SEARCH_PAGE) break;
          before = page[0]?.order ?? null;
          if (before === null) break;
        }
        for (const m of searchItems(group.groupId, items, query, SEARCH_RESULTS_MAX)) {
          found.push({
            groupId: group.groupId,
            groupName: group.name,
            messageId: m.id,
            author: group.authorOf(chatFromStored(m.item)),
            sentAt: m.item.frame.sentAt,
            snippet: m.snippet,
          });
        }
      }
      found.sort((a, b) => b.sentAt - a.sentAt);
      this.#results = found.slice(0, SEARCH_RESULTS_MAX);
      this.#searched = query;
    } catch {
      // The store reported its problem through its banner; typing again retries.
    } finally {
      if (seq === this.#seq) this.#busy = false;
    }
  }
}
