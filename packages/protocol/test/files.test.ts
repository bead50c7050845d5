// File messages and their chunk commitment (PROTOCOL.md §10): the body round
// trips and sanitizes names at the parser, refuses what is out of shape; the
// Merkle root matches RFC 6962's shape, every audit path verifies its own
// chunk and no other, and no wrong-length path is accepted.
import { describe, expect, it } from 'vitest';
import {
  bytesToBase64,
  CHUNK_HEADER_BYTES,
  chunkCount,
  chunkLength,
  encodeChunkMessage,
  encodeFrame,
  LEGACY_FILE_CHUNK_BYTES,
  MAX_PROOF_HASHES,
  parseChunkMessage,
  decodeChunkBase64,
  encodeChunkBase64,
  encodeFileBody,
  FILE_CHUNK_BYTES,
  leafHash,
  MAX_FILE_BYTES,
  merkleLevels,
  merkleProof,
  parseBody,
  sanitizeFileName,
  sha256Bytes,
  toHex,
  verifyChunk,
  type FileMeta,
  type GroupId,
  type PeerId,
} from '../src/index.ts';
import { CHUNK_THRESHOLD_BYTES } from '../src/wire/caps.ts';
import { parseFrame } from '../src/wire/parse-frame.ts';

const G = 'g-1' as GroupId;
const meta: FileMeta = {
  name: 'cat.png',
  type: 'image/png',
  size: 12345,
  sha256: 'a'.repeat(64),
  root: 'b'.repeat(64),
  chunkSize: FILE_CHUNK_BYTES,
  caption: 'look',
};

describe('file bodies', () => {
  it('round-trips a file description through a message body', () => {
    expect(parseBody(encodeFileBody(meta), G)).toEqual({ kind: 'file', file: meta });
    expect(parseBody(encodeFileBody({ ...meta, caption: '' }), G)).toEqual({
      kind: 'file',
      file: { ...meta, caption: '' },
    });
  });

  it('sanitizes names at the parser: no path, no control or direction characters, never empty', () => {
    const body = (name: string): string => `\u0000${JSON.stringify({ ...meta, op: 'file', name })}`;
    const nameOf = (name: string): string => {
      const p = parseBody(body(name), G);
      if (p.kind !== 'file') throw new Error(p.kind);
      return p.file.name;
    };
    expect(nameOf('../../etc/passwd')).toBe('passwd');
    expect(nameOf('C:\\Users\\x\\evil.exe')).toBe('evil.exe');
    expect(nameOf('in\u202Egnp.exe')).toBe('ingnp.exe');
    expect(nameOf('a\nb\u0007.txt')).toBe('ab.txt');
    expect(nameOf('..')).toBe('file');
    expect(nameOf('.hidden')).toBe('hidden');
    expect(nameOf('x'.repeat(600)).length).toBe(255);
    expect(sanitizeFileName('<img src=x onerror=alert(1)>.png')).toBe('<img src=x onerror=alert(1)>.png');
  });

  it('reads a file message of the earlier chunk size as it was sent', () => {
    const old = { ...meta, chunkSize: LEGACY_FILE_CHUNK_BYTES };
    expect(parseBody(encodeFileBody(old), G)).toEqual({ kind: 'file', file: old });
    expect(chunkCount(100 * 1024, LEGACY_FILE_CHUNK_BYTES)).toBe(10);
    expect(chunkCount(100 * 1024, FILE_CHUNK_BYTES)).toBe(7);
    expect(chunkLength(100 * 1024, 6, FILE_CHUNK_BYTES)).toBe(100 * 1024 - 6 * FILE_CHUNK_BYTES);
  });

  it('refuses a description out of shape as a bad operation', () => {
    const bad = (patch: Record<string, unknown>): string => {
      const p = parseBody(`\u0000${JSON.stringify({ ...meta, op: 'file', ...patch })}`, G);
      return p.kind;
    };
    expect(bad({ size: -1 })).toBe('bad-op');
    expect(bad({ size: MAX_FILE_BYTES + 1 })).toBe('bad-op');
    expect(bad({ size: 1.5 })).toBe('bad-op');
    expect(bad({ sha256: 'A'.repeat(64) })).toBe('bad-op');
    expect(bad({ root: 'b'.repeat(63) })).toBe('bad-op');
    expect(bad({ chunkSize: 4096 })).toBe('bad-op');
    expect(bad({ chunkSize: '15360' })).toBe('bad-op');
    expect(bad({ type: 'text/html; charset=utf-8' })).toBe('bad-op');
    expect(bad({ name: 7 })).toBe('bad-op');
    expect(() => encodeFileBody({ ...meta, caption: 'x'.repeat(4000) })).toThrow(RangeError);
  });
});

describe('chunk commitment', () => {
  const chunks = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => new Uint8Array([i, i + 1, i + 2]));

  it('has the RFC 6962 shape: an odd node is promoted, leaves and nodes are domain-separated', async () => {
    const c = chunks(3);
    const [l0, l1, l2] = await Promise.all(c.map((x) => leafHash(x)));
    const node = async (a: Uint8Array, b: Uint8Array): Promise<Uint8Array> =>
      sha256Bytes(new Uint8Array([1, ...a, ...b]));
    const levels = await merkleLevels([l0!, l1!, l2!]);
    expect(toHex(levels.at(-1)![0]!)).toBe(toHex(await node(await node(l0!, l1!), l2!)));
    expect(toHex(l0!)).toBe(toHex(await sha256Bytes(new Uint8Array([0, ...c[0]!]))));
  });

  it.each([1, 2, 3, 5, 8, 13])('verifies every chunk of %i with its own path, and nothing else', async (n) => {
    const c = chunks(n);
    const levels = await merkleLevels(await Promise.all(c.map((x) => leafHash(x))));
    const root = levels.at(-1)![0]!;
    for (let i = 0; i < n; i++) {
      const proof = merkleProof(levels, i);
      expect(await verifyChunk(root, i, n, c[i]!, proof)).toBe(true);
      expect(await verifyChunk(root, i, n, new Uint8Array([9, 9, 9]), proof)).toBe(false);
      if (n > 1) expect(await verifyChunk(root, (i + 1) % n, n, c[i]!, merkleProof(levels, (i + 1) % n))).toBe(false);
      expect(await verifyChunk(root, i, n, c[i]!, [...proof, root])).toBe(false);
    }
  });

  it.each([2, 5, 13, 64])(
    'with the nodes earlier chunks proved, still refuses every bad chunk and path among %i',
    async (n) => {
      const c = chunks(n);
      const levels = await merkleLevels(await Promise.all(c.map((x) => leafHash(x))));
      const root = levels.at(-1)![0]!;
      const proven = new Map<number, Uint8Array>();
      // In an order that mixes neighbours and far chunks, as several holders would serve them.
      const order = Array.from({ length: n }, (_, i) => (i * 7) % n).filter((v, k, a) => a.indexOf(v) === k);
      for (let i = 0; i < n; i++) if (!order.includes(i)) order.push(i);
      for (const i of order) {
        const proof = merkleProof(levels, i);
        expect(await verifyChunk(root, i, n, new Uint8Array([9, 9, 9]), proof, proven)).toBe(false);
        // A true chunk with a wrong hash anywhere in its path: the path it is stored and served with must be right.
        for (let k = 0; k < proof.length; k++) {
          const bad = proof.map((h, j) => (j === k ? h.map((b) => b ^ 1) : h));
          expect(await verifyChunk(root, i, n, c[i]!, bad, proven)).toBe(false);
        }
        expect(await verifyChunk(root, i, n, c[i]!, proof, proven)).toBe(true);
        expect(await verifyChunk(root, i, n, c[(i + 1) % n]!, proof, proven)).toBe(n === 1);
      }
      expect(proven.size).toBeGreaterThan(0);
    },
  );
});

describe('chunk base64', () => {
  it('matches standard base64 both ways for every tail length, and refuses every other spelling', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      const text = bytesToBase64(bytes);
      expect(encodeChunkBase64(bytes)).toBe(text);
      expect(decodeChunkBase64(text)).toEqual(bytes);
    }
    for (const bad of [
      'aGVsbG9=',
      'aGVsbA=',
      'aGVsbA',
      'aGV*bA==',
      'a===',
      '=aGV',
      'aGVsbA==aGVs',
      'aGVsbG8=\n',
      'zé==',
    ])
      expect(decodeChunkBase64(bad)).toBeNull();
  });
});

describe('binary chunk messages', () => {
  const chunk = {
    t: 'file-chunk' as const,
    groupId: G,
    hash: '0123456789abcdef'.repeat(4),
    index: 70_000,
    data: Uint8Array.from({ length: FILE_CHUNK_BYTES }, (_, i) => (i * 7) & 255),
    proof: Array.from({ length: MAX_PROOF_HASHES }, (_, k) => new Uint8Array(32).fill(k)),
  };

  it('round-trips the largest chunk with the longest path inside one 16 KiB data-channel message', () => {
    const bytes = encodeChunkMessage(chunk);
    expect(bytes.length).toBe(CHUNK_HEADER_BYTES + 32 * MAX_PROOF_HASHES + FILE_CHUNK_BYTES);
    expect(bytes.length).toBeLessThanOrEqual(CHUNK_THRESHOLD_BYTES);
    expect(parseChunkMessage(bytes, G)).toEqual({ ok: true, value: chunk });
    // The same frame as JSON (relay envelopes, the in-memory network) reads back the same.
    expect(parseFrame(encodeFrame(chunk), { groupId: G, from: 'ana' as PeerId })).toEqual({ ok: true, value: chunk });
  });

  it('refuses every malformed message with a reason, never a frame', () => {
    const good = encodeChunkMessage({ ...chunk, data: new Uint8Array(10), proof: [new Uint8Array(32)] });
    const refused = (bytes: Uint8Array): string => {
      const r = parseChunkMessage(bytes, G);
      if (r.ok) throw new Error('accepted');
      return `${r.error.code}: ${r.error.message}`;
    };
    expect(refused(good.slice(0, CHUNK_HEADER_BYTES - 1))).toMatch(/^bad-type: .*shorter than a chunk header/);
    expect(refused(Uint8Array.of(2, ...good.slice(1)))).toMatch(/^bad-type: .*kind 2/);
    const far = good.slice();
    new DataView(far.buffer).setUint32(33, 0xffffffff);
    expect(refused(far)).toMatch(/^bad-type: .*index/);
    const longPath = good.slice();
    longPath[37] = MAX_PROOF_HASHES + 1;
    expect(refused(longPath)).toMatch(/^bad-type: .*proof hashes/);
    const cut = good.slice();
    cut[37] = 3;
    expect(refused(cut.slice(0, CHUNK_HEADER_BYTES + 40))).toMatch(/^bad-type: .*ends inside them/);
    const fat = encodeChunkMessage({ ...chunk, proof: [], data: new Uint8Array(FILE_CHUNK_BYTES + 1) });
    expect(refused(fat)).toMatch(/^too-large: /);
  });
});
