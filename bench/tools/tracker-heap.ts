// What the tracker keeps per idle connection, by kind of heap object, against
// a bare Socket.IO server: `npx tsx bench/tools/tracker-heap.ts [clients]`.
// Starts each server in its own process, snapshots its heap before and after
// `clients` idle sessions, and prints bytes and objects per connection by kind
// (self sizes), the kinds that grew most first. A count near 1 per connection
// marks something held once per socket.
import { readFileSync, rmSync } from 'node:fs';
import { freePort } from '../lib/free-port.ts';
import { spawnWorker } from '../lib/rpc.ts';
import { sleep } from '../lib/wall-clock.ts';

const clients = Number(process.argv[2] ?? 1_000);
const TOP = 30;
const STEADY_MS = 4_000;

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const byKind = (path: string): Map<string, { bytes: number; count: number }> => {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const out = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType] ?? 0] ?? '?';
    const size = snap.nodes[i + iSize] ?? 0;
    if (size === 0) continue;
    const name = snap.strings[snap.nodes[i + iName] ?? 0] ?? '';
    const key = type.includes('string')
      ? `(strings)`
      : type === 'code'
        ? '(compiled code)'
        : `${type}:${name.slice(0, 50)}`;
    const e = out.get(key) ?? { bytes: 0, count: 0 };
    e.bytes += size;
    e.count += 1;
    out.set(key, e);
  }
  return out;
};

const measure = async (kind: 'tracker' | 'baseline'): Promise<void> => {
  const args = { nodeArgs: ['--expose-gc'] };
  const server =
    kind === 'tracker' ? spawnWorker('t', 'tracker-host.ts', args) : spawnWorker('b', 'relay-server.ts', args);
  const swarm = spawnWorker('swarm', 'tracker-swarm.ts');
  try {
    const url =
      kind === 'tracker'
        ? (await server.call<{ url: string }>('start', { overrides: {} })).url
        : `http://127.0.0.1:${await server.call<number>('start', { port: await freePort() })}`;
    await sleep(500);
    const m0 = await server.call<{ heapUsed: number }>('mem');
    const s0 = await server.call<string>('snapshot');
    await swarm.call('idle-open', { url, count: clients, concurrency: 100, bare: kind === 'baseline' });
    await sleep(STEADY_MS);
    const alive = await swarm.call<number>('idle-alive');
    const m1 = await server.call<{ heapUsed: number }>('mem');
    const s1 = await server.call<string>('snapshot');
    const a = byKind(s0);
    const b = byKind(s1);
    if (process.env['KEEP'] === undefined) {
      rmSync(s0, { force: true });
      rmSync(s1, { force: true });
    } else console.log(`snapshots kept: ${s0} ${s1}`);
    const rows = [...b.entries()]
      .map(([k, v]) => ({
        k,
        bytes: (v.bytes - (a.get(k)?.bytes ?? 0)) / alive,
        n: (v.count - (a.get(k)?.count ?? 0)) / alive,
      }))
      .sort((x, y) => y.bytes - x.bytes);
    const total = rows.reduce((s, r) => s + r.bytes, 0);
    console.log(
      `\n${kind}: ${alive} alive, heapUsed ${((m1.heapUsed - m0.heapUsed) / alive).toFixed(0)} B/conn, snapshot ${total.toFixed(0)} B/conn`,
    );
    for (const r of rows.slice(0, TOP))
      console.log(`  ${r.bytes.toFixed(0).padStart(6)} B  ${r.n.toFixed(2).padStart(6)} /conn  ${r.k}`);
  } finally {
    await swarm.stop();
    await server.stop();
  }
};

for (const kind of process.argv[3] === 'tracker' ? (['tracker'] as const) : (['tracker', 'baseline'] as const))
  await measure(kind);
process.exit(0);
