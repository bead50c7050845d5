// What the page shows of a file (docs/design.md §6 "Files and images").
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '@chorus/peer';
import { encodeFileBody, FILE_CHUNK_BYTES } from '@chorus/protocol';
import {
  fileOf,
  formatBytes,
  formatRate,
  MAX_SHOWN_NAME,
  progressText,
  safeFileName,
  shownType,
  sniffImage,
  tooBigText,
} from '../src/lib/files.ts';

describe('safeFileName', () => {
  it('keeps only the last part of a path', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('C:\\Users\\me\\photo.png')).toBe('photo.png');
    expect(safeFileName('report.pdf')).toBe('report.pdf');
  });

  it('drops direction overrides, invisible and control characters', () => {
    // "invoice\u202Etxt.exe" would read "invoiceexe.txt".
    expect(safeFileName('invoice\u202Etxt.exe')).toBe('invoicetxt.exe');
    expect(safeFileName('a\u0000b\u200Bc\nd.txt')).toBe('abc d.txt');
  });

  it('is never empty nor hidden (a leading dot)', () => {
    expect(safeFileName('')).toBe('file');
    expect(safeFileName('/')).toBe('file');
    expect(safeFileName('..')).toBe('file');
    expect(safeFileName('.bashrc')).toBe('bashrc');
  });

  it('keeps HTML as the characters typed (it is shown as text)', () => {
    expect(safeFileName('<img src=x onerror=alert(1)>.png')).toBe('<img src=x onerror=alert(1)>.png');
  });

  it('cuts a long name and keeps its extension', () => {
    const shown = safeFileName(`${'x'.repeat(500)}.jpeg`);
    expect([...shown]).toHaveLength(MAX_SHOWN_NAME);
    expect(shown.endsWith('….jpeg')).toBe(true);
  });
});

describe('sizes and rates', () => {
  it('uses binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(20 * 1024 * 1024)).toBe('20 MiB');
    expect(formatBytes(100 * 1024 * 1024 + 1)).toBe('100 MiB');
    expect(formatBytes(3.25 * 1024 ** 3)).toBe('3.25 GiB');
    expect(formatBytes(Number.NaN)).toBe('–');
  });

  it('says bytes done of the total and the rate', () => {
    expect(progressText(1024 * 1024, 4 * 1024 * 1024, 512 * 1024)).toBe('1 MiB of 4 MiB · 512 KiB/s');
    expect(progressText(0, 10)).toBe('0 B of 10 B');
    expect(formatRate(Number.POSITIVE_INFINITY)).toBe('–');
  });

  it('names the cap in the error', () => {
    expect(tooBigText('dir/big.iso', 101 * 1024 * 1024, 100 * 1024 * 1024)).toBe(
      'Not attached: big.iso is 101 MiB; a file may be at most 100 MiB.',
    );
  });
});

describe('types', () => {
  it('shows a well-formed type, else "unknown type"', () => {
    expect(shownType('application/pdf')).toBe('application/pdf');
    expect(shownType('')).toBe('unknown type');
    expect(shownType('<b>x</b>')).toBe('unknown type');
  });
});

describe('sniffImage', () => {
  const bytes = (...b: (number | string)[]): Uint8Array =>
    new Uint8Array(b.flatMap((x) => (typeof x === 'string' ? [...x].map((c) => c.charCodeAt(0)) : [x])));
  it('knows the inline formats by their first bytes', () => {
    expect(sniffImage(bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a, 0))).toBe('image/png');
    expect(sniffImage(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('image/jpeg');
    expect(sniffImage(bytes('GIF89a', 1))).toBe('image/gif');
    expect(sniffImage(bytes('RIFF', 0, 0, 0, 0, 'WEBPVP8 '))).toBe('image/webp');
    expect(sniffImage(bytes(0, 0, 0, 0x1c, 'ftypavif'))).toBe('image/avif');
  });

  it('says null for anything else, whatever the name or declared type', () => {
    expect(sniffImage(bytes('<svg xmlns="http://www.w3.org/2000/svg">'))).toBeNull();
    expect(sniffImage(bytes('<html><script>'))).toBeNull();
    expect(sniffImage(new Uint8Array(0))).toBeNull();
  });
});

describe('fileOf', () => {
  const meta = {
    name: 'a.png',
    type: 'image/png',
    size: 3,
    sha256: 'a'.repeat(64),
    root: 'b'.repeat(64),
    chunkSize: FILE_CHUNK_BYTES,
    caption: 'hi',
  };
  const message = (body: string): ChatMessage =>
    ({ id: 'g/p:1', groupId: 'g', body, state: 'delivered' }) as unknown as ChatMessage;

  it('reads the file from the body when the message does not carry it (read from the store by the page)', () => {
    expect(fileOf(message(encodeFileBody(meta)))).toEqual(meta);
    expect(fileOf(message('just text'))).toBeNull();
    expect(fileOf(message('\u0000{"op":"file"}'))).toBeNull();
  });
});
