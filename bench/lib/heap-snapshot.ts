// Where a process's heap goes, by kind of object: reads a V8 heap snapshot
// (v8.writeHeapSnapshot) and sums self sizes per constructor / closure name.
// Two snapshots (before and after N connections) give bytes per connection
// by kind, which says what would have to shrink to meet a memory target.
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string']);

/** Self size per "type:name" (strings pooled as one kind; names cut to stay readable). */
export const heapByKind = (path: string): Map<string, number> => {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, number>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType] ?? 0] ?? '?';
    const size = snap.nodes[i + iSize] ?? 0;
    if (size === 0) continue;
    const name = snap.strings[snap.nodes[i + iName] ?? 0] ?? '';
    const key = STRING_TYPES.has(type)
      ? '(strings)'
      : type === 'code'
        ? '(compiled code)'
        : `${type}:${name.slice(0, 60)}`;
    out.set(key, (out.get(key) ?? 0) + size);
  }
  return out;
};

/** The kinds that grew most from `before` to `after`, per connection, largest first. */
export const growthPer = (
  before: Map<string, number>,
  after: Map<string, number>,
  per: number,
  top: number,
): { kind: string; bytes: number }[] =>
  [...after.entries()]
    .map(([kind, size]) => ({ kind, bytes: (size - (before.get(kind) ?? 0)) / per }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
