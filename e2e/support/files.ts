// Files for the file-sharing specs (issue 10): a real PNG made here (so the
// page can draw its thumbnail), random bytes, SHA-256 of what a receiver
// saves, and the two ways in that have no button: dropping a file on the chat
// and pasting an image (Playwright has no native drag from the desktop nor
// clipboard of files, so the events are built in the page, with the same
// DataTransfer a browser hands the app).

import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { expect, type Locator, type Page } from '@playwright/test';

export interface TestFile {
  readonly name: string;
  readonly mimeType: string;
  readonly buffer: Buffer;
}

export const MiB = 1024 * 1024;

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export function randomFile(name: string, size: number, mimeType = 'application/octet-stream'): TestFile {
  return { name, mimeType, buffer: randomBytes(size) };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A `size`×`size` RGB PNG with a gradient and a noise tail (so its bytes are this test's own). */
export function pngFile(name: string, size = 96): TestFile {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const noise = randomBytes(size * size);
  const rows = Buffer.alloc(size * (1 + size * 3));
  for (let y = 0; y < size; y++) {
    const row = y * (1 + size * 3);
    for (let x = 0; x < size; x++)
      rows.set([(x * 255) / size, (y * 255) / size, noise[y * size + x] as number], row + 1 + x * 3);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const buffer = Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return { name, mimeType: 'image/png', buffer };
}

/**
 * Presses `Attach file` and picks `file` in the chooser it opens. The file is
 * written to disk first and picked by its path, as a person picks one: handed
 * over as a buffer, Playwright rebuilds it inside the page from base64, which
 * blocks a 20 MiB page for seconds.
 */
export async function attachFile(page: Page, file: TestFile): Promise<void> {
  const path = join(await mkdtemp(join(tmpdir(), 'chorus-e2e-')), file.name);
  await writeFile(path, file.buffer);
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Attach file' }).click();
  await (await chooser).setFiles(path);
  await expect(page.getByRole('status').filter({ hasText: `Attached ${file.name}` })).toBeVisible();
}

/** Presses `Download` in `scope` and returns the SHA-256 of the file the browser saved, and its suggested name. */
export async function downloadedHash(page: Page, scope: Locator): Promise<{ hash: string; name: string }> {
  const download = page.waitForEvent('download', { timeout: 120_000 });
  await scope.getByRole('button', { name: 'Download' }).click();
  const saved = await download;
  const path = await saved.path();
  return { hash: sha256(await readFile(path)), name: saved.suggestedFilename() };
}

/**
 * Drops a file made in the page (`size` zero bytes, so a large one costs no
 * transfer from the test) on `target`, as a drag from the desktop would.
 */
export async function dropFile(target: Locator, name: string, size: number, type = ''): Promise<void> {
  await target.evaluate(
    (el, f) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(f.size)], f.name, { type: f.type }));
      for (const kind of ['dragenter', 'dragover', 'drop'])
        el.dispatchEvent(new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: data }));
    },
    { name, size, type },
  );
}

/** Pastes `file` into `target` (the composer's textbox), as pasting a copied image does. */
export async function pasteFile(target: Locator, file: TestFile): Promise<void> {
  await target.evaluate(
    (el, f) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
      el.dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: data }));
    },
    { name: file.name, type: file.mimeType, bytes: [...file.buffer] },
  );
}
