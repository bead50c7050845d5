// SessionCores handing over a group whose members have not yet told each
// other what they delivered (issue 16): thousands of unstable messages ride
// on the FLUSH of the view change that adds a joiner and on the sponsor's
// state. Every frame any core sends must be a legal frame (caps included),
// the joiner must become a member, and nothing may be cut on the way.
import { describe, expect, it } from 'vitest';
import { asPeerId } from '../src/ids.ts';
import { MAX_FLUSH_ITEMS, MAX_FRAME_BYTES } from '../src/wire/caps.ts';
import type { HistoryResponseFrame } from '../src/wire/frames.ts';
import { parseFrame } from '../src/wire/parse-frame.ts';
import { utf8ByteLength } from '../src/wire/utf8.ts';
import { CORE_GROUP, CoreMesh } from '../src/session/testing/core-mesh.ts';

// CoreMesh's signatures and keys are readable placeholders; the wire wants base64 of the right length.
const SIG = `${'A'.repeat(85)}Q==`;
const KEY = `${'B'.repeat(43)}=`;

describe('SessionCore: a joiner meets a large unstable backlog', () => {
  for (const mode of ['fifo', 'total'] as const) {
    it(`${mode}: the FLUSH and the sponsor's state go in parts, every frame within the caps, and the joiner gets all of it`, () => {
      const m = new CoreMesh(mode);
      m.add('p1');
      m.add('p2');
      m.view(1, ['p1'], [['p1', 'joined']]);
      m.view(2, ['p1', 'p2'], [['p2', 'joined']]);
      m.deliver();
      expect(m.node('p2').phase).toBe('member');
      // No high-water marks from here on: what p1 and p2 deliver stays unstable.
      m.drop = (f) => f.frame.t === 'hwm';
      const count = MAX_FLUSH_ITEMS + 400;
      for (let i = 0; i < count; i += 1) m.send('p1', `backlog ${i}`);
      m.deliver();
      expect(m.node('p2').store.size).toBe(count);

      const before = m.sent.length;
      const p3 = m.add('p3');
      m.view(3, ['p1', 'p2', 'p3'], [['p3', 'joined']]);
      m.deliver();
      m.advance(1_000);
      expect(p3.phase).toBe('member');
      expect(p3.store.size).toBe(count);

      // What crossed the links for the join: FLUSH parts and a state in parts, each a frame a peer accepts.
      const join = m.sent.slice(before);
      expect(join.filter((s) => s.frame.t === 'flush' && s.frame.part !== undefined).length).toBeGreaterThan(2);
      expect(
        join.filter((s) => s.frame.t === 'history-res' && (s.frame as HistoryResponseFrame).statePart !== undefined)
          .length,
      ).toBeGreaterThan(1);
      for (const s of join) {
        const text = JSON.stringify(s.frame, (k, v: unknown) => (k === 'sig' ? SIG : k === 'senderKey' ? KEY : v));
        expect(utf8ByteLength(text)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
        const parsed = parseFrame(text, { groupId: CORE_GROUP, from: asPeerId(s.from) });
        expect(parsed.ok ? 'ok' : `${s.frame.t}: ${parsed.error.message}`).toBe('ok');
      }

      m.send('p3', 'hello from p3');
      m.deliver();
      for (const id of ['p1', 'p2', 'p3']) expect(m.node(id).storedBodies()).toContain('hello from p3');
      for (const id of ['p1', 'p2', 'p3']) expect(m.node(id).problems.filter((p) => p.remote)).toEqual([]);
    });
  }
});
