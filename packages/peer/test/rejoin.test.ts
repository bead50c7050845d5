// Coming back to a group in the same peer session (same peerId): after a
// leave, or after the tracker declared us failed while we were alive. The
// session returns as a joiner (fresh engine, history and state from a
// sponsor) and must continue its own sequence numbers, or every member
// refuses its next messages as replays.
import { afterEach, describe, expect, it } from 'vitest';
import { bodies, logOf, waitFor } from './scenarios/network.ts';
import { memoryWorld, type MemoryWorld } from './scenarios/memory-network.ts';

let world: MemoryWorld | null = null;
afterEach(async () => {
  await world?.network.close();
  world = null;
});

describe('re-joining in the same session', () => {
  it('leave, then join again: history of the gap arrives and own messages go through', async () => {
    const w = memoryWorld(11);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('again', 'total');
    await ana.peer.join(g.groupId);
    await ben.peer.join(g.groupId);
    await ana.peer.send(g.groupId, 'first');
    await waitFor('ben has first', async () => (await logOf(ben, g.groupId)).length === 1);
    await ana.peer.leave(g.groupId);
    await ben.peer.send(g.groupId, 'while away');
    await ana.peer.join(g.groupId);
    await ana.peer.send(g.groupId, 'second');
    await ben.peer.send(g.groupId, 'third');
    await waitFor(
      'both have 4',
      async () => (await logOf(ben, g.groupId)).length === 4 && (await logOf(ana, g.groupId)).length === 4,
    );
    expect((await logOf(ana, g.groupId)).map((m) => m.id)).toEqual((await logOf(ben, g.groupId)).map((m) => m.id));
  });

  it('declared failed while alive, others talk meanwhile, back after reconnecting', async () => {
    const w = memoryWorld(12);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('flaky', 'total');
    await ana.peer.join(g.groupId);
    await ben.peer.join(g.groupId);
    await ana.peer.send(g.groupId, 'a1');
    await waitFor('ben has a1', async () => (await logOf(ben, g.groupId)).length === 1);
    w.tracker.fail(ana.peerId);
    await waitFor('ben alone', () => ben.peer.groups()[0]?.view?.members.length === 1);
    await ben.peer.send(g.groupId, 'b-while-away');
    await w.links.get(ana.peerId)!.connect();
    await waitFor(
      'ana is a member again',
      () => ana.peer.groups()[0]?.status === 'member' && ben.peer.groups()[0]?.view?.members.length === 2,
    );
    await ana.peer.send(g.groupId, 'a2');
    await ben.peer.send(g.groupId, 'b2');
    await waitFor(
      'both have 4',
      async () => (await logOf(ben, g.groupId)).length === 4 && (await logOf(ana, g.groupId)).length === 4,
    );
    expect((await logOf(ana, g.groupId)).map((m) => m.id)).toEqual((await logOf(ben, g.groupId)).map((m) => m.id));
  });

  // PROTOCOL.md §3.1 "Re-issue": a message its sender delivered and stored while its links were down, cut off
  // until the tracker removed it, used to stay on its own screen only (the re-joined engine's floor skipped
  // its seq). Now the re-joined session sends it again, same id, signed for the new view.
  it('a message sent while cut off and removed reaches the group once its sender is back', async () => {
    const w = memoryWorld(15);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('wifi-drop', 'fifo');
    await ana.peer.join(g.groupId);
    await ben.peer.join(g.groupId);
    await ana.peer.send(g.groupId, 'before');
    await waitFor('ben has before', async () => (await logOf(ben, g.groupId)).length === 1);
    w.net.cut(ana.peerId, ben.peerId);
    const lost = await ana.peer.send(g.groupId, 'while cut off');
    await waitFor('ana shows it', async () => bodies(await logOf(ana, g.groupId)).includes('while cut off'));
    w.tracker.fail(ana.peerId);
    await waitFor('ben alone', () => ben.peer.groups()[0]?.view?.members.length === 1);
    w.net.heal(ana.peerId, ben.peerId);
    await w.links.get(ana.peerId)!.connect();
    await waitFor(
      'ana is a member again',
      () => ana.peer.groups()[0]?.status === 'member' && ben.peer.groups()[0]?.view?.members.length === 2,
    );
    await ana.peer.send(g.groupId, 'after');
    await waitFor('ben has after', async () => bodies(await logOf(ben, g.groupId)).includes('after'));
    const benLog = await logOf(ben, g.groupId);
    expect(bodies(benLog)).toEqual(['before', 'while cut off', 'after']);
    expect(benLog[1]?.id).toBe(lost.id);
    // Both stores keep the one version the group has (its sender's store took the re-signed frame).
    await waitFor('ana stored it again', async () => {
      const mine = (await w.stores.get(ana.peerId)!.page(g.groupId, { limit: 10 })).items;
      const theirs = (await w.stores.get(ben.peerId)!.page(g.groupId, { limit: 10 })).items;
      const sig = (items: typeof mine) => items.find((m) => m.id === lost.id)?.frame.sig;
      return sig(mine) !== undefined && sig(mine) === sig(theirs);
    });
  });

  it("keeps the group's counts across a re-join: sent messages and rejected frames go on adding up", async () => {
    const w = memoryWorld(14);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('counted', 'fifo');
    await ana.peer.join(g.groupId);
    await ben.peer.join(g.groupId);
    await ana.peer.send(g.groupId, 'a1');
    await waitFor('ben has a1', async () => (await logOf(ben, g.groupId)).length === 1);
    // A frame that does not parse, on ben's link to ana: refused and counted by ana.
    w.net.inject(g.groupId, ben.peerId, ana.peerId, '{"t":"no-such-frame"}');
    await waitFor('ana counted it', () => (ana.peer.metrics(g.groupId)?.rejectedFrames ?? 0) === 1);
    w.tracker.fail(ana.peerId);
    await waitFor('ben alone', () => ben.peer.groups()[0]?.view?.members.length === 1);
    await w.links.get(ana.peerId)!.connect();
    await waitFor(
      'ana is a member again',
      () => ana.peer.groups()[0]?.status === 'member' && ben.peer.groups()[0]?.view?.members.length === 2,
    );
    await ana.peer.send(g.groupId, 'a2');
    await waitFor('ben has a2', async () => (await logOf(ben, g.groupId)).length === 2);
    expect(ana.peer.metrics(g.groupId)).toMatchObject({ sent: 2, rejectedFrames: 1 });
  });
});

describe('re-joining when the tracker refuses for a while', () => {
  it('a transient refusal (rate-limited join, timed-out links-ready) is retried until the member is back', async () => {
    const w = memoryWorld(13);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('patient', 'total');
    await ana.peer.join(g.groupId);
    await ben.peer.join(g.groupId);
    await ana.peer.send(g.groupId, 'a1');
    await waitFor('ben has a1', async () => (await logOf(ben, g.groupId)).length === 1);
    const errors: string[] = [];
    ana.peer.on('error', (e) => errors.push(e.code));
    const statuses: string[] = [];
    ana.peer.on('group', (j) => statuses.push(j.status));

    w.tracker.failNext('join', 'rate-limited', 2);
    w.tracker.suspect(ana.peerId);
    await waitFor(
      'ana refused twice, then a member again',
      () =>
        errors.filter((c) => c === 'rate-limited').length === 2 &&
        ana.peer.groups()[0]?.status === 'member' &&
        ben.peer.groups()[0]?.view?.members.length === 2,
    );
    expect(statuses).toContain('joining');
    // The group never left the side bar while the app kept trying.
    expect(statuses).not.toContain('removed');

    w.tracker.failNext('linksReady', 'timeout', 1);
    w.tracker.suspect(ana.peerId);
    await waitFor(
      'ana back after a timed-out links-ready',
      () =>
        errors.includes('timeout') &&
        ana.peer.groups()[0]?.status === 'member' &&
        ben.peer.groups()[0]?.view?.members.length === 2,
    );

    const a2 = await ana.peer.send(g.groupId, 'a2');
    expect(a2.id).toBe(`${g.groupId}/${ana.peerId}:2`);
    await waitFor('ben has a2', async () => (await logOf(ben, g.groupId)).some((m) => m.body === 'a2'));
  });

  it('a final refusal (wrong password) drops the group with its code and is not retried', async () => {
    const w = memoryWorld(14);
    world = w;
    const ana = await w.network.addPeer('ana');
    const ben = await w.network.addPeer('ben');
    const g = await ana.peer.createGroup('changed-lock', 'fifo');
    await ana.peer.join(g.groupId);
    await ben.peer.join(g.groupId);
    const errors: string[] = [];
    ana.peer.on('error', (e) => errors.push(e.code));

    w.tracker.failNext('join', 'wrong-password', 3);
    w.tracker.suspect(ana.peerId);
    await waitFor('ana gave up on the group', () => ana.peer.groups().length === 0);
    expect(errors).toEqual(['wrong-password']);
    // One attempt only: two injected refusals are still unused, and the tracker lists ben alone.
    await expect(ana.peer.join(g.groupId)).rejects.toMatchObject({ code: 'wrong-password' });
    expect(w.tracker.currentView(g.groupId)?.members.map((m) => m.name)).toEqual(['ben']);
  });
});
