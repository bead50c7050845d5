// Options from the command line, the environment and a config file; the
// identity file (one key pair per name, owner-only, the same key after a
// restart).

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateKeyPair } from '@chorus/peer';
import { exportPublicKey } from '@chorus/protocol';
import { FileKeyStore, generateStorableIdentity } from '../src/file-key-store.ts';
import { DEFAULT_TRACKER, parseOptions } from '../src/options.ts';
import { tempHome } from './fixtures.ts';

describe('parseOptions', () => {
  it('takes the tracker from --tracker, then CHORUS_TRACKER, then the default', () => {
    const env = { CHORUS_HOME: '/h' };
    const a = parseOptions(['--name', 'Ann'], env, false);
    expect(a.ok && a.options).toMatchObject({ mode: 'terminal', name: 'Ann', trackerUrl: DEFAULT_TRACKER, dbFile: '/h/Ann.sqlite', keyFile: '/h/identities.json' });
    const b = parseOptions(['--name', 'Ann'], { ...env, CHORUS_TRACKER: 'http://t:1' }, false);
    expect(b.ok && b.options.trackerUrl).toBe('http://t:1');
    const c = parseOptions(['--name', 'Ann', '--tracker', 'http://u:2'], { ...env, CHORUS_TRACKER: 'http://t:1' }, false);
    expect(c.ok && c.options.trackerUrl).toBe('http://u:2');
  });

  it('says what is wrong instead of starting', () => {
    expect(parseOptions([], {}, false)).toMatchObject({ ok: false, message: expect.stringContaining('--name') });
    expect(parseOptions(['--name', 'A', '--tracker', 'not a url'], {}, false)).toMatchObject({ ok: false, message: expect.stringContaining('not a tracker URL') });
    expect(parseOptions(['--archive'], {}, false)).toMatchObject({ ok: false, message: expect.stringContaining('--groups') });
    expect(parseOptions(['--bogus'], {}, false)).toMatchObject({ ok: false });
  });

  it('colours only a terminal, and never with NO_COLOR', () => {
    const col = (env: NodeJS.ProcessEnv, tty: boolean): boolean | undefined => {
      const r = parseOptions(['--name', 'A'], env, tty);
      return r.ok ? r.options.color : undefined;
    };
    expect(col({}, true)).toBe(true);
    expect(col({}, false)).toBe(false);
    expect(col({ NO_COLOR: '1' }, true)).toBe(false);
    expect(col({ FORCE_COLOR: '1' }, false)).toBe(true);
  });

  it('runs the archivist under its own name with the groups given', () => {
    const r = parseOptions(['--archive', '--groups', 'a, b ,c'], { CHORUS_HOME: '/h' }, false);
    expect(r.ok && r.options).toMatchObject({ mode: 'archive', name: 'archivist', groups: ['a', 'b', 'c'] });
  });
});

describe('FileKeyStore', () => {
  it('keeps one key pair per name in an owner-only file, the same after a restart', async () => {
    const file = join(tempHome(), 'conf', 'identities.json');
    const ann1 = await loadOrCreateKeyPair(new FileKeyStore(file), 'Ann', generateStorableIdentity);
    const ann2 = await loadOrCreateKeyPair(new FileKeyStore(file), 'Ann', generateStorableIdentity);
    const bob = await loadOrCreateKeyPair(new FileKeyStore(file), 'Bob', generateStorableIdentity);
    expect(await exportPublicKey(ann2.publicKey)).toBe(await exportPublicKey(ann1.publicKey));
    expect(await exportPublicKey(bob.publicKey)).not.toBe(await exportPublicKey(ann1.publicKey));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Once loaded, the private key cannot be read back out of the process.
    expect(ann2.privateKey.extractable).toBe(false);
  });
});
