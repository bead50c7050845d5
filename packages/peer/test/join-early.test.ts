// A joiner of a long conversation is a member once the newest history page
// and the state are in (PROTOCOL.md §4): it sends and receives live messages
// while its older pages are still coming, and ends with the whole history, in
// order, each message once. Here the older pages are lost on the wire until
// the test lets them through: the joiner asks again after HISTORY_RETRY_MS,
// as it would after any silence, and then takes them all.
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../src/index.ts';
import { waitFor } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

const COUNT = 10_000;

describe('a joiner of a group with 10 000 messages', () => {
  for (const mode of ['total', 'fifo'] as const) {
    it(`${mode}: sends and receives live messages before its older pages come, then holds the whole history in order`, async () => {
      const w = memoryWorld(mode === 'total' ? 71 : 72);
      world = w;
      const ana = await w.network.addPeer('ana');
      const g = await ana.peer.createGroup('long', mode);
      await ana.peer.join(g.groupId);
      for (let i = 0; i < COUNT; i += 250)
        await Promise.all(
          Array.from({ length: Math.min(250, COUNT - i) }, (_, k) => ana.peer.send(g.groupId, `old ${i + k}`)),
        );
      const all = async (p: typeof ana) => p.peer.history(g.groupId, { limit: 100_000 });
      await waitFor('ana holds the conversation', async () => (await all(ana)).length === COUNT, 120_000);

      const cal = await w.network.addPeer('cal');
      // The older pages (every page but the newest, which carries the state) do not reach cal yet.
      let older = false;
      w.net.dropFrames(
        (_g, from, to, frame) =>
          !older && from === ana.peerId && to === cal.peerId && frame.t === 'history-res' && !frame.state,
      );
      const shown: ChatMessage[] = [];
      cal.peer.on('message', (m) => shown.push(m));
      await cal.peer.join(g.groupId);
      await cal.peer.send(g.groupId, 'hello from cal');
      await ana.peer.send(g.groupId, 'welcome, cal');
      const delivered = (body: string) => shown.some((m) => m.body === body && m.state === 'delivered');
      await waitFor(
        'cal has both live messages',
        () => delivered('hello from cal') && delivered('welcome, cal'),
        30_000,
      );
      await waitFor('ana has cal’s message', async () => (await all(ana)).some((m) => m.body === 'hello from cal'));
      // Live before old: cal shows the newest history and the live messages, not the older pages.
      const early = await all(cal);
      expect(early.length).toBeLessThan(COUNT / 2);
      expect(early.map((m) => m.body)).toEqual(expect.arrayContaining([`old ${COUNT - 1}`]));
      expect(early.some((m) => m.body === 'old 0')).toBe(false);

      older = true;
      await waitFor('cal holds the whole conversation', async () => (await all(cal)).length === COUNT + 2, 120_000);
      const calLog = (await all(cal)).map((m) => m.id);
      expect(calLog).toEqual((await all(ana)).map((m) => m.id));
      expect(new Set(calLog).size).toBe(COUNT + 2);
      // Every message was shown once as delivered.
      const deliveredIds = shown.filter((m) => m.state === 'delivered').map((m) => m.id);
      expect(new Set(deliveredIds).size).toBe(deliveredIds.length);
      expect(deliveredIds.length).toBe(COUNT + 2);
    }, 300_000);
  }
});
