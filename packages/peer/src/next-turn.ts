// Yielding to the event loop between slices of bulk work (serving a want's
// chunks, writing a file's chunk messages), so chat frames that arrived
// meanwhile are handled first: a macrotask, not a microtask (`await` alone
// would run on before any I/O). Node has setImmediate; a browser posts to a
// MessageChannel (setTimeout clamps to 4 ms once nested).

const waiting: (() => void)[] = [];
let port: MessagePort | null = null;

/** Runs `fn` in a later turn of the event loop, after the I/O that is ready now. */
export function onNextTurn(fn: () => void): void {
  if (typeof setImmediate === 'function') {
    setImmediate(fn);
    return;
  }
  if (port === null) {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
    port = channel.port2;
  }
  waiting.push(fn);
  port.postMessage(null);
}

export const nextTurn = (): Promise<void> => new Promise((resolve) => onNextTurn(resolve));

/**
 * Steps of bulk work (file chunk messages to write, chunks to serve) shared
 * by every link of the process, run in later turns in the order asked, at most
 * `perTurn` of them that did work per turn, whatever the number of links: a
 * chat frame to write or one that arrived waits behind that many steps, not
 * one per link (serving seven receivers had the sender block in seven sends a
 * turn). A step asked again runs behind the others (round robin): in the next
 * turn, or with `againInTurn` in this one while it has places left (one
 * member served alone still gets every place of a turn).
 */
export class TurnQueue {
  readonly perTurn: number;
  readonly #againInTurn: boolean;
  #steps: (() => boolean)[] = [];
  #scheduled = false;

  constructor(perTurn: number, opts: { readonly againInTurn?: boolean } = {}) {
    this.perTurn = perTurn;
    this.#againInTurn = opts.againInTurn ?? false;
  }

  /** Steps waiting for a turn. */
  get length(): number {
    return this.#steps.length;
  }

  /** Run `step` in a later turn; it returns whether it did work (and used one of the turn's places). */
  ask(step: () => boolean): void {
    this.#steps.push(step);
    if (this.#scheduled) return;
    this.#scheduled = true;
    onNextTurn(() => this.#turn());
  }

  #turn(): void {
    this.#scheduled = false;
    // The steps asked before this turn, and with againInTurn at most a turn's places more of those asked in it.
    const asked = this.#steps.length;
    const limit = this.#againInTurn ? asked + this.perTurn : asked;
    let ran = 0;
    let used = 0;
    try {
      while (used < this.perTurn && ran < Math.min(limit, this.#steps.length)) {
        const step = this.#steps[ran] as () => boolean;
        ran += 1;
        if (step()) used += 1;
      }
    } finally {
      this.#steps.splice(0, ran);
      if (this.#steps.length > 0 && !this.#scheduled) {
        this.#scheduled = true;
        onNextTurn(() => this.#turn());
      }
    }
  }
}

const settling: (() => void)[] = [];

/**
 * Runs `fn` in a later turn of the event loop, with everything else asked for
 * in this turn, in the order asked (one callback however many). For settling
 * a promise the caller awaits: Node signs in the turn of the call, so
 * `await send()` settled at once would let a caller's loop of sends run as one
 * chain of microtasks and stop every timer of the process — the tracker
 * heartbeat too, until the tracker fails the peer out of its groups.
 */
export function inLaterTurn(fn: () => void): void {
  settling.push(fn);
  if (settling.length > 1) return;
  onNextTurn(() => {
    for (const f of settling.splice(0)) f();
  });
}
