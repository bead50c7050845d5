// The group-session scenarios, written once over a ScenarioNetwork: run here
// over the in-memory network with several seeds, and by test/integration over
// real WebRTC peers and a real tracker. Each asserts what users would notice:
// who saw which messages, in which order, and that bad input changed nothing.

import type { GroupId, Ordering } from '@chorus/protocol';
import { GENESIS_PREV } from '@chorus/protocol';
import type { ChatMessage } from '../../src/index.ts';
import { bodies, ids, logOf, waitFor, type ScenarioNetwork, type ScenarioPeer } from './network.ts';

export interface ScenarioResult {
  /** Messages every member ended up with (for the report line). */
  readonly messages: number;
}

export type Scenario = (net: ScenarioNetwork, seed: number) => Promise<ScenarioResult>;

function check(cond: boolean, net: ScenarioNetwork, what: string): asserts cond {
  if (!cond) throw new Error(`[${net.label}] ${what}`);
}

/** Deterministic per seed: which peer sends when, so a failing seed replays the same schedule. */
function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

async function groupWith(
  net: ScenarioNetwork,
  ordering: Ordering,
  names: readonly string[],
  seed: number,
): Promise<{ groupId: GroupId; peers: ScenarioPeer[] }> {
  const peers: ScenarioPeer[] = [];
  for (const n of names) peers.push(await net.addPeer(n));
  const first = peers[0] as ScenarioPeer;
  const g = await first.peer.createGroup(`room-${ordering}-${seed}-${Math.floor(rng(seed)() * 1e9)}`, ordering);
  for (const p of peers) await p.peer.join(g.groupId);
  return { groupId: g.groupId, peers };
}

/** Every peer sends `count` messages, interleaved in a seeded order, without waiting for each other. */
async function burst(
  peers: readonly ScenarioPeer[],
  groupId: GroupId,
  count: number,
  seed: number,
  tag: string,
): Promise<string[]> {
  const r = rng(seed);
  const queue: ScenarioPeer[] = [];
  for (const p of peers) for (let i = 0; i < count; i++) queue.push(p);
  for (let i = queue.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [queue[i], queue[j]] = [queue[j] as ScenarioPeer, queue[i] as ScenarioPeer];
  }
  const next = new Map<ScenarioPeer, number>();
  const sends: Promise<ChatMessage>[] = [];
  const sent: string[] = [];
  for (const p of queue) {
    const k = (next.get(p) ?? 0) + 1;
    next.set(p, k);
    const body = `${tag}:${p.name}:${k}`;
    sent.push(body);
    sends.push(p.peer.send(groupId, body));
    // Yield now and then so frames of different senders really interleave.
    if (r() < 0.3) await new Promise((res) => setTimeout(res, 0));
  }
  await Promise.all(sends);
  return sent;
}

/**
 * Waits until every peer has at least `n` messages and every body in `expected`. The count alone is not
 * enough where some messages may or may not be delivered (a crashed sender's): they can make up the
 * count while an expected message is still on its way.
 */
async function allHave(
  net: ScenarioNetwork,
  peers: readonly ScenarioPeer[],
  groupId: GroupId,
  n: number,
  what: string,
  expected: readonly string[] = [],
): Promise<ChatMessage[][]> {
  let logs: ChatMessage[][] = [];
  await waitFor(`${what}: every member has ${n} messages [${net.label}]`, async () => {
    logs = await Promise.all(peers.map(async (p) => [...(await logOf(p, groupId))]));
    return logs.every((l) => l.length >= n && expected.every((b) => l.some((m) => m.body === b)));
  });
  return logs;
}

function assertNoDuplicates(net: ScenarioNetwork, p: string, log: readonly ChatMessage[]): void {
  check(new Set(ids(log)).size === log.length, net, `${p} delivered a message twice`);
}

/** Per sender, messages appear in the order that sender sent them (S3), judged by the body counter. */
function assertFifoPerSender(net: ScenarioNetwork, p: string, log: readonly ChatMessage[]): void {
  const last = new Map<string, number>();
  for (const m of log) {
    const parts = m.body.split(':');
    const key = `${parts[0]}:${parts[1]}`;
    const k = Number(parts[2]);
    check((last.get(key) ?? 0) < k, net, `${p} shows ${m.body} after ${key}:${last.get(key)}`);
    last.set(key, k);
  }
}

function assertSameLogs(
  net: ScenarioNetwork,
  peers: readonly ScenarioPeer[],
  logs: readonly (readonly ChatMessage[])[],
): void {
  const reference = ids(logs[0] ?? []);
  logs.forEach((l, i) => {
    const mine = ids(l);
    check(
      mine.length === reference.length && mine.every((id, j) => id === reference[j]),
      net,
      `${peers[i]?.name}'s log differs from ${peers[0]?.name}'s:\n  ${bodies(l).join(' ')}\n  vs\n  ${bodies(logs[0] ?? []).join(' ')}`,
    );
  });
}

// ---------------------------------------------------------------- scenarios

/** Concurrent bursts in a total-order group: every member shows the same log. */
export const totalOrderBurst: Scenario = async (net, seed) => {
  const { groupId, peers } = await groupWith(net, 'total', ['ana', 'ben', 'cy'], seed);
  const sent = await burst(peers, groupId, 15, seed, 'b');
  const logs = await allHave(net, peers, groupId, sent.length, 'total-order burst');
  logs.forEach((l, i) => {
    assertNoDuplicates(net, peers[i]!.name, l);
    assertFifoPerSender(net, peers[i]!.name, l);
    check(
      new Set(bodies(l)).size === sent.length && sent.every((b) => bodies(l).includes(b)),
      net,
      `${peers[i]!.name} is missing messages`,
    );
  });
  assertSameLogs(net, peers, logs);
  return { messages: sent.length };
};

/**
 * A FIFO group: everyone gets everything once, each sender's messages in its order (members may interleave
 * differently).
 */
export const fifoPerSender: Scenario = async (net, seed) => {
  const { groupId, peers } = await groupWith(net, 'fifo', ['dee', 'eve', 'fay'], seed);
  const sent = await burst(peers, groupId, 20, seed, 'f');
  const logs = await allHave(net, peers, groupId, sent.length, 'fifo burst');
  logs.forEach((l, i) => {
    assertNoDuplicates(net, peers[i]!.name, l);
    assertFifoPerSender(net, peers[i]!.name, l);
    check(
      [...bodies(l)].sort().join() === [...sent].sort().join(),
      net,
      `${peers[i]!.name} has a different set of messages`,
    );
  });
  return { messages: sent.length };
};

/** A late joiner gets the history it missed, then takes part; its log equals the others' (S7). */
export const lateJoiner =
  (ordering: Ordering): Scenario =>
  async (net, seed) => {
    const { groupId, peers } = await groupWith(net, ordering, ['gus', 'hal'], seed);
    const before = await burst(peers, groupId, 8, seed, 'h');
    await allHave(net, peers, groupId, before.length, 'history before the join');
    const late = await net.addPeer('ivy');
    await late.peer.join(groupId);
    const all = [...peers, late];
    const history = await logOf(late, groupId);
    check(
      history.length === before.length,
      net,
      `ivy got ${history.length} of ${before.length} history messages at join`,
    );
    const after = await burst(all, groupId, 5, seed + 1, 'j');
    const logs = await allHave(net, all, groupId, before.length + after.length, 'after the late join');
    logs.forEach((l, i) => {
      assertNoDuplicates(net, all[i]!.name, l);
      assertFifoPerSender(net, all[i]!.name, l);
      check(l.length === before.length + after.length, net, `${all[i]!.name} has ${l.length} messages`);
    });
    if (ordering === 'total') assertSameLogs(net, all, logs);
    return { messages: before.length + after.length };
  };

/** A member crashes in the middle of a burst: the others unblock after the view change and agree. */
export const crashMidBurst: Scenario = async (net, seed) => {
  const { groupId, peers } = await groupWith(net, 'total', ['jo', 'kim', 'lou', 'max'], seed);
  const r = rng(seed);
  const victim = peers[Math.floor(r() * peers.length)] as ScenarioPeer;
  const survivors = peers.filter((p) => p !== victim);
  // The victim's sends may never complete: it dies with them in flight.
  for (let k = 1; k <= 5; k++) void victim.peer.send(groupId, `c:${victim.name}:${k}`).catch(() => {});
  const during = burst(survivors, groupId, 6, seed, 'c');
  await new Promise((res) => setTimeout(res, Math.floor(r() * 15)));
  await net.crash(victim);
  const sent = await during;
  await waitFor(`survivors install a view without ${victim.name} [${net.label}]`, () =>
    survivors.every((p) => {
      const g = p.peer.groups().find((x) => x.groupId === groupId);
      return g?.view !== null && g?.view !== undefined && !g.view.members.some((m) => m.peerId === victim.peerId);
    }),
  );
  // After the view change the group is live again: more messages go through everywhere.
  const more = await burst(survivors, groupId, 3, seed + 7, 'd');
  const logs = await allHave(net, survivors, groupId, sent.length + more.length, 'after the crash', [...sent, ...more]);
  logs.forEach((l, i) => {
    assertNoDuplicates(net, survivors[i]!.name, l);
    assertFifoPerSender(net, survivors[i]!.name, l);
    for (const b of [...sent, ...more]) check(bodies(l).includes(b), net, `${survivors[i]!.name} lost ${b}`);
  });
  // Give any straggler a moment, then compare: survivors agree on everything, the victim's messages included or not.
  const final = await Promise.all(survivors.map(async (p) => [...(await logOf(p, groupId))]));
  assertSameLogs(net, survivors, final);
  return { messages: final[0]?.length ?? 0 };
};

/** A data channel drops and comes back: the gap is resent, nothing lost or doubled. */
export const linkDropAndBack =
  (ordering: Ordering): Scenario =>
  async (net, seed) => {
    if (!net.cutLink || !net.healLink)
      throw new Error(`[${net.label}] cannot cut links; run linkDropAndBack only where it can`);
    const { groupId, peers } = await groupWith(net, ordering, ['nia', 'oz', 'pat'], seed);
    const [a, b] = peers as [ScenarioPeer, ScenarioPeer, ScenarioPeer];
    const first = await burst(peers, groupId, 4, seed, 'l');
    await allHave(net, peers, groupId, first.length, 'before the cut');
    await net.cutLink(a, b);
    const sends = burst(peers, groupId, 6, seed + 3, 'm');
    await new Promise((res) => setTimeout(res, 30));
    await net.healLink(a, b);
    const during = await sends;
    const total = first.length + during.length;
    const logs = await allHave(net, peers, groupId, total, 'after the link came back');
    logs.forEach((l, i) => {
      assertNoDuplicates(net, peers[i]!.name, l);
      assertFifoPerSender(net, peers[i]!.name, l);
      check(l.length === total, net, `${peers[i]!.name} has ${l.length} of ${total}`);
    });
    if (ordering === 'total') assertSameLogs(net, peers, logs);
    return { messages: total };
  };

/** Frames a hostile member might send; none may show up as a message, each is counted, the group goes on. */
export const hostileFrames: Scenario = async (net, seed) => {
  if (!net.inject) throw new Error(`[${net.label}] cannot inject frames; run hostileFrames only where it can`);
  const { groupId, peers } = await groupWith(net, 'total', ['quinn', 'rae'], seed);
  const [victim, villain] = peers as [ScenarioPeer, ScenarioPeer];
  await burst(peers, groupId, 2, seed, 'ok');
  await allHave(net, peers, groupId, 4, 'before the attack');
  const viewId = victim.peer.groups().find((g) => g.groupId === groupId)?.view?.viewId ?? 1;
  const data = (over: Record<string, unknown>): string =>
    JSON.stringify({
      t: 'data',
      groupId,
      viewId,
      sender: villain.peerId,
      seq: 3,
      lamport: 99,
      sentAt: Date.now(),
      body: 'forged',
      prev: GENESIS_PREV,
      sig: `${'A'.repeat(86)}==`,
      ...over,
    });
  const hostile = [
    'not json at all',
    JSON.stringify({ t: 'launch-missiles' }),
    data({}), // well-formed, signature does not verify
    data({ sender: victim.peerId, body: 'impersonation' }), // claims to be the victim
    data({ groupId: 'some-other-group' }),
    data({ body: 'x'.repeat(5_000) }), // over the body cap
    data({ seq: -1 }),
    data({ seq: 1, body: 'forged replay' }), // an old seq: refused whatever the signature
    JSON.stringify({
      t: 'flush',
      groupId,
      viewId: viewId + 1,
      unstable: [JSON.parse(data({ body: 'in a flush' }))],
      pending: [],
      agreed: 0,
      delivered: {},
    }),
    JSON.stringify({
      t: 'history-res',
      groupId,
      req: 1,
      items: [{ frame: JSON.parse(data({ body: 'fake history' })), order: '0' }],
      done: true,
    }),
    '{"t":"data","__proto__":{"polluted":true}}',
  ];
  const rejectedBefore = victim.peer.metrics(groupId)?.rejectedFrames ?? 0;
  for (const text of hostile) await net.inject(groupId, villain, victim, text);
  // The flush and the history page carry one bad DATA each on top of the frame itself only if the frame
  // passes the parser; every line above is refused at least once.
  await waitFor(
    `victim counts ${hostile.length} rejected frames [${net.label}]`,
    () => (victim.peer.metrics(groupId)?.rejectedFrames ?? 0) - rejectedBefore >= hostile.length,
  );
  const after = await burst(peers, groupId, 2, seed + 5, 'ok2');
  const logs = await allHave(net, peers, groupId, 4 + after.length, 'after the attack');
  for (const l of logs) {
    check(
      !bodies(l).some((b) => /forged|impersonation|fake history|in a flush/.test(b)),
      net,
      'a hostile frame was delivered',
    );
    check(l.length === 4 + after.length, net, `a log has ${l.length} messages, expected ${4 + after.length}`);
  }
  check(({} as Record<string, unknown>)['polluted'] === undefined, net, 'a frame polluted Object.prototype');
  return { messages: 4 + after.length };
};

export const ALL_SCENARIOS: Readonly<Record<string, Scenario>> = {
  'total order: concurrent bursts give identical logs': totalOrderBurst,
  'fifo: per-sender order, everything once': fifoPerSender,
  'late joiner (total) gets history then takes part': lateJoiner('total'),
  'late joiner (fifo) gets history then takes part': lateJoiner('fifo'),
  'a member crashes mid-burst: survivors unblock and agree': crashMidBurst,
  'a link drops and comes back (total): gap resent': linkDropAndBack('total'),
  'a link drops and comes back (fifo): gap resent': linkDropAndBack('fifo'),
  'hostile frames are rejected and counted': hostileFrames,
};
