// The `chorus` command as npm installs it: `npm install -g ./apps/cli` (here
// into a throwaway prefix) puts a `chorus` on the PATH that runs from any
// directory (a link to this folder: nothing is downloaded, so --offline), and
// the workspace's own node_modules/.bin/chorus is the same
// program. Nothing here needs a tracker.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, tempHome } from './fixtures.ts';

describe('the chorus bin', () => {
  it('npm install -g gives a chorus command that runs from anywhere', () => {
    const prefix = tempHome();
    execFileSync(
      'npm',
      ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(REPO_ROOT, 'apps/cli')],
      { cwd: REPO_ROOT, stdio: 'pipe' },
    );
    const chorus = join(prefix, 'bin', 'chorus');
    expect(existsSync(chorus)).toBe(true);
    const elsewhere = tempHome();
    const help = spawnSync(chorus, ['--help'], { cwd: elsewhere, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('chorus --archive');
    // A bad option is a sentence and exit code 2, not a stack trace.
    const bad = spawnSync(chorus, ['--status', '--home', elsewhere], { cwd: elsewhere, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^chorus: There is no history database at .*archivist\.sqlite/);
  });

  it('is the workspace bin and `npm run cli` too', () => {
    const r = spawnSync(join(REPO_ROOT, 'node_modules/.bin/chorus'), ['--help'], { cwd: tempHome(), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage:');
    const viaNpm = spawnSync('npm', ['run', '--silent', 'cli', '--', '--help'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(viaNpm.status).toBe(0);
    expect(viaNpm.stdout).toContain('chorus --name <name>');
  });
});
