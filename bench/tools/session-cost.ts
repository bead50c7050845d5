// CPU cost of the session cores per message, all members together: the
// shipped SessionCore (engine, hash chains, turn packing, FINAL lists,
// deliveries, store commands) over @chorus/protocol's CoreMesh, with its
// placeholder signatures and map stores — no parsing, Ed25519, channels or
// peer runtime. The group forms by joins (each joiner syncs), then every
// member sends `burst` messages and the mesh delivers until quiet.
// `npx tsx bench/tools/session-cost.ts [members] [fifo|total] [burst]`.
import { CoreMesh } from '@chorus/protocol/testing';

const n = Number(process.argv[2] ?? 8);
const mode = process.argv[3] === 'fifo' ? 'fifo' : 'total';
const burst = Number(process.argv[4] ?? 1);
const ids = Array.from({ length: n }, (_, i) => `p${i + 1}`);
const MESSAGES = 2_000;

for (let round = 0; round < 3; round++) {
  const m = new CoreMesh(mode);
  m.add(ids[0]!);
  m.view(1, [ids[0]!], [[ids[0]!, 'joined']]);
  m.deliver();
  for (let i = 1; i < n; i++) {
    m.add(ids[i]!);
    m.view(i + 1, ids.slice(0, i + 1), [[ids[i]!, 'joined']]);
    m.advance(2_000);
  }
  if (ids.some((id) => m.node(id).phase !== 'member')) throw new Error('the group did not form');
  const t0 = process.cpuUsage();
  let sent = 0;
  while (sent < MESSAGES) {
    for (const id of ids)
      for (let b = 0; b < burst; b++) {
        m.send(id, `m${sent}`);
        sent++;
      }
    m.deliver(100_000_000);
  }
  const u = process.cpuUsage(t0);
  const shown = ids.reduce((a, id) => a + m.node(id).shownBodies().length, 0);
  console.log(
    `${n} members, ${mode}, burst ${burst}: ${((u.user + u.system) / sent).toFixed(1)} µs CPU per message (shown ${shown} of ${sent * n})`,
  );
}
