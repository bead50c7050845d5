// One conformance suite over every TrackerStore: the memory store and the
// Redis store must agree on names, atomic membership steps and bindings.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { asGroupId, asPeerId, membership, ok } from '@chorus/protocol';
import type { GroupId } from '@chorus/protocol';
import { MemoryStore } from '../src/store/memory-store.ts';
import { connectRedis } from '../src/store/redis-store.ts';
import type { RedisConnection } from '../src/store/redis-store.ts';
import type { GroupRecord, TrackerStore } from '../src/store/tracker-store.ts';
import { redisMissing, startRedis } from './redis-server.ts';
import type { RedisServer } from './redis-server.ts';

let redis: RedisServer | undefined;
let conn: RedisConnection | undefined;
beforeAll(async () => {
  if (redisMissing) return;
  redis = await startRedis();
  conn = await connectRedis(redis.url, pino({ level: 'silent' }));
});
afterAll(async () => {
  await conn?.close();
  await conn?.store.close();
  await redis?.stop();
});

let n = 0;
const group = (name: string): GroupRecord => ({
  groupId: asGroupId(`g${++n}x${Date.now()}`),
  name,
  ordering: 'fifo',
  createdBy: 'T',
  createdAt: n,
});
const who = (p: string) => ({ peerId: asPeerId(p), name: p, publicKey: 'k' });

function conformance(name: string, skip: boolean, make: () => TrackerStore): void {
  describe.skipIf(skip)(`${name} store`, () => {
    it('claims group names once, case-insensitively, and lists groups', async () => {
      const s = make();
      const g = group(`Name-${name}`);
      expect(await s.createGroup(g)).toBe(true);
      expect(await s.createGroup({ ...group(`name-${name}`) })).toBe(false);
      expect(await s.getGroup(g.groupId)).toEqual(g);
      expect((await s.listGroups()).map((x) => x.groupId)).toContain(g.groupId);
      expect(await s.getGroup(asGroupId('gnone'))).toBeNull();
      expect((await s.getMembership(g.groupId)).viewId).toBe(0);
    });

    it('lets a restore share a name a newer group holds; only the holder frees the name', async () => {
      const s = make();
      const holder = group(`Shared-${name}`);
      const restored = group(`shared-${name}`);
      expect(await s.createGroup(holder)).toBe(true);
      expect(await s.createGroup(restored)).toBe(false);
      expect(await s.createGroup(restored, true)).toBe(true);
      expect(await s.createGroup(restored, true)).toBe(false); // the id exists
      expect(await s.deleteGroupIfEmpty(restored.groupId)).toBe(true);
      expect(await s.createGroup(group(`SHARED-${name}`))).toBe(false); // still the holder's
      expect(await s.deleteGroupIfEmpty(holder.groupId)).toBe(true);
      expect(await s.createGroup(group(`SHARED-${name}`))).toBe(true);
    });

    it('deletes a group only while nobody is in it or joining, and frees its name', async () => {
      const s = make();
      const busy = group(`occupied-${name}`);
      const idle = group(`deserted-${name}`);
      await s.createGroup(busy);
      await s.createGroup(idle);
      await s.updateMembership(busy.groupId, (m) => membership.join(busy.groupId, m, who('pin'), 0));
      expect(await s.deleteGroupIfEmpty(busy.groupId)).toBe(false);
      expect(await s.getGroup(busy.groupId)).not.toBeNull();
      expect(await s.deleteGroupIfEmpty(idle.groupId)).toBe(true);
      expect(await s.getGroup(idle.groupId)).toBeNull();
      expect((await s.listGroups()).map((x) => x.groupId)).not.toContain(idle.groupId);
      expect((await s.listMemberships()).has(idle.groupId)).toBe(false);
      expect(await s.deleteGroupIfEmpty(idle.groupId)).toBe(false);
      expect(await s.createGroup(group(`Deserted-${name}`))).toBe(true);
    });

    it('keeps a released peer id for its key until the reservation expires', async () => {
      const s = make();
      const p = asPeerId(`preserved${name}${n++}`);
      expect(await s.peerIdReservation(p)).toBeNull();
      await s.reservePeerId(p, 'key-a', 150);
      expect(await s.peerIdReservation(p)).toBe('key-a');
      await new Promise((r) => setTimeout(r, 300));
      expect(await s.peerIdReservation(p)).toBeNull();
    });

    it('a peer id reserved again keeps its newest key and expiry; others expire around it', async () => {
      const s = make();
      const p = asPeerId(`againp${name}${n++}`);
      const q = asPeerId(`againq${name}${n++}`);
      const r = asPeerId(`againr${name}${n++}`);
      await s.reservePeerId(p, 'key-p1', 150);
      await s.reservePeerId(q, 'key-q', 150);
      await s.reservePeerId(p, 'key-p2', 2000);
      await new Promise((res) => setTimeout(res, 300));
      await s.reservePeerId(r, 'key-r', 2000); // prunes what expired meanwhile
      expect(await s.peerIdReservation(p)).toBe('key-p2');
      expect(await s.peerIdReservation(q)).toBeNull();
      expect(await s.peerIdReservation(r)).toBe('key-r');
    });

    it('runs concurrent membership steps one at a time: 40 joins, 40 views, viewId 40', async () => {
      const s = make();
      const g = group(`busy-${name}`);
      await s.createGroup(g);
      const gid: GroupId = g.groupId;
      // Each peer joins, then (one step) the members confirm its links and it reports links ready,
      // all at once: the first is installed at join.
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const p = who(`p${i}`);
          await s.updateMembership(gid, (m) => membership.join(gid, m, p, 0));
          await s.updateMembership(gid, (m) => {
            let cur = m;
            for (const e of m.members) cur = membership.reportLink(gid, cur, e.peerId, p.peerId, 'up', 0).next ?? cur;
            const step = membership.linksReady(gid, cur, p.peerId);
            return { ...step, next: step.next ?? (cur === m ? null : cur) };
          });
        }),
      );
      const m = await s.getMembership(gid);
      expect(m.members).toHaveLength(40);
      expect(m.viewId).toBe(40);
      expect(new Set(m.members.map((x) => x.joinSeq)).size).toBe(40);
      expect((await s.listMemberships()).get(gid)?.viewId).toBe(40);
    });

    it('writes nothing for a step without next, and returns the step', async () => {
      const s = make();
      const g = group(`noop-${name}`);
      await s.createGroup(g);
      const step = await s.updateMembership(g.groupId, () => ({ next: null, result: ok(7), effects: {} }));
      expect(step.result).toEqual(ok(7));
      expect((await s.getMembership(g.groupId)).viewId).toBe(0);
    });

    it('binds a peer id to one socket, unbinds only for that socket, and replaces a stale binding', async () => {
      const s = make();
      const peerId = asPeerId(`pb${name}${Date.now()}`);
      const rec = { ...who(peerId), nodeId: 'n1', socketId: 's1' };
      expect(await s.bindSession(rec)).toBe(true);
      expect(await s.bindSession(rec)).toBe(true); // idempotent for the same socket
      expect(await s.bindSession({ ...rec, socketId: 's2' })).toBe(false);
      await s.unbindSession(peerId, 's2');
      expect((await s.getSession(peerId))?.socketId).toBe('s1');
      expect(await s.replaceSession({ ...rec, nodeId: 'n2', socketId: 's3' }, 's2')).toBe(false);
      expect(await s.replaceSession({ ...rec, nodeId: 'n2', socketId: 's3' }, 's1')).toBe(true);
      expect((await s.getSession(peerId))?.nodeId).toBe('n2');
      await s.unbindSession(peerId, 's3');
      expect(await s.getSession(peerId)).toBeNull();
    });
  });
}

conformance('memory', false, () => new MemoryStore());
conformance('redis', redisMissing, () => conn!.store);

describe.skipIf(redisMissing)('redis store node liveness', () => {
  it('hands a dead node to exactly one reaper, with its sessions', async () => {
    const s = conn!.store;
    await s.touchNode('dead', 50);
    await s.touchNode('alive1', 10_000);
    await s.bindSession({ ...who('pdead1'), nodeId: 'dead', socketId: 'x1' });
    await s.bindSession({ ...who('palive'), nodeId: 'alive1', socketId: 'x2' });
    await new Promise((r) => setTimeout(r, 120));
    const [c1, c2] = await Promise.all([s.claimDeadNodes('alive1'), s.claimDeadNodes('alive2')]);
    expect([...c1, ...c2]).toEqual(['dead']);
    const sessions = await s.takeSessionsOfNode('dead');
    expect(sessions.map((x) => x.peerId)).toEqual(['pdead1']);
    expect(await s.getSession(asPeerId('pdead1'))).toBeNull();
    expect(await s.getSession(asPeerId('palive'))).not.toBeNull();
    await s.removeNode('dead');
    await s.removeNode('alive1');
  });
});
