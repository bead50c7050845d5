// What the inbound slicing (packages/peer/src/mesh/inbound-queue.ts) costs a
// lone message, the common path: one chat-sized channel message per
// event-loop turn, nothing queued, handed on through an InboundQueue or
// straight to the same handler, alternated in one process so both see the
// same load: `npx tsx bench/tools/inbound-queue-cost.ts [turns] [rounds]`.
// Prints the process's CPU time per turn (process.cpuUsage: a loaded machine
// stretches wall time, much less CPU time) for each and the difference (the
// queue's share of a message's cost; the end-to-end figure is the latency
// scenario's).

import { InboundQueue } from '../../packages/peer/src/mesh/inbound-queue.ts';

const TURNS = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 7);
/** About a 120-byte chat DATA, as the latency scenario sends. */
const TEXT = JSON.stringify({ t: 'data', body: 'x'.repeat(120) });

let handled = 0;
const handle = (m: string | Uint8Array): void => {
  handled += typeof m === 'string' ? m.length : m.byteLength;
};

/** Mean CPU ns per turn over TURNS turns, each carrying one message. */
const run = (viaQueue: boolean): Promise<number> =>
  new Promise((resolve) => {
    const queue = new InboundQueue<null>((m) => handle(m));
    let i = 0;
    const started = process.cpuUsage();
    const turn = (): void => {
      if (viaQueue) queue.push(TEXT, null);
      else handle(TEXT);
      if (++i < TURNS) setImmediate(turn);
      else {
        const used = process.cpuUsage(started);
        resolve(((used.user + used.system) * 1000) / TURNS);
      }
    };
    turn();
  });

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const added: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const direct = await run(false);
    const queued = await run(true);
    added.push(queued - direct);
    console.log(
      `round ${r + 1}: direct ${direct.toFixed(0)} CPU ns/turn, through the queue ${queued.toFixed(0)} CPU ns/turn, added ${(queued - direct).toFixed(0)} ns`,
    );
  }
  console.log(`median added per lone message: ${median(added).toFixed(0)} ns (${handled} characters handled)`);
}

void main();
