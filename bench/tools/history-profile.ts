// Where a late joiner's history sync spends its time, in one process over the
// memory network (no WebRTC): `npx tsx bench/tools/history-profile.ts 10000`.
// A sponsor and a witness hold N messages; a fresh joiner joins and we print
// join() → N stored, wall time and the process's CPU time (less sensitive to a
// loaded machine than wall time). HISTORY_PROFILE=/tmp/p adds a CPU profile.

import { exportPublicKey, generateIdentity, type GroupId } from '@chorus/protocol';
import { createPeer } from '../../packages/peer/src/index.ts';
import { MemoryNetwork, MemoryStore, MemoryTracker } from '../../packages/peer/src/testing.ts';
import { randomPeerId } from '../../packages/peer/src/key-store.ts';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

// HISTORY_PROFILE=/tmp/p: a CPU profile of one join (self time per function in /tmp/p.txt): the first, or the
// HISTORY_PROFILE_RUN-th (1-based; a later one is past the JIT's warm-up, as the bench's later joins are).
const profileTo = process.env['HISTORY_PROFILE'];
const profiledRun = Number(process.env['HISTORY_PROFILE_RUN'] ?? 1) - 1;
const inspector = new Session();
inspector.connect();
const summarize = (profile: {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}): string => {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  const byFile = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const file = f.url.replace(/.*\/(packages|node_modules)\//, '$1/');
    const key = `${f.functionName || '(anon)'} ${file}:${f.lineNumber + 1}`;
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    self.set(key, (self.get(key) ?? 0) + dt);
    byFile.set(file || '(native)', (byFile.get(file || '(native)') ?? 0) + dt);
  });
  const top = (m: Map<string, number>, k: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, ms]) => `${ms.toFixed(1).padStart(8)} ms  ${name}`)
      .join('\n');
  return `by function (self)\n${top(self, 60)}\n\nby file (self)\n${top(byFile, 40)}\n`;
};

const n = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 1);
const net = new MemoryNetwork({ seed: 1, minDelayMs: 0, maxDelayMs: 1 });
const tracker = new MemoryTracker();
const add = async (name: string) => {
  const keyPair = await generateIdentity();
  const publicKey = await exportPublicKey(keyPair.publicKey);
  const peerId = randomPeerId();
  const link = tracker.link({ peerId, name, publicKey });
  const store = new MemoryStore();
  const peer = createPeer({
    name,
    tracker: link,
    transport: net.transport(peerId, link),
    identity: { keyPair, publicKey },
    store,
  });
  await peer.connect();
  return { peer, store };
};
const until = async (f: () => Promise<boolean>) => {
  while (!(await f())) await new Promise((r) => setTimeout(r, 2));
};
const ana = await add('ana');
const ben = await add('ben');
const g = await ana.peer.createGroup('h', 'fifo');
const gid = g.groupId as GroupId;
await ana.peer.join(gid);
await ben.peer.join(gid);
let t = performance.now();
for (let i = 0; i < n; i += 200)
  await Promise.all(
    Array.from({ length: Math.min(200, n - i) }, (_, k) => ana.peer.send(gid, `message ${i + k} ${'x'.repeat(60)}`)),
  );
await until(async () => (await ben.store.count(gid)) >= n);
console.log(`fill ${n}: ${Math.round(performance.now() - t)} ms`);
for (let r = 0; r < runs; r++) {
  const cal = await add(`cal${r}`);
  const problems: string[] = [];
  cal.peer.on('error', (e) => problems.push(`${e.code}: ${e.message.slice(0, 100)}`));
  if (profileTo && r === profiledRun) {
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.setSamplingInterval', { interval: 200 });
    await inspector.post('Profiler.start');
  }
  t = performance.now();
  const cpu = process.cpuUsage();
  const joined = cal.peer.join(gid).then(() => performance.now() - t);
  await until(async () => (await cal.store.count(gid)) >= n);
  const stored = performance.now() - t;
  const used = process.cpuUsage(cpu);
  console.log(
    `join → ${n} stored: ${Math.round(stored)} ms wall, ${Math.round((used.user + used.system) / 1000)} ms CPU (sponsor, witness and joiner); join() resolved at ${Math.round(await joined)} ms`,
  );
  if (problems.length > 0) console.log(`the joiner reported: ${problems.join(' | ')}`);
  if (profileTo && r === profiledRun) {
    const { profile } = await inspector.post('Profiler.stop');
    writeFileSync(`${profileTo}.cpuprofile`, JSON.stringify(profile));
    writeFileSync(`${profileTo}.txt`, summarize(profile as never));
  }
  await cal.peer.leave(gid);
}
await net.close();
process.exit(0);
