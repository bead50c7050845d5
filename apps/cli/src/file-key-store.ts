// packages/peer's KeyStore in one JSON file under the user's config
// directory: one Ed25519 key pair per display name (docs/design.md §3), as JWK,
// readable by the owner only (mode 0600, in a 0700 directory). Writes go to
// a temporary file that is renamed over the old one, so a crash mid-write
// leaves the previous identities intact. Keys are imported non-extractable:
// once loaded, nothing in this process can read the private half back out.

import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KeyStore } from '@chorus/peer';

const ED25519 = { name: 'Ed25519' } as const;
export const KEY_FILE_MODE = 0o600;
const KEY_DIR_MODE = 0o700;

interface IdentityEntry {
  readonly publicKey: JsonWebKey;
  readonly privateKey: JsonWebKey;
  readonly createdAt: string;
}

type IdentityFile = Record<string, IdentityEntry>;

export class KeyFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'KeyFileError';
  }
}

export class FileKeyStore implements KeyStore {
  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  async get(name: string): Promise<CryptoKeyPair | null> {
    const entry = this.#read()[name];
    if (!entry) return null;
    try {
      const subtle = globalThis.crypto.subtle;
      const publicKey = await subtle.importKey('jwk', entry.publicKey, ED25519, true, ['verify']);
      const privateKey = await subtle.importKey('jwk', entry.privateKey, ED25519, false, ['sign']);
      return { publicKey, privateKey };
    } catch (e) {
      throw new KeyFileError(
        this.file,
        `The identity of ${JSON.stringify(name)} in ${this.file} is not a usable Ed25519 key (${(e as Error).message}). Remove that entry to make a new identity under this name.`,
      );
    }
  }

  /** First writer wins (KeyStore contract). The pair must be extractable, to be written down. */
  async put(name: string, keyPair: CryptoKeyPair): Promise<void> {
    const all = this.#read();
    if (all[name]) return;
    const subtle = globalThis.crypto.subtle;
    all[name] = {
      publicKey: await subtle.exportKey('jwk', keyPair.publicKey),
      privateKey: await subtle.exportKey('jwk', keyPair.privateKey),
      createdAt: new Date().toISOString(),
    };
    this.#write(all);
  }

  #read(): IdentityFile {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new KeyFileError(this.file, `Cannot read the identity file ${this.file}: ${(e as Error).message}`);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      return parsed as IdentityFile;
    } catch (e) {
      throw new KeyFileError(
        this.file,
        `The identity file ${this.file} is not valid JSON (${(e as Error).message}). Move it aside to start with new identities.`,
      );
    }
  }

  #write(all: IdentityFile): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: KEY_DIR_MODE });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', KEY_FILE_MODE);
    try {
      writeSync(fd, `${JSON.stringify(all, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // The mode given to open is masked by the umask; set it outright.
    chmodSync(tmp, KEY_FILE_MODE);
    renameSync(tmp, this.file);
  }
}

/** A fresh extractable pair: the key store writes it down once, then imports it non-extractable. */
export async function generateStorableIdentity(): Promise<CryptoKeyPair> {
  return (await globalThis.crypto.subtle.generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
}
