// A sponsor whose hand-over the joiner cannot use (here: a last page without
// joiner state, as a broken or hostile member sends it) must not turn the
// joiner's history sync into a request loop as fast as the link: each
// refusal is counted and the next request waits HISTORY_REASK_MIN_MS,
// doubling up to HISTORY_RETRY_MS.
import { afterEach, describe, expect, it } from 'vitest';
import { HISTORY_REASK_MIN_MS } from '../src/group-session.ts';
import { waitFor } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

describe('a joiner whose sponsor keeps sending unusable hand-overs', () => {
  it('asks again after growing pauses, not in a loop, and counts each refusal', async () => {
    const w = memoryWorld(31);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('stingy', 'total');
    await ana.peer.join(g.groupId);
    await ana.peer.send(g.groupId, 'before ben');

    // Ana's real pages never reach ben; every request of ben's gets a last page without state instead.
    const asked: number[] = [];
    w.net.dropFrames((groupId, from, to, frame) => {
      if (frame.t === 'history-req' && from === ben.peerId) {
        asked.push(Date.now());
        w.net.inject(
          groupId,
          ana.peerId,
          ben.peerId,
          JSON.stringify({ t: 'history-res', groupId, req: frame.req, items: [], done: true }),
        );
        return true;
      }
      return frame.t === 'history-res' && to === ben.peerId;
    });
    const problems: string[] = [];
    ben.peer.on('error', (e) => problems.push(e.code));

    void ben.peer.join(g.groupId).catch(() => {});
    await waitFor('ben asked four times', () => asked.length >= 4);
    // A loop would ask again at once; the pauses after the first three refusals are at least
    // 200, 400 and 800 ms (a loaded machine only makes them longer; 2 ms for timer granularity).
    const gaps = asked.slice(1, 4).map((at, i) => at - asked[i]!);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(HISTORY_REASK_MIN_MS * 2 ** i - 2));
    expect(problems.filter((c) => c === 'missing-field').length).toBeGreaterThanOrEqual(asked.length - 1);
    expect(ben.peer.groups()[0]?.status).toBe('joining');

    // Once the sponsor answers properly, the joiner gets history and becomes a member.
    w.net.dropFrames(null);
    await waitFor(
      'ben a member with the history',
      async () =>
        ben.peer.groups()[0]?.status === 'member' &&
        (await ben.peer.history(g.groupId)).some((m) => m.body === 'before ben'),
    );
  });
});
