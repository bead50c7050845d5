// The asides of one group's log: system lines and notes, which are lines of
// the log but not messages and not history. Each gets its key in the log
// index; past MAX_ASIDES of a kind the oldest scrolls away. GroupState counts
// the log's change after each.

import type { SystemLine } from '@chorus/peer';
import type { LogIndex } from '../log-index.ts';
import type { Note } from '../timeline.ts';

/** System lines and notes kept per group; older ones scroll away (they are not history). */
const MAX_ASIDES = 200;

export class Asides {
  readonly #log: LogIndex;
  /** System lines and notes held (keys in the log index), oldest first, to drop the oldest past MAX_ASIDES. */
  readonly #systemKeys: string[] = [];
  readonly #noteKeys: string[] = [];
  /** The note held for each topic (a line a later note updates in place: a running count). */
  readonly #topics = new Map<string, Note>();
  #noteSeq = 0;
  #systemSeq = 0;

  constructor(log: LogIndex) {
    this.#log = log;
  }

  addSystem(line: SystemLine): void {
    const key = `s${++this.#systemSeq}`;
    this.#log.addSystem(line, key);
    this.#systemKeys.push(key);
    if (this.#systemKeys.length > MAX_ASIDES) this.#log.removeAside(this.#systemKeys.shift()!);
  }

  addNote(text: string, tone: Note['tone'], at: number, topic?: string): void {
    const held = topic === undefined ? undefined : this.#topics.get(topic);
    if (held !== undefined) {
      const note: Note = { ...held, text, tone };
      this.#log.replaceNote(note);
      this.#topics.set(topic!, note);
      return;
    }
    const note: Note = { id: String(++this.#noteSeq), at, text, tone };
    this.#log.addNote(note);
    this.#noteKeys.push(`n${note.id}`);
    if (topic !== undefined) this.#topics.set(topic, note);
    if (this.#noteKeys.length > MAX_ASIDES) this.#dropNote(this.#noteKeys.shift()!);
  }

  #dropNote(key: string): void {
    this.#log.removeAside(key);
    for (const [topic, note] of this.#topics) if (`n${note.id}` === key) this.#topics.delete(topic);
  }
}
