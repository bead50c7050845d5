// Who is typing, per group (PROTOCOL.md §9): a member is
// listed from its typing marker until TYPING_SHOWN_MS of silence or until its
// message arrives. The composer's side: a marker at most every
// TYPING_SEND_EVERY_MS while the person types. Nothing here is stored.

/** A typer disappears after this much silence. */
export const TYPING_SHOWN_MS = 5000;
/** The composer sends a typing marker at most this often (under the shown time, so a typer stays listed). */
export const TYPING_SEND_EVERY_MS = 3000;
/**
 * A marker the runtime refused (one of its kind went out under a second ago,
 * PROTOCOL.md §9: typically the one of the message just sent) is tried again
 * this much later, once: else a person who sends and types on at once shows as
 * not typing until the composer's next marker, 3 s on.
 */
export const TYPING_RETRY_MS = 1100;

interface Typer {
  readonly from: string;
  readonly name: string;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** "Ann is typing…", "Ann and Ben are typing…", "Several people are typing…", or '' for nobody. */
export function typingLine(names: readonly string[]): string {
  const distinct = [...new Set(names)];
  if (distinct.length === 0) return '';
  if (distinct.length === 1) return `${distinct[0]} is typing…`;
  if (distinct.length === 2) return `${distinct[0]} and ${distinct[1]} are typing…`;
  return 'Several people are typing…';
}

export class TypingState {
  #byGroup = $state<Record<string, readonly Typer[]>>({});
  readonly #shownMs: number;
  #retry: ReturnType<typeof setTimeout> | null = null;

  constructor(shownMs = TYPING_SHOWN_MS) {
    this.#shownMs = shownMs;
  }

  /**
   * We typed: `send` sends our marker and says whether the runtime took it; a
   * refused one is tried again once, TYPING_RETRY_MS later (`send` checks then
   * that the group is still the open one).
   */
  say(send: () => boolean): void {
    if (send() || this.#retry !== null) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      send();
    }, TYPING_RETRY_MS);
  }

  /** `from` (a peer id) of `groupId` typed just now. */
  heard(groupId: string, from: string, name: string): void {
    this.#drop(groupId, from);
    const timer = setTimeout(() => this.#drop(groupId, from), this.#shownMs);
    this.#byGroup = { ...this.#byGroup, [groupId]: [...(this.#byGroup[groupId] ?? []), { from, name, timer }] };
  }

  /** `from`'s message arrived: it is no longer typing it. */
  stopped(groupId: string, from: string): void {
    this.#drop(groupId, from);
  }

  /**
   * The status line of `groupId`. `label` names a typer from its peer id and
   * display name (the group tells namesakes apart by key, GroupState.labelOfPeer);
   * two tabs of one person give one label, so they are named once.
   */
  line(groupId: string, label: (from: string, name: string) => string = (_from, name) => name): string {
    return typingLine((this.#byGroup[groupId] ?? []).map((t) => label(t.from, t.name)));
  }

  /** Stop every timer (the app quit). */
  clear(): void {
    for (const list of Object.values(this.#byGroup)) for (const t of list) clearTimeout(t.timer);
    this.#byGroup = {};
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
  }

  #drop(groupId: string, from: string): void {
    const list = this.#byGroup[groupId];
    const old = list?.find((t) => t.from === from);
    if (!list || !old) return;
    clearTimeout(old.timer);
    this.#byGroup = { ...this.#byGroup, [groupId]: list.filter((t) => t !== old) };
  }
}
