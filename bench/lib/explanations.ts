// For every target a run missed: why, from the figures of that same run, and
// what would close it. Written as code so the explanation always quotes the
// numbers next to it rather than a stale hand-edited copy.
import type { Row, ScenarioReport, TargetCheck } from './report.ts';

const n = (v: unknown, digits = 2): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const find = (reports: readonly ScenarioReport[], name: string): ScenarioReport | undefined =>
  reports.find((r) => r.scenario === name);
const rowsOf = (r: ScenarioReport | undefined): readonly Row[] =>
  (r?.rows ?? []).filter((x) => x['not_run'] === undefined);

type Explainer = (t: TargetCheck, reports: readonly ScenarioReport[]) => string;

const latencyRow = (t: TargetCheck, reports: readonly ScenarioReport[], table?: string): Row | undefined => {
  const [where, size] = [
    t.measured_as.startsWith('Chromium') ? 'chromium' : 'node',
    Number(/(\d+) peers/.exec(t.measured_as)?.[1]),
  ];
  return rowsOf(find(reports, 'latency')).find(
    (r) => r['where'] === where && r['group_size'] === size && r['table'] === table,
  );
};

/** "sender path a, mesh to mesh b, receiver path c" for one ordering, from the breakdown table. */
const split = (t: TargetCheck, reports: readonly ScenarioReport[], ordering: 'fifo' | 'total'): string => {
  const r = latencyRow(t, reports, 'breakdown');
  if (r === undefined || typeof r[`${ordering}_wire_p50_ms`] !== 'number') return '';
  return ` Where a ${ordering === 'fifo' ? 'FIFO' : 'total-order'} message spent it (p50): sender path ${n(r[`${ordering}_send_path_p50_ms`])} ms, mesh to mesh ${n(r[`${ordering}_wire_p50_ms`])} ms, receiver path ${n(r[`${ordering}_receive_path_p50_ms`])} ms.`;
};

const EXPLAIN: Record<string, Explainer> = {
  'total/floor ≤ 3.5 at p50': (t, reports) => {
    const r = latencyRow(t, reports);
    const bd = latencyRow(t, reports, 'breakdown');
    const mesh =
      typeof r?.['raw_mesh_p50_ms'] === 'number'
        ? ` A raw full mesh of this size (same load, plain channels, no Chorus code) takes ${n(r['raw_mesh_p50_ms'])} ms at p50, ${n(Number(r['raw_mesh_p50_ms']) / Number(r['floor_p50_ms']), 1)} × the single-channel floor: with ${Number(r['group_size']) - 1} channels per peer on these 2 cores the transport alone is far from the floor.`
        : '';
    return `**${t.target} (${t.measured_as}): ${n(t.value)}.** Floor ${n(r?.['floor_p50_ms'])} ms, FIFO ${n(r?.['fifo_p50_ms'])} ms, total ${n(r?.['total_p50_ms'])} ms.${split(t, reports, 'total')} ISIS cannot deliver before three one-way hops (DATA out, PROPOSE back to the sender, FINAL out), so total ≥ 3 × floor before any processing, and the target leaves half a hop (${n(Number(r?.['floor_p50_ms']) / 2)} ms) for all the work; here the receiver path — mostly waiting for the PROPOSE/FINAL round — is ${n(bd?.['total_receive_path_p50_ms'])} ms, and each of the three hops costs what a FIFO hop costs (mesh to mesh ${n(bd?.['fifo_wire_p50_ms'])} ms against the bare channel's ${n(r?.['floor_p50_ms'])} ms).${mesh} What would close it: first make one hop cost close to the floor (the mesh-to-mesh stretch: frame encoding, outbound queue, parsing), since ISIS pays it three times; then send PROPOSE and FINAL the moment they exist (no batching or timer between engine and mesh); a fixed sequencer would need two hops instead of three, at the price of a different protocol.`;
  },
  'fifo/relay < 1 at p50': (t, reports) => {
    const r = latencyRow(t, reports);
    const bd = latencyRow(t, reports, 'breakdown');
    const f = find(reports, 'latency')?.facts ?? {};
    const parts =
      bd === undefined
        ? []
        : [
            { name: 'sender path (signing, engine, queue)', ms: Number(bd['fifo_send_path_p50_ms']) },
            { name: 'mesh to mesh (encoding, queue, data channel, parsing)', ms: Number(bd['fifo_wire_p50_ms']) },
            { name: 'receiver path (signature check, engine, delivery)', ms: Number(bd['fifo_receive_path_p50_ms']) },
          ]
            .filter((x) => Number.isFinite(x.ms))
            .sort((a, b) => b.ms - a.ms);
    const biggest = parts[0];
    return `**${t.target} (${t.measured_as}): ${n(t.value)}.** The relay's two websocket hops through a server that does nothing take ${n(r?.['relay_p50_ms'])} ms; Chorus FIFO takes ${n(r?.['fifo_p50_ms'])} ms.${split(t, reports, 'fifo')} One bare data channel takes ${n(r?.['floor_p50_ms'])} ms${typeof r?.['raw_mesh_p50_ms'] === 'number' ? ` and a raw full mesh of this size ${n(r['raw_mesh_p50_ms'])} ms` : ''}; Ed25519 costs ${n(f['ed25519_sign_ms'], 3)} ms to sign and ${n(f['ed25519_verify_ms'], 3)} ms to verify here, a small part. ${biggest === undefined ? '' : `The largest stretch is the ${biggest.name}, ${n(biggest.ms)} ms. `}What would close it: bring the mesh-to-mesh stretch down towards what the bare channel costs (profile the peer mesh's frame codec, outbound queue and inbound parse per receiver), and keep the store and metrics off the delivery path; with ${typeof r?.['group_size'] === 'number' ? Number(r['group_size']) - 1 : 'N − 1'} channels per peer on 2 shared cores the transport alone may already exceed the relay, which the raw-mesh column shows.`;
  },
  '8 peers mesh-ready ≤ 1.5 s': (t, reports) => {
    if (t.measured_as.includes('did not form')) {
      const row =
        rowsOf(find(reports, 'mesh-formation')).length >= 0
          ? (find(reports, 'mesh-formation')?.rows ?? []).find(
              (x) => x['group_size'] === 8 && x['pattern'] === 'all at once' && x['not_run'] !== undefined,
            )
          : undefined;
      return `**${t.target} (${t.measured_as}).** With every joiner calling join() at the same moment the group never became a full mesh: ${String(row?.['not_run'] ?? 'see the mesh-formation section')}. Observed: the tracker installs a view per joiner and most members reach the final view, but at least one joiner stays "joining" at an older installed view and its join() never resolves. With two simultaneous joiners (a group of 3) the group forms only after about 5 s (the joiner's history retry, HISTORY_RETRY_MS) or not at all; \`npx tsx bench/tools/concurrent-joins.ts 8\` reproduces it and prints each peer's state. Where to look: a joiner that receives the next view while it is still syncing history (packages/peer group-session.ts, adopting the sponsor's state once the installed view moved past the state's view, and the flush of a view the joiner installed before it was a member). What would close it: make a syncing joiner complete view changes (or be left out of their flush), or have the tracker install a group's next joiner only after the previous one finished its sync. Joins one by one form fine (row above).`;
    }
    const rows = rowsOf(find(reports, 'mesh-formation'));
    const r = rows.find(
      (x) =>
        x['group_size'] === 8 &&
        (t.measured_as.startsWith('Chromium') ? x['where'] === 'chromium' : x['where'] === 'node'),
    );
    return `**${t.target} (${t.measured_as}): ${n(t.value, 0)} ms.** Opening one raw channel takes ${n(r?.['floor_channel_open_ms'], 0)} ms here; a joiner of an 8-group opens up to 7 at once (offer, answer and candidates relayed by the tracker), then the two-phase join adds tracker round trips (join, links-ready) and the tracker installs one view per joiner (apps/tracker membership.ts linksReady): seven simultaneous joiners mean seven view changes, each a FLUSH round among the members before the next view can be installed, and joiners that arrive while others are being installed must also link to them. What would close it: let the tracker admit joiners whose links-ready arrive close together in one view change, let the engine install a view whose only change is joins without a full FLUSH when nothing is unstable, and on 2 shared cores keep fewer DTLS handshakes in flight per process.`;
  },
  '10 000-message history to a joiner (Node ≤ 0.5 s, Chromium ≤ 1 s)': (t) => historyMiss(t),
  '100 000-message history to a joiner (Node ≤ 5 s, Chromium ≤ 10 s)': (t) => historyMiss(t),
  'history sync ÷ one raw channel ≤ 4': (t) =>
    `**${t.target} (${t.measured_as}): ${n(t.value, 1)}.** The raw channel carries the bytes and nothing else; the sync also joins (two phases, data channels, a view change) and does per-message work the channel does not: ${HISTORY_WORK}`,
  '≤ 1.5 KB heap per idle tracker connection over bare Socket.IO': (t, reports) =>
    `**${t.target} (${t.measured_as}): ${n(t.value, 0)} B.**${trackerHeapWhere(t, reports)} What would close it: fewer per-session records (the \`SocketState\`, \`socket.data\` and its \`MemberInfo\`, the store's session record, one entry each in \`local\`, \`PeerRoutes\`, the store's map and the \`directory\` room: apps/tracker/README.md "Memory per connection").`,
  '≤ 12 KB heap per idle tracker connection in all': (t, reports) =>
    `**${t.target} (${t.measured_as}): ${n(t.value, 0)} B.**${trackerHeapWhere(t, reports)} What would close it: the Socket.IO part can only shrink by moving the websocket layer out of the JS heap (engine.io on uWebSockets.js) or dropping Socket.IO for plain ws.`,
  'main thread ≤ 8 ms per delivered message, p50': (t, reports) => {
    const report = find(reports, 'ui-log');
    const rows = rowsOf(report);
    const size = Number(/(\d+) messages/.exec(t.measured_as)?.[1]);
    const r = rows.find((x) => x['build'] === 'this build' && x['messages'] === size);
    const base = rows.find((x) => x['build'] !== 'this build' && x['messages'] === size);
    const before =
      base === undefined
        ? ''
        : ` ${String(base['build'])} took ${n(base['main_ms_per_message_p50'], 1)} ms (script ${n(base['script_ms_per_message_p50'], 1)}) in the same run.`;
    return `**${t.target} (${t.measured_as}): ${n(t.value, 1)} ms.** Of it, script is ${n(r?.['script_ms_per_message_p50'], 1)} ms; the rest is the browser's own work for one message: the runtime's IndexedDB write of it, style, layout and paint of the new article, and the page's timers during the ${'150'} ms after it shows, measured on a machine with a load average of ${n(report?.loadavg_1m_at_start, 0)} on 2 cores (CPU time, but shared caches and cores still slow it).${before} The figure is flat in the number of messages held. Traced (BENCHMARKS.md, "The chat page, third pass"): the message's own task (script, the runtime's promise chains, the style and layout its pinned-to-bottom effect forces) about 2.7 ms, the frame drawing it about 1.6 ms (paint, layerize and pre-paint lead), the runtime's 100 ms tick, the other member's typing and read markers and the 1 s metrics refresh with their frames the rest. What would close it: a cheaper paint of the log (fewer paint chunks per article), and markers and metrics that redraw less.`;
  },
  'open a group of 100 000 stored messages, newest painted ≤ 300 ms': (t, reports) => {
    const report = find(reports, 'ui-log');
    const rows = rowsOf(report).filter((x) => x['messages'] === 100_000);
    const base = rows.find((x) => x['build'] !== 'this build');
    const before = base === undefined ? '' : ` ${String(base['build'])}: ${n(base['open_ms'], 0)} ms in the same run.`;
    return `**${t.target}: ${n(t.value, 0)} ms.** Wall time from the reload's navigation start, so it includes loading and compiling the app and starting the runtime, and the machine's load (average ${n(report?.loadavg_1m_at_start, 0)} on 2 cores) stretches every step.${before} A reload reads the open group's newest 16 stored messages while the runtime's chunks load and paints them before the rest of its page (BENCHMARKS.md, "The chat page, third pass"). Before that paint the page waits for its HTML and main chunk (domInteractive 60–300 ms at load 13–21), the store's chunk, opening IndexedDB and the key, and the read; at that load one reload in four or five takes twice the others for either build, and a median of two follows it. What would close it: a run on a quieter machine; then a lighter main chunk and first render (the shell, directory and panels are rendered before the log).`;
  },
  // The files targets are named with their row, `… (Node)` or `… (Node, 3 receivers)`: looked up without it.
  'one receiver ≥ 0.7 × the raw channel': (t, reports) => {
    const r = filesRow(t, reports);
    const head = `**${t.target} (${t.measured_as}): ${n(t.value === null ? null : 1 / t.value)} of the raw channel's throughput** (${n(r?.['transfer_ms'], 0)} ms against raw runs of ${String(r?.['raw_ms'] ?? 'n/a')} ms, load ${String(r?.['load_1m'] ?? 'n/a')}).`;
    if (r?.['where'] !== 'Node')
      return `${head} Met on a quiet machine (1.02 and 1.22 in the runs of 2026-12-01 05:18–05:26 UTC, bench/results/comparisons.md), where the raw baseline in a page is itself several times slower than in Node; a loaded machine stretches the two pages' own work.`;
    return `${head} The holder's JavaScript thread blocks in @roamhq/wrtc's \`send\` for each chunk message, and a \`send\` into a channel that holds nothing hands the message on within the call: 0.25–0.59 ms against 0.05–0.15 ms for the raw run's writes into a full channel, in the same process and runs (bench/results/comparisons.md, "why a chunk write costs 3–5 × a raw one"). The raw run keeps up to 4 MiB queued. A receiver that stores in memory now asks 128 chunks (≈ 2 MiB) of a member at a time (it asked 32, ≈ 500 KiB, which never filled SCTP's send buffer); in four alternating pairs of runs the deeper window shortened the transfer in three, but the ratio to the raw channel stayed within the spread of the transfers (0.42–0.82 against 0.49–0.59, bench/results/comparisons.md, "the deeper window of wants"), and one quiet run on 2026-12-02 gave 0.61 (0.47–0.74). Writing several chunk messages a turn did not change it. What would close it: fewer blocking \`send\` calls per byte (larger chunk messages, which the 16 KiB message every WebRTC stack delivers whole rules out without negotiation), or the holder's writes off its JavaScript thread. (The Chromium rows meet it, against a raw baseline several times slower in a page than in Node.)`;
  },
  'chat p50 during a transfer ≤ 2 × idle': (t, reports) => {
    const r = filesRow(t, reports);
    const members = Number(r?.['receivers']) + 1;
    const busy =
      members === 2
        ? 'both processes (pages) are busy with it, the holder writing and the receiver checking and storing'
        : `every member moves chunks (each receiver serves the others), so all ${members} processes want the two cores at once`;
    const sends =
      r?.['where'] === 'Node'
        ? ' and for its blocking sends: a text `send` on @roamhq/wrtc took ≈ 1–1.5 ms on a link while a transfer ran against 0.1–0.3 ms idle, and a message goes to every member'
        : '';
    return `**${t.target} (${t.measured_as}): ${n(t.value)}.** Chat p50 ${n(r?.['chat_busy_p50_ms'], 1)} ms during the transfer against ${n(r?.['chat_idle_p50_ms'], 1)} ms idle, ${n(r?.['chat_raw_p50_ms'], 1)} ms during a raw transfer between the first two members, load ${String(r?.['load_1m'] ?? 'n/a')}. During a Chorus transfer ${busy}, and a chat frame waits for its process to be scheduled${sends}. Chat frames already go first in each process (at most two chunk writes and four chunk reads a turn before them, PROTOCOL.md §10.3), and wants come by 16 chunks, not one per chunk stored (bench/results/comparisons.md, "one want per chunk with several holders"). Resting between bulk turns showed no gain at load 18–26. On a quiet machine (2026-12-02, nothing else running) the group's own processes took the load average to 2–3 (four members) and 4–8 (eight), and the idle p50 itself grew from 2.4 ms (two members) to 15.8 ms (eight): the group is CPU-bound on two cores. What would close it: pacing the transfer against the CPU it leaves for chat (a duty cycle per process), or more cores than members.`;
  },
  'initial JS ≤ 60 KB gzip': (t) =>
    `**${t.target}: ${n(t.value, 1)} KB.** Split the peer runtime (socket.io-client, simple-peer, polyfills) into a chunk loaded after the first paint.`,
};

/** The files row a target was checked on: `… (Node)` is one receiver, `… (Node, 3 receivers)` three. */
const filesRow = (t: TargetCheck, reports: readonly ScenarioReport[]): Row | undefined => {
  const [where = '', receivers = '1'] = (/\(([^,)]+)(?:, (\d+) receivers)?\)$/.exec(t.target) ?? []).slice(1);
  return rowsOf(find(reports, 'files')).find((r) => r['where'] === where && r['receivers'] === Number(receivers));
};

/** The bare server's share and what the tracker's heap snapshots put above it, for the tracker-capacity row of `t`. */
const trackerHeapWhere = (t: TargetCheck, reports: readonly ScenarioReport[]): string => {
  const r = rowsOf(find(reports, 'tracker-capacity')).find(
    (x) => typeof x['heap_bytes_per_conn'] === 'number' && t.measured_as.startsWith(String(x['clients'])),
  );
  const facts = find(reports, 'tracker-capacity')?.facts ?? {};
  const extra = Object.entries(facts)
    .filter(([k]) => k.startsWith('heap_per_conn_') && !k.includes('compiled code'))
    .map(([k, v]) => ({
      kind: k.slice('heap_per_conn_'.length),
      bytes: v - (facts[`baseline_heap_per_conn_${k.slice('heap_per_conn_'.length)}`] ?? 0),
    }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 3);
  const where =
    extra.length === 0
      ? ''
      : ` The heap snapshots (tracker section, ${n(facts['heap_breakdown_clients'], 0)} clients) put the largest Chorus-specific growth in ${extra.map((e) => `${e.kind} (+${Math.round(e.bytes)} B)`).join(', ')} per connection over the bare server.`;
  return ` A bare Socket.IO server holding the same number of plain websocket connections, measured the same way in the same run, uses ${n(r?.['baseline_heap_bytes_per_conn'], 0)} B of heap per connection (engine.io socket, ws, buffers, the Socket.IO socket and its room); Chorus adds ${n(r?.['heap_added_bytes_per_conn'], 0)} B (median of the runs' differences).${where}`;
};

/** What a history sync still spends per message (BENCHMARKS.md, "History sync as a stream"). */
const HISTORY_WORK =
  'each page parsed strictly, a SHA-256 link hash per message (one Ed25519 check per sender per page, PROTOCOL.md §1.5), the session\'s chain checks and byte budgets (since "History to a joiner: less CPU per message" the sponsor sizes items without writing their JSON and the joiner counts the text a page arrived as), the store writes (in Chromium an IndexedDB `add` per record, ~95 µs each on the main thread at load ~20: the largest single cost of a Chromium join), and one request and page round trip per 200 messages, which a loaded machine stretches most. Pages are pipelined (PROTOCOL.md §4). What would close it: a run on a quiet machine first (on a loaded one every step is stretched several-fold, and the Node join of 10 000 spends ~0.7 s of joiner CPU but 1.4–3.4 s of wall time); then fewer round trips that do not wait on each other (two pages in flight: one page ahead leaves the joiner idle while the next is read, encoded and sent, ~12 ms a page at load ~20 against ~6 ms of joiner CPU), less garbage per message, and fewer, larger IndexedDB records (a schema change). Pages of 1 000 were tried and made the Node join of 100 000 two to three times slower at the same CPU (bench/results/comparisons.md, "bulk pages tried and reverted"). The joiner is usable long before: join() resolves with the newest page shown (the row "member, newest page shown" beside each). The 100 000-message join was superlinear in Node until the memory store inserted each older page one message at a time at the front of its list (bench/results/comparisons.md, "History to a late joiner: the superlinear part and per-message costs").';

const historyMiss = (t: TargetCheck): string =>
  `**${t.target} (${t.measured_as}): ${n(t.value, 0)} ms.** It includes the two-phase join and ${HISTORY_WORK}`;

export const explainMisses = (reports: readonly ScenarioReport[]): string[] => {
  const missed = reports.flatMap((r) => r.targets.filter((t) => t.met === false));
  if (missed.length === 0) return ['Every target that was measured was met.'];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const t of missed) {
    const key = `${t.target}|${t.measured_as}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const ex = EXPLAIN[t.target] ?? EXPLAIN[t.target.replace(/ \([^)]*\)$/, '')];
    out.push(
      `- ${ex === undefined ? `**${t.target} (${t.measured_as})**: ${n(t.value)} against ${t.comparison} ${t.limit}.` : ex(t, reports)}`,
    );
  }
  return out;
};
