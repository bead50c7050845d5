// What the file tests share (files, files-refusals, files-silent-holder, and
// the integration test): reproducible bytes, their SHA-256 in hex, waiting for
// a file message, and a holder that corrupts every chunk it sends.

import { sha256Bytes, toHex, type GroupFrame, type GroupId, type PeerId } from '@chorus/protocol';
import type { ChatMessage } from '../src/api.ts';
import { waitFor, type ScenarioPeer } from './scenarios/network.ts';
import type { MemoryWorld } from './scenarios/memory-network.ts';

/** `n` pseudo-random bytes, the same for the same seed (a linear congruential generator). */
export function bytesOf(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export const hex = async (b: Uint8Array): Promise<string> => toHex(await sha256Bytes(b));

/** `p`'s copy of message `id` once its history holds it. */
export async function fileMessage(p: ScenarioPeer, groupId: GroupId, id: string): Promise<ChatMessage> {
  let found: ChatMessage | undefined;
  await waitFor(`${p.name} has the file message`, async () => {
    found = (await p.peer.history(groupId)).find((m) => m.id === id);
    return found !== undefined;
  });
  return found!;
}

/** Every file chunk `from` sends carries other bytes from now on (a corrupting holder). */
export function corrupt(w: MemoryWorld, from: PeerId): void {
  const send = w.net.send.bind(w.net);
  w.net.send = (g: GroupId, a: PeerId, b: PeerId, frame: GroupFrame) => {
    if (a === from && frame.t === 'file-chunk') frame = { ...frame, data: frame.data.map((x) => x ^ 0xff) };
    send(g, a, b, frame);
  };
}
