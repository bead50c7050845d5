// Options from the command line, the environment and a config file; the
// identity file (one key pair per name, owner-only, the same key after a
// restart).

import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateKeyPair } from '@chorus/peer';
import { exportPublicKey } from '@chorus/protocol';
import { FileKeyStore, generateStorableIdentity } from '../src/file-key-store.ts';
import { GroupPasswords, PasswordFileError } from '../src/group-passwords.ts';
import { DEFAULT_TRACKER, parseOptions } from '../src/options.ts';
import { tempHome } from './fixtures.ts';

describe('parseOptions', () => {
  it('takes the tracker from --tracker, then CHORUS_TRACKER, then the default', () => {
    const env = { CHORUS_HOME: '/h' };
    const a = parseOptions(['--name', 'Ann'], env, false);
    expect(a.ok && a.options).toMatchObject({
      mode: 'terminal',
      name: 'Ann',
      trackerUrl: DEFAULT_TRACKER,
      dbFile: '/h/Ann.sqlite',
      keyFile: '/h/identities.json',
    });
    const b = parseOptions(['--name', 'Ann'], { ...env, CHORUS_TRACKER: 'http://t:1' }, false);
    expect(b.ok && b.options.trackerUrl).toBe('http://t:1');
    const c = parseOptions(
      ['--name', 'Ann', '--tracker', 'http://u:2'],
      { ...env, CHORUS_TRACKER: 'http://t:1' },
      false,
    );
    expect(c.ok && c.options.trackerUrl).toBe('http://u:2');
  });

  it('says what is wrong instead of starting', () => {
    expect(parseOptions([], {}, false)).toMatchObject({ ok: false, message: expect.stringContaining('--name') });
    expect(parseOptions(['--name', 'A', '--tracker', 'not a url'], {}, false)).toMatchObject({
      ok: false,
      message: expect.stringContaining('not a tracker URL'),
    });
    expect(parseOptions(['--archive'], {}, false)).toMatchObject({
      ok: false,
      message: expect.stringContaining('--groups'),
    });
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

describe('where things live', () => {
  it('keys under the XDG config directory, history under the XDG data directory, each name its own database', () => {
    const env = { XDG_CONFIG_HOME: '/c', XDG_DATA_HOME: '/d' };
    const ann = parseOptions(['--name', 'Ann'], env, false);
    expect(ann.ok && ann.options).toMatchObject({
      keyFile: '/c/chorus/identities.json',
      dbFile: '/d/chorus/Ann.sqlite',
      passwordFile: '/c/chorus/group-passwords.json',
    });
    const odd = parseOptions(['--name', 'Ann/../x y'], env, false);
    expect(odd.ok && odd.options.dbFile).toBe('/d/chorus/Ann_.._x_y.sqlite');
  });

  it('reads a config file, and the command line wins over it', () => {
    const home = tempHome();
    const config = join(home, 'archivist.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'Keeper',
        tracker: 'http://t:9',
        groups: ['a', 'b'],
        db: '/x.sqlite',
        passwords: '/p.json',
      }),
    );
    const r = parseOptions(['--archive', '--config', config, '--tracker', 'http://u:1'], { CHORUS_HOME: home }, false);
    expect(r.ok && r.options).toMatchObject({
      name: 'Keeper',
      trackerUrl: 'http://u:1',
      groups: ['a', 'b'],
      dbFile: '/x.sqlite',
      passwordFile: '/p.json',
      passwordFileGiven: true,
    });
    writeFileSync(config, '{ not json');
    expect(parseOptions(['--archive', '--config', config], {}, false)).toMatchObject({
      ok: false,
      message: expect.stringContaining(config),
    });
  });

  it('takes --password <group>=<secret>, repeated, and never repeats a malformed one back', () => {
    const r = parseOptions(
      ['--archive', '--groups', 'a', '--password', 'a=x=y', '--password', 'big room=z'],
      { CHORUS_HOME: '/h' },
      false,
    );
    expect(r.ok && r.options.passwords).toEqual([
      { group: 'a', password: 'x=y' },
      { group: 'big room', password: 'z' },
    ]);
    const bad = parseOptions(['--archive', '--groups', 'a', '--password', 'hunter2'], {}, false);
    expect(bad).toMatchObject({ ok: false });
    expect(!bad.ok && bad.message).not.toContain('hunter2');
  });
});

describe('GroupPasswords', () => {
  const lobby = { groupId: 'g1', name: 'Lobby' };
  it('finds a password by id, name or name in any case; the command line beats the file; the file is re-read when it changes', () => {
    const file = join(tempHome(), 'group-passwords.json');
    writeFileSync(file, JSON.stringify({ lobby: 'from-file', g2: 'by-id' }), { mode: 0o600 });
    const pw = new GroupPasswords([{ group: 'Other', password: 'arg' }], file);
    expect(pw.for(lobby)).toBe('from-file');
    expect(pw.for({ groupId: 'g2', name: 'whatever' })).toBe('by-id');
    expect(pw.for({ groupId: 'g3', name: 'other' })).toBe('arg');
    expect(pw.for({ groupId: 'g4', name: 'none' })).toBeUndefined();
    expect(pw.size).toBe(3);
    writeFileSync(file, JSON.stringify({ Lobby: 'changed', extra: 'x' }));
    pw.reload();
    expect(pw.for(lobby)).toBe('changed');
    expect(new GroupPasswords([{ group: 'lobby', password: 'arg wins' }], file).for(lobby)).toBe('arg wins');
  });

  it('refuses a file others can read, or one that is not { group: password }, and keeps what it had', () => {
    const file = join(tempHome(), 'group-passwords.json');
    // A missing file at the default place is no passwords; a named one must exist.
    expect(new GroupPasswords([], file).size).toBe(0);
    expect(() => new GroupPasswords([], file, true)).toThrowError(PasswordFileError);
    writeFileSync(file, JSON.stringify({ lobby: 'pw' }));
    chmodSync(file, 0o644);
    expect(() => new GroupPasswords([], file)).toThrowError(`chmod 600 "${file}"`);
    chmodSync(file, 0o600);
    const pw = new GroupPasswords([], file);
    writeFileSync(file, JSON.stringify({ lobby: 7 }));
    expect(() => pw.reload()).toThrowError(/not a non-empty string/);
    expect(pw.for(lobby)).toBe('pw');
    writeFileSync(file, '["lobby"]');
    expect(() => pw.reload()).toThrowError(/should be a JSON object/);
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
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
    // Once loaded, the private key cannot be read back out of the process.
    expect(ann2.privateKey.extractable).toBe(false);
  });
});
