// What a user sees when links cannot open through TURN (issue 11), over the
// in-memory network: the transport's `turn` report (what the WebRTC mesh
// emits when ICE gathering got no relay address) ends a relay-only join at
// once with code `turn`; with ICE policy `all` it only explains the join
// timeout. The real thing, with coturn refusing a wrong secret, is in
// test/integration/turn.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

const PROBLEM =
  'The TURN server gave no relay address (turn:t.example:3478 answered 401 Unauthorized): its credentials are wrong or expired.';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

async function blockedJoin(linksReadyTimeoutMs?: number) {
  const w = memoryWorld(1, linksReadyTimeoutMs === undefined ? {} : { linksReadyTimeoutMs });
  world = w;
  const ana = await w.network.addPeer('ana');
  const ben = await w.network.addPeer('ben');
  const g = (await ana.peer.createGroup('turn', 'total')).groupId;
  await ana.peer.join(g);
  w.net.cut(ana.peerId, ben.peerId); // no path between them but through the (refusing) TURN server
  const errors: { code: string; message: string }[] = [];
  ben.peer.on('error', (e) => errors.push(e));
  const joining = ben.peer.join(g);
  joining.catch(() => {});
  const transport = w.net.transport(ben.peerId);
  await waitFor('ben dials ana', () => transport.wants(g, ana.peerId));
  return { w, ana, ben, g, errors, joining, transport };
}

describe('a join whose links cannot get a TURN relay', () => {
  it('relay-only: fails at once with code turn and the TURN sentence, told once as an error event', async () => {
    const { ana, g, errors, joining, transport } = await blockedJoin();
    transport.emitTurn(g, ana.peerId, { message: PROBLEM, fatal: true });
    transport.emitTurn(g, ana.peerId, { message: PROBLEM, fatal: true }); // the next attempt fails alike
    await expect(joining).rejects.toMatchObject({
      code: 'turn',
      message: `No data channel to the group's members through TURN. ${PROBLEM}`,
    });
    expect(errors.filter((e) => e.code === 'turn')).toHaveLength(1);
    expect(ana.peer.groups().find((x) => x.groupId === g)?.status).toBe('member');
  });

  it('ICE policy all: the join waits for its timeout (a direct path may still open) and then names TURN', async () => {
    const { ana, g, errors, joining, transport } = await blockedJoin(400);
    transport.emitTurn(g, ana.peerId, { message: PROBLEM, fatal: false });
    await expect(joining).rejects.toMatchObject({ code: 'timeout' });
    await expect(joining).rejects.toThrow(
      `No data channel to 1 member(s) after 0.4 s; the group cannot be joined from this network. ${PROBLEM}`,
    );
    expect(errors.filter((e) => e.code === 'turn')).toEqual([]);
  });

  it('a TURN report about someone the joiner is not dialing changes nothing', async () => {
    const { g, joining, transport, w } = await blockedJoin(400);
    const stranger = await w.network.addPeer('cy');
    transport.emitTurn(g, stranger.peerId, { message: PROBLEM, fatal: true });
    await expect(joining).rejects.toMatchObject({ code: 'timeout' });
    await expect(joining).rejects.not.toThrow(/TURN/);
  });
});
