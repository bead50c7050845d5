// CPU cost of the ordering engines alone per message, all members together:
// the shipped GroupEngine over @chorus/protocol's hand-driven EngineMesh (no
// session, signatures, parsing, channels or store). Each member sends `burst`
// messages, then the mesh runs until quiet; a large burst is a backlog (long
// hold-back queues, long FINAL lists). `npx tsx bench/tools/engine-cost.ts
// [members] [fifo|total] [burst]` prints µs of CPU (process.cpuUsage) per
// message sent, three rounds. What a message costs beyond this is the runtime
// around the engine (compare the latency bench's CPU per message).
import { EngineMesh, makeView } from '@chorus/protocol/testing';

const n = Number(process.argv[2] ?? 8);
const mode = process.argv[3] === 'fifo' ? 'fifo' : 'total';
const burst = Number(process.argv[4] ?? 1);
const ids = Array.from({ length: n }, (_, i) => `p${i}`);
const MESSAGES = 4_000;

for (let round = 0; round < 3; round++) {
  const mesh = new EngineMesh(mode, ids);
  mesh.installView(makeView(1, ids));
  mesh.run();
  const t0 = process.cpuUsage();
  let sent = 0;
  while (sent < MESSAGES) {
    for (const id of ids)
      for (let b = 0; b < burst; b++) {
        mesh.send(id, `m${sent}`);
        sent++;
      }
    mesh.run(100_000_000);
  }
  const u = process.cpuUsage(t0);
  const delivered = ids.reduce((a, id) => a + mesh.bodies(id).length, 0);
  if (delivered !== sent * n) throw new Error(`delivered ${delivered} of ${sent * n}`);
  console.log(`${n} members, ${mode}, burst ${burst}: ${((u.user + u.system) / sent).toFixed(1)} µs CPU per message`);
}
