// What a joiner's group says about its older history (PROTOCOL.md §4): still
// arriving while the older pages come, and missing when the only member that
// could hand them leaves before they came — what arrived stays.
import { afterEach, describe, expect, it } from 'vitest';
import type { JoinedGroup } from '../src/index.ts';
import { waitFor } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

const COUNT = 600;

describe("a joiner's older history", () => {
  it('is arriving while the older pages are held up, then missing once the sponsor left; the newest page stays', async () => {
    const w = memoryWorld(73);
    world = w;
    const ana = await w.network.addPeer('ana');
    const g = await ana.peer.createGroup('long', 'fifo');
    await ana.peer.join(g.groupId);
    await Promise.all(Array.from({ length: COUNT }, (_, k) => ana.peer.send(g.groupId, `old ${k}`)));
    await waitFor('ana holds the conversation', async () => (await ana.peer.history(g.groupId)).length > 0);

    const cal = await w.network.addPeer('cal');
    // The older pages (every page but the newest, which carries the state) never reach cal.
    w.net.dropFrames(
      (_g, from, to, frame) => from === ana.peerId && to === cal.peerId && frame.t === 'history-res' && !frame.state,
    );
    const seen: JoinedGroup[] = [];
    cal.peer.on('group', (x) => seen.push(x));
    const joined = await cal.peer.join(g.groupId);
    expect(joined.olderHistory).toBe(true);
    expect(joined.olderHistoryMissing).toBeUndefined();
    const now = () => cal.peer.groups().find((x) => x.groupId === g.groupId);
    const newest = (await cal.peer.history(g.groupId, { limit: COUNT })).map((m) => m.body);
    expect(newest).toContain(`old ${COUNT - 1}`);
    expect(newest).not.toContain('old 0');

    await ana.peer.leave(g.groupId);
    await waitFor('cal says its older history is missing', () => now()?.olderHistoryMissing === true, 30_000);
    expect(now()?.olderHistory).toBeUndefined();
    expect(now()?.status).toBe('member');
    expect(seen.at(-1)?.olderHistoryMissing).toBe(true);
    expect((await cal.peer.history(g.groupId, { limit: COUNT })).map((m) => m.body)).toEqual(newest);
  }, 120_000);
});
