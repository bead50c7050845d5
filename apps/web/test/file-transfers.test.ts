// What the page does with file messages (docs/design.md §6 "Files and images"),
// over a fake `peer.files`: what it fetches by itself, what it resumes, what
// Download saves, what Cancel stops, and what a picture must be to show.
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChorusPeer, FileInfo, TransferEvent } from '@chorus/peer';
import type { GroupId, MessageId, PeerId, ViewId } from '@chorus/protocol';
import { FileTransfers } from '../src/lib/state/file-transfers.svelte.ts';
import type { Live } from '../src/lib/state/runtime.ts';

const MiB = 1024 * 1024;
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const group = 'g1' as GroupId;

function fileMessage(name: string, size: number, hash: string, type = 'application/octet-stream'): ChatMessage {
  const file: FileInfo = { name, type, size, sha256: hash, root: hash, chunkSize: 10240, caption: '' };
  return {
    id: `${group}/p:1` as MessageId,
    groupId: group,
    sender: 'p' as PeerId,
    senderName: 'Ann',
    body: '',
    sentAt: 0,
    order: '1',
    state: 'delivered',
    viewId: 1 as ViewId,
    file,
  };
}

/** A runtime whose store holds `stored` and whose fetch answers with `bytes`. */
function setup(stored: Record<string, { bytesStored: number; complete: boolean; bytes?: Uint8Array }> = {}) {
  const calls: string[] = [];
  const saved: { name: string; bytes: Uint8Array }[] = [];
  const notes: string[] = [];
  const banners: string[] = [];
  let auto = -1;
  const fetches = new Map<string, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();
  const files = {
    maxFileBytes: 100 * MiB,
    setAutoDownload: (n: number) => (auto = n),
    stored: async (h: string) => {
      const s = stored[h];
      return s ? { bytesStored: s.bytesStored, bytesTotal: 0, complete: s.complete } : null;
    },
    read: async (h: string) => (stored[h]?.complete ? (stored[h].bytes ?? new Uint8Array(4)) : null),
    fetch: (m: ChatMessage) => {
      calls.push(`fetch ${m.file?.name}`);
      return new Promise<Uint8Array>((resolve, reject) => fetches.set(m.file?.sha256 ?? '', { resolve, reject }));
    },
    cancel: (h: string) => {
      calls.push(`cancel ${h}`);
      const err = Object.assign(new Error('Cancelled.'), { code: 'cancelled' });
      fetches.get(h)?.reject(err);
    },
  };
  const live: { peer: ChorusPeer | null } = { peer: { files } as unknown as ChorusPeer };
  const t = new FileTransfers({
    live: live as Live,
    profile: null,
    note: (_g, text) => notes.push(text),
    storageFull: (text) => banners.push(text),
    sent: () => {},
    save: (name, bytes) => saved.push({ name, bytes }),
  });
  return { t, calls, saved, notes, banners, fetches, live, auto: () => auto };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('FileTransfers', () => {
  it('fetches by itself a file within "Download automatically", not a bigger one, and tells the runtime', async () => {
    const { t, calls, auto } = setup();
    t.started();
    expect(auto()).toBe(10 * MiB);
    await t.shown(fileMessage('small.bin', 10 * MiB, 'a'));
    await t.shown(fileMessage('big.bin', 10 * MiB + 1, 'b'));
    expect(calls).toEqual(['fetch small.bin']);
    t.autoMiB = 0;
    expect(auto()).toBe(0);
  });

  it('resumes a file a reload left partly stored, whatever its size', async () => {
    const { t, calls } = setup({ b: { bytesStored: 5 * MiB, complete: false } });
    await t.shown(fileMessage('big.bin', 20 * MiB, 'b'));
    expect(calls).toEqual(['fetch big.bin']);
  });

  it('shows a stored picture as one only when its bytes are one', async () => {
    const { t } = setup({
      p: { bytesStored: 11, complete: true, bytes: PNG },
      s: { bytesStored: 5, complete: true, bytes: new TextEncoder().encode('<svg/>') },
    });
    await t.shown(fileMessage('a.png', 11, 'p', 'image/png'));
    await t.shown(fileMessage('b.png', 5, 's', 'image/png'));
    expect(t.imageUrl('p')).toMatch(/^blob:/);
    expect(t.imageUrl('s')).toBeNull();
    expect(t.held('s')).toBe(true);
  });

  it('Download fetches, then saves under the shown name; a held file is saved at once', async () => {
    const { t, saved, fetches } = setup({ h: { bytesStored: 3, complete: true, bytes: new Uint8Array([7, 8, 9]) } });
    const done = t.download(fileMessage('../x/report.pdf', 20 * MiB, 'r'));
    expect(t.busy('r')).toBe(true);
    fetches.get('r')?.resolve(new Uint8Array([1, 2]));
    await done;
    expect(saved).toEqual([{ name: 'report.pdf', bytes: new Uint8Array([1, 2]) }]);
    expect(t.busy('r')).toBe(false);
    await t.shown(fileMessage('held.txt', 3, 'h'));
    await t.download(fileMessage('held.txt', 3, 'h'));
    expect(saved[1]).toEqual({ name: 'held.txt', bytes: new Uint8Array([7, 8, 9]) });
  });

  it('Cancel stops the fetch quietly and nothing is saved', async () => {
    const { t, saved, notes, calls } = setup();
    const done = t.download(fileMessage('big.bin', 20 * MiB, 'b'));
    const running: TransferEvent = {
      groupId: group,
      hash: 'b',
      name: 'big.bin',
      direction: 'receive',
      bytesDone: 1024,
      bytesTotal: 20 * MiB,
      bytesPerSec: 512,
      sources: 1,
      state: 'running',
    };
    t.progress(running);
    expect(t.transfer(fileMessage('big.bin', 20 * MiB, 'b').file as FileInfo)?.bytesDone).toBe(1024);
    t.cancel('b');
    t.progress({ ...running, state: 'cancelled' });
    await done;
    expect(calls).toEqual(['fetch big.bin', 'cancel b']);
    expect(saved).toEqual([]);
    expect(notes).toEqual([]);
    expect(t.transfer(fileMessage('big.bin', 20 * MiB, 'b').file as FileInfo)).toBeNull();
  });

  it('says in the log why a fetch failed', async () => {
    const { t, notes, fetches } = setup();
    const done = t.download(fileMessage('gone.bin', 20 * MiB, 'g'));
    fetches.get('g')?.reject(new Error('No member served a chunk of it for 30 s.'));
    await done;
    await settle();
    expect(notes).toEqual(['gone.bin: No member served a chunk of it for 30 s.']);
  });

  it('says a full storage in the storage banner too, and a download the runtime started by itself that failed', async () => {
    const { t, notes, banners, fetches } = setup();
    const done = t.download(fileMessage('film.mkv', 20 * MiB, 'f'));
    fetches.get('f')?.reject(Object.assign(new Error('The browser refused to store more.'), { code: 'quota' }));
    await done;
    expect(notes).toEqual(['film.mkv: The browser refused to store more.']);
    expect(banners).toEqual([
      expect.stringMatching(/^Storage is full: film\.mkv\. .*nothing stored so far is lost\.$/),
    ]);

    // Fetched within "Download automatically", not asked for here: only the runtime's report says it failed.
    const report = (state: TransferEvent['state'], error?: TransferEvent['error']): TransferEvent => ({
      groupId: group,
      hash: 'a',
      name: 'photo.png',
      direction: 'receive',
      bytesDone: 10,
      bytesTotal: 20,
      bytesPerSec: 0,
      sources: 1,
      state,
      ...(error ? { error } : {}),
    });
    t.progress(report('running'));
    t.progress(report('failed', { code: 'unavailable', message: 'No member served a chunk of it for 30 s.' }));
    expect(notes.at(-1)).toBe('Not downloaded: photo.png: No member served a chunk of it for 30 s.');
    expect(banners).toHaveLength(1);
    t.progress(report('cancelled'));
    expect(notes).toHaveLength(2);
  });

  it('refuses a file over the cap with a sentence naming it', () => {
    const { t } = setup();
    const big = { name: 'huge.iso', size: 100 * MiB + 1 } as File;
    expect(t.refusal(big)).toBe('Not attached: huge.iso is 100 MiB; a file may be at most 100 MiB.');
    expect(t.refusal({ name: 'ok', size: 100 * MiB } as File)).toBeNull();
  });
});

describe('FileTransfers before the runtime is up', () => {
  it('looks at a file shown from the cached history once the runtime starts (a reload resumes it)', async () => {
    const { t, calls, live } = setup({ b: { bytesStored: 5 * MiB, complete: false } });
    const peer = live.peer;
    live.peer = null;
    await t.shown(fileMessage('big.bin', 20 * MiB, 'b'));
    expect(calls).toEqual([]);
    live.peer = peer;
    t.started();
    await settle();
    expect(calls).toEqual(['fetch big.bin']);
  });
});
